"""One structured (JSON) log line per request: method, path, status, ms. No bodies, no query strings.

The access line is the one log record every request makes, so it is made cheaply: no ``LogRecord``, no
``findCaller`` stack walk; on an event loop the request leaves only its four fields, and at the end of the
loop's turn its lines are made together (one timestamp, one msgspec ``encode_lines``) and written with one
write — by the loop
itself where that write can never make it wait (a file, a pipe opened non-blocking: ``web/logsink.py``),
otherwise by a writer thread behind a queue. Other records (warnings, errors with their tracebacks) are
formatted and written by that thread, in their place among the access lines.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import logging.handlers
import queue
import sys
import threading
import time
from collections.abc import Callable

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from caoyuan import clock
from caoyuan.identity import scrub
from caoyuan.web import admission
from caoyuan.web.logsink import Sink

access_log = logging.getLogger("caoyuan.access")
_listener: _Writer | None = None


class AccessLine(msgspec.Struct):
    ts: str
    level: str
    logger: str
    event: str
    method: str
    path: str
    status: int
    ms: float


_encoder = msgspec.json.Encoder()
_encode = _encoder.encode
Fields = tuple[str, str, int, float]  # an access line not made yet: method, path, status, ms


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = getattr(record, "line", None)
        if line is not None:  # an access record arrives already encoded
            return line
        payload = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if fields:
            payload.update(fields)
        else:
            payload["msg"] = scrub(record.getMessage())
        if record.exc_info:
            payload["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False)


class _HandOver(logging.handlers.QueueHandler):
    """Queue the record as it is: formatting happens in the listener thread (same process, nothing pickled).

    On an event loop the records wait for the end of the loop's turn and go together: written there and then
    when they are all access lines and ``sink`` takes them, otherwise as one queue item."""

    def __init__(self, records: queue.SimpleQueue, handler: logging.StreamHandler) -> None:  # type: ignore[type-arg]
        super().__init__(records)  # type: ignore[arg-type]
        # per thread: the running loop and the records of its turn so far
        self.turns: dict[int, tuple[asyncio.AbstractEventLoop, list[logging.LogRecord | Fields | str | bytes]]] = {}
        self.handler = handler
        self.sink = Sink.for_stream(handler.stream)
        self._count = threading.Lock()
        self.queued = 0  # batches put on the queue, and of those the writer thread has written
        self.written = 0

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        if record.exc_info and not record.exc_text:
            # The traceback must be rendered now, while its frames are what they were.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        return record

    def enqueue(self, record: logging.LogRecord | Fields) -> None:  # type: ignore[override]
        """A record, or an access line's fields (the access log's own path: see ``_log_request``)."""
        turn = self.turns.get(threading.get_ident())
        if turn is not None and turn[0].is_running():
            turn[1].append(record)
            return
        self._begin_turn(record)

    def _begin_turn(self, record: logging.LogRecord | Fields) -> None:
        ident = threading.get_ident()
        stale = self.turns.pop(ident, None)
        if stale is not None:  # its loop stopped before the turn ended: those records go now
            self._send(stale[1])
        try:
            # Once a turn, not once a request: on Python 3.11 this asks the kernel for the process id.
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a thread, the CLI, start-up: straight over
            self.queue.put_nowait(access_line(record) if type(record) is tuple else record)
            return
        self.turns[ident] = (loop, [record])
        loop.call_soon(self.send_batch, ident)

    def send_batch(self, ident: int) -> None:
        turn = self.turns.pop(ident, None)
        if turn is not None:
            self._send(turn[1])

    def _send(self, batch: list[logging.LogRecord | Fields | str | bytes]) -> None:
        if not all(type(one) is tuple for one in batch):  # records too: lines made now, each in its place
            batch = [access_line(one) if type(one) is tuple else one for one in batch]  # type: ignore[arg-type]
        else:  # the usual turn, access lines only: made together, and written by the loop if the sink can
            data = access_lines(batch)  # type: ignore[arg-type]
            sink = self.sink
            if sink is not None and self.queued == self.written and sink.serves(self.handler.stream):
                rest = sink.write(data)
                if not rest:
                    return
                batch = [rest]  # what a full pipe did not take: the thread waits for its reader
            else:
                batch = [data.decode().rstrip("\n")]  # for the thread: one write, as one access record
        with self._count:
            self.queued += 1
        self.queue.put_nowait(batch)

    def batch_written(self) -> None:
        with self._count:
            self.written += 1

    def send_all(self) -> None:
        """Whatever waits for a loop's turn to end goes now (the writer is stopping)."""
        for ident in list(self.turns):
            self.send_batch(ident)


class _Writer(logging.handlers.QueueListener):
    """The listener thread: a batch's access lines are written with one write, other records one by one."""

    def __init__(self, records: queue.SimpleQueue, handler: logging.Handler, handover: _HandOver) -> None:  # type: ignore[type-arg]
        super().__init__(records, handler, respect_handler_level=False)  # type: ignore[arg-type]
        self.handover = handover

    def handle(self, record: logging.LogRecord | str | list[logging.LogRecord | str | bytes]) -> None:  # type: ignore[override]
        if isinstance(record, list):
            try:
                self._write_batch(record)
            finally:
                self.handover.batch_written()
        else:
            self._write_batch([record])

    def _write_batch(self, batch: list[logging.LogRecord | str | bytes]) -> None:
        lines: list[str] = []
        for one in batch:
            if isinstance(one, bytes):  # the part of the loop's write a full pipe did not take
                self._write_lines(lines)
                lines = []
                self._write_raw(one)
                continue
            line = one if isinstance(one, str) else getattr(one, "line", None)
            if line is not None and (isinstance(one, str) or not one.exc_info):
                lines.append(line)
                continue
            self._write_lines(lines)
            lines = []
            super().handle(one)  # type: ignore[arg-type]
        self._write_lines(lines)

    def _write_lines(self, lines: list[str]) -> None:
        if lines:
            joined = logging.makeLogRecord(dict(_ACCESS_RECORD, line="\n".join(lines)))
            super().handle(joined)

    def _write_raw(self, data: bytes) -> None:
        handler = self.handover.handler
        handler.acquire()
        try:
            stream = handler.stream
            stream.flush()
            raw = getattr(stream, "buffer", None)
            if raw is not None:
                raw.write(data)
                raw.flush()
            else:
                stream.write(data.decode("utf-8", "replace"))
                stream.flush()
        except Exception:  # the same as a handler's failed write: reported on stderr, never raised
            handler.handleError(logging.makeLogRecord(dict(_ACCESS_RECORD)))
        finally:
            handler.release()

    def stop(self) -> None:
        if self._thread is None:  # already stopped (closed, then replaced)
            return
        self.handover.send_all()
        super().stop()

    def close(self) -> None:
        """Stopped for good: the sink's own description of a pipe goes too."""
        self.stop()
        if self.handover.sink is not None:
            self.handover.sink.close()


def configure_logging(level: str = "INFO") -> None:
    global _listener
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    if _listener is not None:
        _listener.close()  # an app made again in the same process (tests) replaces the old writer
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handover = _HandOver(records, handler)
    _listener = _Writer(records, handler, handover)
    _listener.start()
    root = logging.getLogger("caoyuan")
    root.handlers[:] = [handover]  # type: ignore[list-item]
    root.setLevel(level)
    root.propagate = False


@atexit.register
def _flush_on_exit() -> None:
    if _listener is not None:
        _listener.stop()


class _Clock:
    """The line's timestamp, formatted once a second rather than once a request."""

    second = -1
    text = ""

    @classmethod
    def stamp(cls, now: float) -> str:
        second = int(now)
        if second != cls.second:
            cls.second, cls.text = second, time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(second))
        return cls.text


_ACCESS_RECORD = {"name": "caoyuan.access", "levelno": logging.INFO, "levelname": "INFO", "msg": "request"}


def _straight_to_writer() -> _HandOver | None:
    """The hand-over, when it is the only place an access record would go (nobody else listens to
    ``caoyuan.access``, nothing filters it): then the line goes without a LogRecord."""
    if access_log.handlers or access_log.filters or not access_log.propagate:
        return None
    parent = access_log.parent
    if parent is None or parent.filters or len(parent.handlers) != 1:
        return None
    handover = parent.handlers[0]
    return handover if type(handover) is _HandOver and not handover.filters else None


def _line(fields: Fields, stamp: str) -> AccessLine:
    method, path, status, ms = fields
    return AccessLine(stamp, "INFO", access_log.name, "request", method, scrub(path), status, ms)


def access_line(fields: Fields) -> str:
    return _encode(_line(fields, _Clock.stamp(clock.epoch_seconds()))).decode()


def access_lines(batch: list[Fields]) -> bytes:
    """One turn's access lines as newline-delimited JSON, stamped with the turn's end (to the second)."""
    stamp = _Clock.stamp(clock.epoch_seconds())
    return _encoder.encode_lines([_line(fields, stamp) for fields in batch])


def _log_request(method: str, path: str, status: int, ms: float) -> None:
    handover = _straight_to_writer()
    if handover is not None:
        handover.enqueue((method, path, status, ms))  # made at the end of the loop's turn, with the others
        return
    path = scrub(path)
    record = access_log.makeRecord(access_log.name, logging.INFO, "", 0, "request", (), None)
    record.fields = {"event": "request", "method": method, "path": path, "status": status, "ms": ms}
    line = AccessLine(_Clock.stamp(record.created), "INFO", access_log.name, "request", method, path, status, ms)
    record.line = _encode(line).decode()
    access_log.handle(record)


def access_log_middleware(app: ASGIApp, observe: Callable[[Scope, int, float], None] | None = None) -> ASGIApp:
    """Times every HTTP request once: the JSON access line, and ``observe`` (the metrics) with the seconds.

    It is the outermost wrapper, so it is also where a limited kind of request waits for its turn
    (``caoyuan.web.admission``): the wait is part of the time it logs."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        method: str = scope["method"]  # type: ignore[typeddict-item]  # an HTTP scope (checked above)
        try:
            dropped = await admission.run(app, scope, receive, send_wrapper)  # a limited kind waits its turn
            if dropped is not None:
                status = dropped  # its client left while it waited: nothing ran (web/admission.py)
        finally:
            seconds = time.perf_counter() - started
            if observe is not None:
                observe(scope, status, seconds)
            if access_log.isEnabledFor(logging.INFO):
                _log_request(method, scope["path"], status, round(seconds * 1000, 1))

    return middleware
