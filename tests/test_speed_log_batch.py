"""On the event loop, one turn's access lines reach the writer thread together and are written with one write."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Callable

from caoyuan.web import logging as weblog


def _capture(monkeypatch) -> Callable[[], str]:
    """The access log configured on the running loop, its writer thread writing to a string; the function
    returned stops the thread (which drains its queue), starts it again and returns what was written."""
    weblog.configure_logging()
    writer = weblog._listener
    assert writer is not None
    stream = io.StringIO()
    monkeypatch.setattr(writer.handlers[0], "stream", stream)

    def drained() -> str:
        writer.stop()
        writer.start()
        return stream.getvalue()

    return drained


async def test_one_turns_lines_are_one_write_and_an_error_between_keeps_its_place(monkeypatch) -> None:
    weblog.configure_logging()
    writer = weblog._listener
    assert writer is not None
    handler = writer.handlers[0]
    stream = io.StringIO()
    emitted: list[str] = []
    real_emit = handler.emit

    def emit(record: logging.LogRecord) -> None:
        emitted.append(handler.format(record))
        real_emit(record)

    monkeypatch.setattr(handler, "stream", stream)
    monkeypatch.setattr(handler, "emit", emit)
    for n in range(3):  # one turn of the loop: three requests end
        weblog._log_request("GET", f"/live/{n}", 200, 1.0)
    logging.getLogger("caoyuan.test").error("支付回调失败")
    weblog._log_request("POST", "/api/live/sessions/1/orders", 201, 2.0)
    await asyncio.sleep(0)  # the turn ends: the batch crosses
    await asyncio.sleep(0)
    writer.stop()  # drains the queue
    writer.start()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line.get("path", line.get("msg")) for line in lines] == [
        "/live/0",
        "/live/1",
        "/live/2",
        "支付回调失败",
        "/api/live/sessions/1/orders",
    ]
    assert len(emitted) == 3  # three access lines in one write, the error, the last access line


async def test_a_line_logged_just_before_the_writer_stops_is_not_lost(monkeypatch) -> None:
    written = _capture(monkeypatch)
    weblog._log_request("GET", "/healthz", 200, 0.1)
    # drained before the loop's turn ended: the waiting batch goes first
    assert json.loads(written())["path"] == "/healthz"


async def test_with_nobody_else_listening_the_line_goes_without_a_log_record(monkeypatch) -> None:
    written = _capture(monkeypatch)

    def no_record(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a LogRecord was made on the event loop")

    real = logging.Logger.makeRecord
    monkeypatch.setattr(logging.Logger, "makeRecord", no_record)
    weblog._log_request("GET", "/api/coop/members/11010519491231002X", 404, 0.3)
    await asyncio.sleep(0)
    monkeypatch.setattr(logging.Logger, "makeRecord", real)
    line = json.loads(written())
    assert list(line) == ["ts", "level", "logger", "event", "method", "path", "status", "ms"]
    assert line["path"] == "/api/coop/members/110105********002X" and line["status"] == 404


async def test_a_requests_line_is_made_when_its_turn_ends_not_while_it_is_answered(monkeypatch) -> None:
    written = _capture(monkeypatch)
    made: list[str] = []
    real_scrub = weblog.scrub
    monkeypatch.setattr(weblog, "scrub", lambda text: made.append(text) or real_scrub(text))
    weblog._log_request("GET", "/live/1", 200, 1.5)
    weblog._log_request("POST", "/api/coop/members/13800138000", 201, 2.25)
    assert made == []  # nothing encoded yet: the request only left its fields
    await asyncio.sleep(0)
    assert made == ["/live/1", "/api/coop/members/13800138000"]
    lines = [json.loads(line) for line in written().splitlines()]
    assert [(line["method"], line["path"], line["status"], line["ms"]) for line in lines] == [
        ("GET", "/live/1", 200, 1.5),
        ("POST", "/api/coop/members/138****8000", 201, 2.25),
    ]
    assert lines[0]["ts"] == lines[1]["ts"]  # one turn, one timestamp
