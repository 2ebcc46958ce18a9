"""Unpaid orders expire: cancelled, their stock returned exactly once, their Alipay trade closed."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import utcnow
from caoyuan.db.transition import transition
from caoyuan.web import metrics
from storefront.models import BuyerQuota, Order, OrderStatus, StockPool
from storefront.services import stock
from storefront.services.events import order_event, sku_label, stock_event
from storefront.states import ORDER


async def expire_due(db: AsyncSession, now: datetime | None = None, limit: int = 200) -> list[str]:
    """Expire what is overdue; returns the public numbers whose Alipay trades should now be closed."""
    now = now or utcnow()
    due = (
        await db.scalars(
            sa.select(Order.id)
            .where(Order.status == OrderStatus.PENDING, Order.expires_at <= now)
            .order_by(Order.expires_at)
            .limit(limit)
        )
    ).all()
    closed = []
    for order_id in due:
        if (public_no := await release(db, order_id, OrderStatus.EXPIRED, "超时未付款", now)) is not None:
            closed.append(public_no)
    await stock.lapse_offers(db, now)
    return closed


async def release(db: AsyncSession, order_id: int, status: str, reason: str, now: datetime) -> str | None:
    """Move a pending order to expired/cancelled and give its stock back. A no-op if it already moved."""
    action = "cancel" if status == OrderStatus.CANCELLED else "expire"
    moved = await transition(
        db,
        Order,
        order_id,
        action,
        ORDER,
        synchronize_session=False,
        closed_at=now,
        close_reason=reason,
        stock_returned=True,
    )
    if not moved:
        return None  # paid, or another sweeper got there first: the stock goes back only once
    metrics.count_on_commit(db, str(status))
    order = await db.get(Order, order_id, populate_existing=True)
    await _return_quota(db, order)  # type: ignore[arg-type]
    if order.pool_id is not None:  # type: ignore[union-attr]
        pool = await db.get(StockPool, order.pool_id)  # type: ignore[union-attr]
        remaining = await stock.put_back(db, order.pool_id, order.quantity, now)  # type: ignore[union-attr]
        await order_event(db, pool.feed_stream, f"order_{status}", order, await sku_label(db, order.sku_id))  # type: ignore[union-attr,arg-type]
        await stock_event(db, pool.feed_stream, pool.id, remaining)  # type: ignore[union-attr,arg-type]
    return order.public_no  # type: ignore[union-attr]


async def _return_quota(db: AsyncSession, order: Order) -> None:
    await db.execute(
        sa.update(BuyerQuota)
        .where(
            BuyerQuota.pool_id == order.pool_id,
            BuyerQuota.phone == order.buyer_phone,
            BuyerQuota.used >= order.quantity,
        )
        .values(used=BuyerQuota.used - order.quantity)
    )
