"""Which cooperatives' orders an admin's fulfilment desk and admin API reach (issue 10: one village's accountant
does not see or handle another village's buyers).

``Kept`` is the set of cooperative ids an admin keeps, or None for the install's admin (every order, the demo's
orders of no cooperative too). The grants come from coop.reads, coop's read API for the other domains.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from caoyuan.errors import NotFound
from coop import reads
from storefront.models import Order, Refund

Kept = frozenset[int] | None


async def kept_by(db: AsyncSession, user_id: int) -> Kept:
    allowed = await reads.kept(db, user_id)
    return None if allowed is None else frozenset(allowed)


def order_clause(kept: Kept) -> Any:
    """A WHERE clause limiting orders to the kept cooperatives (nothing to limit for the install's admin)."""
    return sa.true() if kept is None else col(Order.cooperative_id).in_(sorted(kept) or [0])


def reaches(order: Order, kept: Kept) -> bool:
    return kept is None or order.cooperative_id in kept


async def require_refund(db: AsyncSession, refund_id: int, kept: Kept) -> None:
    """Another village's refund answers as if it did not exist."""
    if kept is None:
        return
    refund = await db.get(Refund, refund_id)
    order = await db.get(Order, refund.order_id) if refund is not None else None
    if order is None or not reaches(order, kept):
        raise NotFound("没有这笔退款")
