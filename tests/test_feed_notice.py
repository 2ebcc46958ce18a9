"""A commit's NOTIFYs carry its events: every process's tail keeps them as they arrive, without reading the
table back, and only when they follow on from what it holds (else it reads the table: nothing lost, nothing
twice)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
import sqlalchemy as sa

from caoyuan.app import asyncpg_dsn
from caoyuan.db import utcnow
from caoyuan.feed.hub import HUB, PostgresListener, parse_notice
from caoyuan.feed.numbering import CHUNK, notify_sql, numbered_steps
from caoyuan.feed.tail import Item, StreamTail, reading, replay

AT = datetime(2026, 12, 2, 4, 30, 0, 123456, tzinfo=UTC)


def _items(first: int, last: int) -> list[Item]:
    return [Item(seq, "note", f'{{"n":{seq}}}', AT) for seq in range(first, last + 1)]


def _started_tail() -> StreamTail:
    tail = StreamTail(None, "live:notice-unit")  # type: ignore[arg-type]  # take() never touches the database
    tail._started.set()
    return tail


def test_a_notice_is_the_stream_and_its_rows_or_the_stream_alone(caplog: pytest.LogCaptureFixture) -> None:
    assert parse_notice("live:7") == ("live:7", None)
    at = AT.isoformat()
    assert parse_notice(f'live:7\n[[5,"stock","{{\\"remaining\\":3}}","{at}"]]') == (
        "live:7",
        [(5, "stock", '{"remaining":3}', at)],
    )
    with caplog.at_level(logging.WARNING, logger="caoyuan.feed"):
        assert parse_notice('live:7\n[[5,"stock"]]') == ("live:7", None)  # not ours: read the table instead
    assert "not understood" in caplog.text


def test_a_tail_keeps_what_follows_on_and_skips_what_it_holds() -> None:
    tail = _started_tail()
    version = tail.version
    assert tail.take(_items(1, 3)) and tail.last_seq == 3 and tail.version == version + 1
    assert tail.take(_items(2, 5))  # 2 and 3 held already: only 4 and 5 kept
    assert [item.seq for item in tail.ring] == [1, 2, 3, 4, 5] and tail.version == version + 2
    assert tail.take(_items(1, 5)) and tail.version == version + 2  # nothing new: no wake-up for the readers


def test_a_tail_keeps_nothing_that_would_leave_a_gap() -> None:
    tail = _started_tail()
    tail.take(_items(1, 3))
    assert not tail.take(_items(5, 6))  # 4 missing
    assert not tail.take([*_items(4, 4), *_items(6, 6)])  # a hole inside
    assert [item.seq for item in tail.ring] == [1, 2, 3] and tail.last_seq == 3


def _batch_sql() -> str:
    """A domain's statement as numbering.py asks: n rows, one numbered event each, and the NOTIFYs."""
    rows = (
        "rows AS (SELECT n AS rank, CAST(:body AS TEXT) || n AS body FROM generate_series(1, CAST(:n AS INTEGER)) AS n)"
    )
    payload = "CAST(json_build_object('n', r.body) AS TEXT)"
    steps = [rows, *numbered_steps("rows", [("note", payload)])]
    return f"WITH {', '.join(steps)} SELECT {notify_sql()} AS notified"


async def _commit_batch(db, stream: str, channel: str, n: int, body: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Commit one statement of n events while a LISTEN connection looks on; the payloads it received."""
    got: list[str] = []
    listener = await asyncpg.connect(asyncpg_dsn(str(db.engine.url.render_as_string(hide_password=False))))
    try:
        await listener.add_listener(channel, lambda *args: got.append(args[3]))
        params = {"n": n, "body": body, "feed_stream": stream, "feed_channel": channel, "feed_now": utcnow()}
        async with db.engine.begin() as conn:
            await conn.execute(sa.text(_batch_sql()), params)
        for _ in range(200):
            await asyncio.sleep(0.01)
            if len(got) >= -(-n // CHUNK):  # every chunk in (one a CHUNK events at most)
                break
        await asyncio.sleep(0.05)  # anything more than expected would show too
    finally:
        await listener.close()
    return got


@pytest.mark.postgres_only
async def test_a_commits_notices_carry_its_events_as_a_pull_reads_them(db) -> None:  # type: ignore[no-untyped-def]
    stream, channel = f"live:notice-{uuid.uuid4().hex[:8]}", f"test_{uuid.uuid4().hex[:8]}"
    got = await _commit_batch(db, stream, channel, 40, '草原 "羊" \\ ')
    parsed = [parse_notice(payload) for payload in got]
    assert all(name == stream and rows for name, rows in parsed)
    seqs = [row[0] for _, rows in parsed for row in rows or []]
    assert seqs == list(range(1, 41))  # every event once, in seq order, the chunks in order
    assert all(len(rows or []) <= CHUNK for _, rows in parsed)
    async with reading(db, stream) as tail:
        before = tail.last_seq
        assert before == 40  # the tail read the table when it started
    noticed = [
        Item(seq, kind, payload, datetime.fromisoformat(at).astimezone(UTC))
        for _, rows in parsed
        for seq, kind, payload, at in rows or []
    ]
    pulled = await replay(db, stream, 0)
    assert [item.wire_text() for item in noticed] == [item.wire_text() for item in pulled]


@pytest.mark.postgres_only
async def test_events_too_big_for_a_notice_are_announced_by_the_stream_alone(db) -> None:  # type: ignore[no-untyped-def]
    stream, channel = f"live:notice-{uuid.uuid4().hex[:8]}", f"test_{uuid.uuid4().hex[:8]}"
    got = await _commit_batch(db, stream, channel, 3, "草" * 3000)  # 9,000 bytes of UTF-8 an event
    assert got and all(payload == stream for payload in got)


@pytest.mark.postgres_only
async def test_a_started_tail_takes_the_notices_events_without_reading_the_table(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    stream, channel = f"live:notice-{uuid.uuid4().hex[:8]}", f"test_{uuid.uuid4().hex[:8]}"
    await _commit_batch(db, stream, channel, 2, "头")
    async with reading(db, stream) as tail:
        assert tail.last_seq == 2
        pulls: list[int] = []

        async def pull() -> None:  # a wake-up reads the table: none may come while the notices follow on
            pulls.append(tail.last_seq)

        monkeypatch.setattr(tail, "pull", pull)
        woken = HUB.version(stream)
        got = await _commit_batch(db, stream, channel, 20, "尾")
        for payload in got:
            HUB.notice(payload)
        assert tail.last_seq == 22 and HUB.version(stream) == woken and not pulls
        assert [item.wire_text() for item in tail.since(2) or []] == [
            item.wire_text() for item in await replay(db, stream, 2)
        ]
        HUB.notice(got[-1])  # a notice seen twice changes nothing
        assert tail.last_seq == 22 and HUB.version(stream) == woken
        bare = await _commit_batch(db, stream, channel, 1, "草" * 3000)
        HUB.notice(bare[0])  # the stream alone: the readers are woken to read the table
        assert HUB.version(stream) == woken + 1
        for _ in range(100):
            if pulls:
                break
            await asyncio.sleep(0.01)
        assert pulls == [22]


@pytest.mark.postgres_only
async def test_the_hub_knows_at_once_when_its_listen_connection_is_gone_and_when_it_is_back(db) -> None:  # type: ignore[no-untyped-def]
    """While it listens, the batch leaves the local wake-up to the NOTIFYs; a killed LISTEN connection must
    hand that back at once (not at the listener's next look, seconds later), and take it again on reconnect."""
    listener = PostgresListener(asyncpg_dsn(db.engine.url.render_as_string(hide_password=False)))
    await listener.start()
    try:
        await _until(lambda: HUB.listening)
        pid = listener._conn.get_server_pid()
        async with db.engine.begin() as conn:
            await conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await _until(lambda: not HUB.listening, seconds=1.0)
        await _until(lambda: HUB.listening and listener._conn.get_server_pid() != pid, seconds=10.0)
    finally:
        await listener.stop()
    assert not HUB.listening


async def _until(condition, seconds: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not within the time")
