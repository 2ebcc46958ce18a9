"""The kernel's group statements: calls that arrive together share one run; shutdown hands the connection back."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import sqlalchemy as sa

from caoyuan.db import batches
from caoyuan.db.batches import Batcher


@dataclass
class _Call:
    n: int
    future: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


async def test_calls_in_flight_share_a_run_and_shutdown_returns_the_connection(db) -> None:
    runs: list[list[int]] = []

    async def run(conn, key, batch):  # type: ignore[no-untyped-def]
        total = (await conn.execute(sa.text("SELECT 40 + 2"))).scalar_one()
        runs.append([call.n for call in batch])
        for call in batch:
            call.future.set_result((key, call.n, total))
        return []

    def fail(batch):  # type: ignore[no-untyped-def]
        for call in batch:
            call.future.set_exception(RuntimeError("failed"))

    batcher: Batcher[_Call] = Batcher("test", run, fail, window=0.05, linger=30.0)
    answers = await asyncio.gather(*(batcher.submit(db.engine, "k", _Call(n)) for n in range(5)))
    assert answers == [("k", n, 42) for n in range(5)]
    assert runs == [[0, 1, 2, 3, 4]]  # one run for the five that came within the window
    pool = db.engine.sync_engine.pool
    assert pool.checkedout() == 1  # the runner keeps its connection while it lingers (30 s here)
    async with asyncio.timeout(5):
        await batches.finish(db.engine)  # at shutdown it does not wait out its linger
    assert pool.checkedout() == 0


async def test_a_failed_run_answers_every_call_and_the_next_call_starts_afresh(db) -> None:
    attempts: list[int] = []

    async def run(conn, key, batch):  # type: ignore[no-untyped-def]
        attempts.append(len(batch))
        if len(attempts) == 1:
            raise RuntimeError("the statement failed")
        for call in batch:
            call.future.set_result("placed")
        return []

    def fail(batch):  # type: ignore[no-untyped-def]
        for call in batch:
            call.future.set_result("alone")

    batcher: Batcher[_Call] = Batcher("test", run, fail, window=0.01, linger=0.01)
    first = await asyncio.gather(*(batcher.submit(db.engine, "k", _Call(n)) for n in range(3)))
    assert first == ["alone"] * 3
    assert await batcher.submit(db.engine, "k", _Call(9)) == "placed"
    await batches.finish(db.engine)


async def test_a_crowd_in_cohorts_is_served_a_share_at_a_time_and_none_is_left_behind(db) -> None:
    runs: list[list[int]] = []

    async def run(conn, key, batch):  # type: ignore[no-untyped-def]
        runs.append([call.n for call in batch])
        for call in batch:
            call.future.set_result(call.n)
        return []

    def fail(batch):  # type: ignore[no-untyped-def]
        assert not batch, "no run fails here"

    batcher: Batcher[_Call] = Batcher("test", run, fail, cohorts=3, linger=0.01)
    crowd = [batcher.submit(db.engine, "k", _Call(n)) for n in range(30)]
    assert await asyncio.gather(*crowd) == list(range(30))
    assert runs[0] == list(range(10))  # a third of the crowd, in the order it came
    assert sorted(n for run_ in runs for n in run_) == list(range(30))  # each served once
    assert all(len(run_) <= 10 for run_ in runs)

    for size in (batches.SPLIT_FROM - 1, batches.SPLIT_UP_TO + 1):  # too small to gain, big enough already
        await batches.finish(db.engine)  # the crowd before has gone: the next runner starts afresh
        runs.clear()
        await asyncio.gather(*(batcher.submit(db.engine, "k", _Call(n)) for n in range(size)))
        assert runs == [list(range(size))]  # not split: one statement
    await batches.finish(db.engine)
