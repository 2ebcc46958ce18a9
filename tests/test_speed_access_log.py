"""The access line is built without a stack walk and written by the queue's listener thread."""

from __future__ import annotations

import io
import json
import logging
import threading

from caoyuan.web import logging as weblog


async def test_access_line_is_prebuilt_and_written_off_the_event_loop(client, monkeypatch) -> None:
    writer = weblog._listener
    assert writer is not None
    stream = io.StringIO()
    handler = writer.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    writers: list[str] = []
    real_emit = handler.emit

    def emit(record: logging.LogRecord) -> None:
        writers.append(threading.current_thread().name)
        real_emit(record)

    monkeypatch.setattr(handler, "stream", stream)
    monkeypatch.setattr(handler, "emit", emit)

    def no_stack_walk(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the access log walked the stack")

    monkeypatch.setattr(logging.Logger, "findCaller", no_stack_walk)
    response = await client.get("/api/coop/members/11010519491231002X")
    assert response.status_code in (401, 404)
    writer.stop()  # drains the queue
    writer.start()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [line for line in lines if line.get("logger") == "caoyuan.access"]
    assert len(access) == 1
    line = access[0]
    assert list(line) == ["ts", "level", "logger", "event", "method", "path", "status", "ms"]
    assert line["path"] == "/api/coop/members/110105********002X"  # scrubbed as before
    assert line["status"] == response.status_code and line["method"] == "GET" and line["level"] == "INFO"
    assert writers and threading.main_thread().name not in writers
