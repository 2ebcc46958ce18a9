"""Session analytics: GMV counted at payment, orders, paid rate, per product, buyers, over time, per room."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from caoyuan.money import BP_WHOLE, format_fen
from storefront.models import Order, Product, Sku
from streaming.models import LiveSession
from streaming.rules import local_hour
from streaming.schemas import StatsOut
from streaming.services.access import session_of_stream


async def session_gmv(db: AsyncSession, session_id: int) -> int:
    """Running GMV of a live session, counted at payment (refunds are reported apart)."""
    paid = sa.select(sa.func.coalesce(sa.func.sum(col(Order.total_fen)), 0)).where(
        col(Order.live_session_id) == session_id, col(Order.paid_at).is_not(None)
    )
    return int(await db.scalar(paid) or 0)


async def gmv_on_order_paid(db: AsyncSession, stream: str, payload: dict) -> dict:
    """Feed enricher for storefront's ``order_paid``: the session's GMV so far, for the console and the CLI."""
    session_id = session_of_stream(stream)
    return {} if session_id is None else {"gmv_fen": await session_gmv(db, session_id)}


async def session_stats(db: AsyncSession, session_id: int) -> StatsOut:
    orders = (
        await db.execute(
            sa.select(
                Order.id, Order.paid_at, Order.total_fen, Order.buyer_phone, Order.sku_id, Order.quantity, Order.status
            ).where(Order.live_session_id == session_id)
        )
    ).all()
    names = dict(
        (
            await db.execute(
                sa.select(Sku.id, Product.name + " " + Sku.name)
                .join(Product, Product.id == Sku.product_id)
                .where(Sku.id.in_({o.sku_id for o in orders} or {0}))
            )
        ).all()
    )
    paid = [o for o in orders if o.paid_at is not None]
    gmv = sum(o.total_fen for o in paid)
    per_product: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    per_hour: dict[str, int] = defaultdict(int)
    for o in paid:
        per_product[o.sku_id][0] += o.quantity
        per_product[o.sku_id][1] += o.total_fen
        per_hour[local_hour(o.paid_at)] += o.total_fen
    by_product = sorted(
        (
            {"sku_id": k, "name": names.get(k, ""), "quantity": q, "gmv_fen": g, "gmv": format_fen(g)}
            for k, (q, g) in per_product.items()
        ),
        key=lambda row: -row["gmv_fen"],
    )
    by_hour = [{"hour": h, "gmv_fen": g} for h, g in sorted(per_hour.items())]
    rate = len(paid) * BP_WHOLE // len(orders) if orders else 0
    return StatsOut(
        session_id,
        gmv,
        format_fen(gmv),
        len(orders),
        len(paid),
        rate,
        len({o.buyer_phone for o in paid}),
        by_product,
        by_hour,
    )


async def room_stats(db: AsyncSession, room_id: int) -> list[dict]:
    """Per session of one room: GMV, orders, paid orders, buyers — for comparing shows."""
    rows = (
        await db.execute(
            sa.select(
                LiveSession.id,
                LiveSession.title,
                LiveSession.scheduled_start,
                LiveSession.state,
                sa.func.count(Order.id),
                sa.func.count(Order.paid_at),
                sa.func.coalesce(sa.func.sum(sa.case((Order.paid_at.is_not(None), Order.total_fen), else_=0)), 0),
                sa.func.count(sa.distinct(sa.case((Order.paid_at.is_not(None), Order.buyer_phone)))),
            )
            .outerjoin(Order, Order.live_session_id == LiveSession.id)
            .where(LiveSession.room_id == room_id)
            .group_by(LiveSession.id)
            .order_by(LiveSession.scheduled_start.desc())
        )
    ).all()
    return [
        {
            "session_id": r[0],
            "title": r[1],
            "scheduled_start": r[2],
            "state": r[3],
            "orders": r[4],
            "paid_orders": r[5],
            "gmv_fen": int(r[6]),
            "gmv": format_fen(int(r[6])),
            "buyers": r[7],
        }
        for r in rows
    ]
