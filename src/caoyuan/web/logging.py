"""One structured (JSON) log line per request: method, path, status, ms. No bodies, no query strings.

The access line is the one log record every request makes, so it is made cheaply: the middleware builds
the record itself (no ``findCaller`` stack walk) with its JSON line already encoded by msgspec, and the
``caoyuan`` handlers sit behind a queue, so the write to stderr happens in a listener thread, not on the
event loop that serves requests.
"""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import queue
import sys
import time
from collections.abc import Callable

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from caoyuan.identity import scrub

access_log = logging.getLogger("caoyuan.access")
_listener: logging.handlers.QueueListener | None = None


class AccessLine(msgspec.Struct):
    ts: str
    level: str
    logger: str
    event: str
    method: str
    path: str
    status: int
    ms: float


_encode = msgspec.json.Encoder().encode


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
    """Queue the record as it is: formatting happens in the listener thread (same process, nothing pickled)."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        if record.exc_info and not record.exc_text:
            # The traceback must be rendered now, while its frames are what they were.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        return record


def configure_logging(level: str = "INFO") -> None:
    global _listener
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    if _listener is not None:
        _listener.stop()  # an app made again in the same process (tests) replaces the old writer
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    _listener = logging.handlers.QueueListener(records, handler, respect_handler_level=False)
    _listener.start()
    root = logging.getLogger("caoyuan")
    root.handlers[:] = [_HandOver(records)]  # type: ignore[arg-type]
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


def _log_request(method: str, path: str, status: int, ms: float) -> None:
    path = scrub(path)
    record = access_log.makeRecord(access_log.name, logging.INFO, "", 0, "request", (), None)
    record.fields = {"event": "request", "method": method, "path": path, "status": status, "ms": ms}
    line = AccessLine(_Clock.stamp(record.created), "INFO", access_log.name, "request", method, path, status, ms)
    record.line = _encode(line).decode()
    access_log.handle(record)


def access_log_middleware(app: ASGIApp, observe: Callable[[Scope, int, float], None] | None = None) -> ASGIApp:
    """Times every HTTP request once: the JSON access line, and ``observe`` (the metrics) with the seconds."""

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

        try:
            await app(scope, receive, send_wrapper)
        finally:
            seconds = time.perf_counter() - started
            if observe is not None:
                observe(scope, status, seconds)
            if access_log.isEnabledFor(logging.INFO):
                _log_request(scope["method"], scope["path"], status, round(seconds * 1000, 1))

    return middleware
