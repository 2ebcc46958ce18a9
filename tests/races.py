"""Races with real concurrent connections: contenders fired at once, each in its own session, and the
database read back afterwards (pool, orders, the session's feed), not the answers alone.

Run them on the ``wide`` engine (tests/conftest.py), which has room for every contender's connection.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable

import sqlalchemy as sa

from caoyuan.db import Database
from caoyuan.errors import AppError
from caoyuan.feed import FeedEvent, FeedStream
from storefront.models import Order, StockPool
from storefront.services.place_order import OrderRequest, place_order
from tests.factories.live import Scenario


class Overlap:
    """Counts how many contenders were inside the service at the same moment (the test must really race)."""

    def __init__(self) -> None:
        self.inside = self.most = 0

    async def run(self, work: Callable[[], Awaitable[object]]) -> object:
        self.inside += 1
        self.most = max(self.most, self.inside)
        try:
            return await work()
        except AppError as exc:
            return exc
        finally:
            self.inside -= 1


def request(
    sc: Scenario, key: str | None = None, quantity: int = 1, phone: str = "13800000001", pool_id: int | None = None
) -> OrderRequest:
    return OrderRequest(
        pool_id=pool_id or sc.pool_id,
        quantity=quantity,
        phone=phone,
        name="张三丰",
        province="内蒙古",
        city="鄂尔多斯市",
        county="鄂托克旗",
        detail="乌兰镇团结路 8 号",
        idempotency_key=key or uuid.uuid4().hex,
        live_session_id=sc.session_id,
    )


async def race_orders(database: Database, requests: list[OrderRequest]) -> tuple[list[object], int]:
    overlap = Overlap()

    async def one(req: OrderRequest) -> object:
        async with database.session() as s:
            return await place_order(s, req)

    results = await asyncio.gather(*(overlap.run(lambda r=r: one(r)) for r in requests))
    return list(results), overlap.most


async def pool_state(db: Database, pool_id: int) -> tuple[int, int, int, int]:
    """(remaining, allocated, orders, units ordered) for a pool."""
    async with db.session() as s:
        pool = await s.get(StockPool, pool_id)
        count, units = (
            await s.execute(
                sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Order.quantity), 0)).where(
                    Order.pool_id == pool_id
                )
            )
        ).one()
    return pool.remaining, pool.allocated, count, units  # type: ignore[union-attr]


async def feed_is_gapless(db: Database, session_id: int) -> Counter[str]:
    """The session's feed is numbered 1..N without gaps or repeats; returns how many events of each kind."""
    stream = f"live:{session_id}"
    async with db.session() as s:
        seqs = list(await s.scalars(sa.select(FeedEvent.seq).where(FeedEvent.stream == stream).order_by(FeedEvent.seq)))
        counter = await s.scalar(sa.select(FeedStream.last_seq).where(FeedStream.key == stream))
        kinds = Counter(await s.scalars(sa.select(FeedEvent.kind).where(FeedEvent.stream == stream)))
    assert seqs == list(range(1, len(seqs) + 1)) and counter == len(seqs)
    return kinds
