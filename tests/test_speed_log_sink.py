"""The event loop writes a turn's access lines itself where that can never make it wait (web/logsink.py)."""

from __future__ import annotations

import asyncio
import fcntl
import io
import json
import logging
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from caoyuan.web import logging as weblog


@pytest.fixture
def fresh_writer() -> Iterator[None]:
    yield
    weblog.configure_logging()  # the next test's writer on the real stderr again


def _writer(monkeypatch: pytest.MonkeyPatch, stream) -> weblog._Writer:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "stderr", stream)
    weblog.configure_logging()
    assert weblog._listener is not None
    return weblog._listener


def _paths(text: str) -> list[str]:
    return [json.loads(line).get("path") or json.loads(line)["msg"] for line in text.splitlines()]


async def test_to_a_file_the_loop_writes_its_turns_lines_itself(tmp_path: Path, monkeypatch, fresh_writer) -> None:
    with (tmp_path / "log").open("w") as stream:
        writer = _writer(monkeypatch, stream)
        for n in range(3):
            weblog._log_request("GET", f"/live/{n}", 200, 1.0)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert writer.handover.queued == 0  # nothing crossed to the thread
        assert _paths((tmp_path / "log").read_text()) == ["/live/0", "/live/1", "/live/2"]
        logging.getLogger("caoyuan.test").error("支付回调失败")  # a record: formatted by the thread, in its place
        weblog._log_request("GET", "/live/3", 200, 1.0)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        writer.stop()
        writer.start()
    assert _paths((tmp_path / "log").read_text())[3:] == ["支付回调失败", "/live/3"]


async def test_to_a_pipe_through_its_own_non_blocking_description(monkeypatch, fresh_writer) -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as reader, os.fdopen(write_end, "w") as stream:
        writer = _writer(monkeypatch, stream)
        weblog._log_request("POST", "/api/live/sessions/1/orders", 201, 2.0)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert writer.handover.queued == 0
        assert os.get_blocking(write_end)  # the process's own fd is left blocking for everyone else
        line = json.loads(os.read(reader.fileno(), 65536))
        assert line["path"] == "/api/live/sessions/1/orders" and line["status"] == 201


async def test_a_full_pipe_never_stops_the_loop_and_loses_nothing(monkeypatch, fresh_writer) -> None:
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)  # one page: a turn of 200 lines does not fit
    turn_done = threading.Event()
    received = bytearray()
    waited_for_loop: list[bool] = []

    def read_later() -> None:  # the log's reader, slow: it starts only once the loop's turn is over
        waited_for_loop.append(turn_done.wait(timeout=10))
        while chunk := os.read(read_end, 65536):
            received.extend(chunk)

    reading = threading.Thread(target=read_later)
    with os.fdopen(write_end, "w") as stream:
        writer = _writer(monkeypatch, stream)
        reading.start()
        for n in range(200):
            weblog._log_request("GET", f"/live/{n}", 200, 1.0)
        await asyncio.sleep(0)
        await asyncio.sleep(0)  # the loop wrote what fitted and went on: it did not wait for the reader
        turn_done.set()
        for n in range(200, 210):  # a later turn: after the rest, which the thread is still writing
            weblog._log_request("GET", f"/live/{n}", 200, 1.0)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        writer.close()  # drains the thread's queue, then closes the sink's own description
    reading.join(timeout=10)
    os.close(read_end)
    assert waited_for_loop == [True]  # the reader began because the loop's turn ended, not by its timeout
    assert writer.handover.queued >= 1
    assert _paths(received.decode()) == [f"/live/{n}" for n in range(210)]


def test_a_turn_its_loop_left_unfinished_goes_with_the_next_loops_first_line(
    tmp_path: Path, monkeypatch, fresh_writer
) -> None:
    with (tmp_path / "log").open("w") as stream:
        _writer(monkeypatch, stream)

        async def log(path: str, turns: int) -> None:
            weblog._log_request("GET", path, 200, 1.0)
            for _ in range(turns):
                await asyncio.sleep(0)

        first = asyncio.new_event_loop()
        first.run_until_complete(log("/live/1", 0))  # the loop stops before its turn's write comes round
        first.close()
        second = asyncio.new_event_loop()
        second.run_until_complete(log("/live/2", 2))
        second.close()
    assert _paths((tmp_path / "log").read_text()) == ["/live/1", "/live/2"]


async def test_a_replaced_writers_sink_writes_nothing_more(monkeypatch, fresh_writer) -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb"), os.fdopen(write_end, "w") as stream:
        old = _writer(monkeypatch, stream)
        sink = old.handover.sink
        assert sink is not None and sink.serves(stream)
        monkeypatch.setattr(sys, "stderr", io.StringIO())  # the next writer opens no file of its own
        weblog.configure_logging()  # an app made again: the old writer closes, its pipe description too
        assert not sink.serves(stream)
        later_read, later_write = os.pipe()  # new files take the lowest free numbers: the closed one's too
        try:
            assert sink.fd in (later_read, later_write)
            os.set_blocking(later_read, False)
            old.handover._send(["a line for the old writer"])  # must not land in whatever has its number now
            with pytest.raises(BlockingIOError):
                os.read(later_read, 100)
        finally:
            os.close(later_read)
            os.close(later_write)


def test_dev_null_is_written_by_the_loop_and_a_stream_without_a_file_keeps_the_thread() -> None:
    from caoyuan.web.logsink import Sink

    with open(os.devnull, "w") as null:
        assert Sink.for_stream(null) is not None
    assert Sink.for_stream(io.StringIO()) is None
