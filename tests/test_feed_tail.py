"""A stream's tail reads new events in one statement: on PostgreSQL in one round trip on the driver, the same
items as SQLAlchemy reads, in order, without a transaction around them."""

from __future__ import annotations

import json

import pytest

from caoyuan.db import prepared
from caoyuan.feed.outbox import append_event, events_after
from caoyuan.feed.tail import StreamTail, to_item

STREAM = "live:tail-test"


async def _append(db, count: int) -> None:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        for n in range(count):
            await append_event(s, STREAM, "note", {"n": n, "text": "草原"})


@pytest.fixture
def driver_statements():  # type: ignore[no-untyped-def]
    """The SQL of every statement sent past SQLAlchemy to asyncpg (caoyuan.db.prepared.fetch) during the test."""
    seen: list[str] = []
    prepared.WATCHERS.append(lambda sql, params: seen.append(sql))
    yield seen
    prepared.WATCHERS.clear()


async def test_a_pull_reads_every_new_event_in_order(db) -> None:  # type: ignore[no-untyped-def]
    await _append(db, 3)
    tail = StreamTail(db, STREAM)
    await tail.pull()
    assert [item.seq for item in tail.ring] == [1, 2, 3] and tail.last_seq == 3
    assert tail.ring[0].data == {"n": 0, "text": "草原"}
    assert tail.ring[0].at.utcoffset() is not None  # aware, as the host's "at" is written from it
    version = tail.version
    await _append(db, 2)
    await tail.pull()
    assert [item.seq for item in tail.ring] == [1, 2, 3, 4, 5] and tail.last_seq == 5
    assert tail.version == version + 1
    await tail.pull()  # nothing new: no change for the readers
    assert tail.version == version + 1


@pytest.mark.postgres_only
async def test_on_postgresql_a_pull_is_one_statement_on_the_driver_and_reads_what_sqlalchemy_reads(
    db, driver_statements
) -> None:  # type: ignore[no-untyped-def]
    await _append(db, 4)
    seen = driver_statements
    async with db.reader_engine.connect() as conn:
        driver = await events_after(conn, STREAM, 1, 10)
        statements = []
        raw = (await conn.get_raw_connection()).driver_connection
        raw.add_query_logger(lambda record: statements.append(record.query))
        await events_after(conn, STREAM, 1, 10)
        assert not conn.in_transaction()  # no BEGIN before it, so no ROLLBACK at check-in
    assert len(seen) == 2 and statements == seen[1:]  # the statement alone went to the server
    async with db.reader() as s:  # a session: SQLAlchemy's own execution
        through_sqlalchemy = await events_after(s, STREAM, 1, 10)
    assert [to_item(row) for row in driver] == [to_item(row) for row in through_sqlalchemy]
    assert [to_item(row).seq for row in driver] == [2, 3, 4]


@pytest.mark.postgres_only
async def test_inside_a_transaction_the_read_stays_in_it(db, driver_statements) -> None:  # type: ignore[no-untyped-def]
    """A connection that has begun a transaction keeps its isolation: SQLAlchemy runs the read there."""
    await _append(db, 2)
    async with db.engine.connect() as conn, conn.begin():
        rows = await events_after(conn, STREAM, 0, 10)
    assert [row[0] for row in rows] == [1, 2] and driver_statements == []


def test_an_items_wire_time_is_its_own_whatever_items_came_before() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from caoyuan.feed.tail import Item

    utc = datetime(2026, 12, 2, 8, 30, 0, 123456, tzinfo=UTC)
    beijing = utc.astimezone(timezone(timedelta(hours=8)))  # the same instant, another zone: an equal key
    for first, second in ((utc, beijing), (beijing, utc)):
        Item(1, "note", "{}", first)
        assert json.loads(Item(2, "note", "{}", second).wire_text())["at"] == second.isoformat()
