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
