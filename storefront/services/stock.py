"""Guarded stock movements. Stock is never read-then-written: every change is one conditional statement."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import utcnow
from storefront.models import Sku, StockPool, WaitlistEntry

OFFER_MINUTES = 5


async def take(db: AsyncSession, pool_id: int, quantity: int) -> int | None:
    """Reserve from an open pool; returns what is left, or None when there is not enough."""
    row = (
        await db.execute(
            sa.update(StockPool)
            .where(StockPool.id == pool_id, StockPool.remaining >= quantity, StockPool.open.is_(True))
            .values(remaining=StockPool.remaining - quantity)
            .returning(StockPool.remaining)
        )
    ).first()
    return None if row is None else row[0]


async def put_back(db: AsyncSession, pool_id: int, quantity: int, now: datetime | None = None) -> int:
    """Give released units first to the oldest waiting buyers (as a short hold), the rest back to the pool.

    Returns the pool's remaining stock afterwards (0 for a closed pool, whose units go back upstream).
    """
    now = now or utcnow()
    pool = (
        await db.execute(
            sa.select(StockPool.open, StockPool.sku_id, StockPool.return_to_pool_id).where(StockPool.id == pool_id)
        )
    ).first()
    if pool is not None and not pool.open:
        # The sale is over: late releases go where the pool's stock went (the shelf, or the catalogue).
        if pool.return_to_pool_id:
            await put_back(db, pool.return_to_pool_id, quantity, now)
            return 0
        await db.execute(sa.update(Sku).where(Sku.id == pool.sku_id).values(stock=Sku.stock + quantity))
        return 0
    left = quantity
    waiting = await db.scalars(
        sa.select(WaitlistEntry)
        .where(WaitlistEntry.pool_id == pool_id, WaitlistEntry.status == "waiting")
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .limit(50)
    )
    for entry in waiting:
        if entry.quantity > left:
            continue  # the oldest request that fits gets it
        offered = await db.execute(
            sa.update(WaitlistEntry)
            .where(WaitlistEntry.id == entry.id, WaitlistEntry.status == "waiting")
            .values(status="offered", held=entry.quantity, offer_expires_at=now + timedelta(minutes=OFFER_MINUTES))
        )
        if offered.rowcount == 1:
            left -= entry.quantity
        if left == 0:
            break
    result = await db.execute(
        sa.update(StockPool)
        .where(StockPool.id == pool_id)
        .values(remaining=StockPool.remaining + left)
        .returning(StockPool.remaining)
    )
    return result.scalar_one()


async def lapse_offers(db: AsyncSession, now: datetime | None = None) -> int:
    """Offers nobody claimed in time go to the next buyer (or back to the pool)."""
    now = now or utcnow()
    lapsed = (
        await db.execute(
            sa.update(WaitlistEntry)
            .where(WaitlistEntry.status == "offered", WaitlistEntry.offer_expires_at < now)
            .values(status="lapsed")
            .returning(WaitlistEntry.pool_id, WaitlistEntry.held)
        )
    ).all()
    for pool_id, held in lapsed:
        await put_back(db, pool_id, held, now)
    return len(lapsed)
