"""Reads for the fulfilment desk: recent ship dates, refunds awaiting a hand, orders counted by status."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.models import Order, Refund, RefundStatus
from storefront.services.refund import DECIDED


async def recent_ship_dates(db: AsyncSession, limit: int = 14) -> list[date]:
    rows = await db.scalars(
        sa.select(Order.ship_by)
        .where(Order.ship_by.is_not(None))
        .distinct()
        .order_by(Order.ship_by.desc())
        .limit(limit)
    )
    return list(rows)  # type: ignore[arg-type]


async def open_refunds(db: AsyncSession) -> list[tuple[Refund, Order]]:
    """Refunds requested or decided but not yet finished, oldest first, each with its order."""
    rows = await db.execute(
        sa.select(Refund, Order)
        .join(Order, Order.id == Refund.order_id)
        .where(Refund.status.in_([RefundStatus.REQUESTED, *DECIDED]))
        .order_by(Refund.id)
    )
    return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def status_counts(db: AsyncSession) -> dict[str, int]:
    return dict((await db.execute(sa.select(Order.status, sa.func.count()).group_by(Order.status))).all())  # type: ignore[arg-type]
