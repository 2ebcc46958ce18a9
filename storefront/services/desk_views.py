"""Reads for the fulfilment desk and its admin API: orders and refunds listed, ship dates, counts by status."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.models import Order, OrderStatus, Refund, RefundStatus
from storefront.services.desk_scope import Kept, order_clause
from storefront.services.refund import DECIDED


async def recent_ship_dates(db: AsyncSession, limit: int = 14, kept: Kept = None) -> list[date]:
    rows = await db.scalars(
        sa.select(Order.ship_by)
        .where(Order.ship_by.is_not(None), order_clause(kept))
        .distinct()
        .order_by(Order.ship_by.desc())
        .limit(limit)
    )
    return list(rows)  # type: ignore[arg-type]


async def open_refunds(db: AsyncSession, kept: Kept = None) -> list[tuple[Refund, Order]]:
    """Refunds requested or decided but not yet finished, oldest first, each with its order."""
    rows = await db.execute(
        sa.select(Refund, Order)
        .join(Order, Order.id == Refund.order_id)
        .where(Refund.status.in_([RefundStatus.REQUESTED, *DECIDED]), order_clause(kept))
        .order_by(Refund.id)
    )
    return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def status_counts(db: AsyncSession, kept: Kept = None) -> dict[str, int]:
    query = sa.select(Order.status, sa.func.count()).where(order_clause(kept)).group_by(Order.status)
    return dict((await db.execute(query)).all())  # type: ignore[arg-type]


async def orders(
    db: AsyncSession, status: OrderStatus | None, ship_by: date | None, limit: int, kept: Kept = None
) -> list[Order]:
    """Newest first, optionally only one status or one ship date."""
    query = sa.select(Order).where(order_clause(kept)).order_by(Order.id.desc()).limit(limit)
    if status:
        query = query.where(Order.status == status)
    if ship_by:
        query = query.where(Order.ship_by == ship_by)
    return list(await db.scalars(query))


async def refunds(db: AsyncSession, status: str | None, kept: Kept = None) -> list[tuple[Refund, str]]:
    """Newest first, each with its order's public number, optionally only one status."""
    query = (
        sa.select(Refund, Order.public_no)
        .join(Order, Order.id == Refund.order_id)
        .where(order_clause(kept))
        .order_by(Refund.id.desc())
    )
    if status:
        query = query.where(Refund.status == status)
    return [tuple(r) for r in (await db.execute(query)).all()]  # type: ignore[misc]


async def public_no_of(db: AsyncSession, order_id: int) -> str:
    order = await db.get(Order, order_id)
    return order.public_no  # type: ignore[union-attr]
