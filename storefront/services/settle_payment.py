"""A payment notice (Alipay's async notify, or the reconciler's query) applied to its order, exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import utcnow
from caoyuan.errors import BadInput, Conflict, NotFound
from caoyuan.web import metrics
from storefront import rules
from storefront.errors import ShopCode
from storefront.models import Order, OrderStatus, PaymentAttempt, StockPool
from storefront.services import books, refund, stock
from storefront.services.events import order_event, sku_label, stock_event

DEFAULT_CUTOFF = time(22, 0)
PAID_STATES = ("TRADE_SUCCESS", "TRADE_FINISHED")


@dataclass(frozen=True)
class Notice:
    out_trade_no: str
    trade_no: str
    total_fen: int
    trade_status: str
    paid_at: datetime | None = None


@dataclass(frozen=True)
class Settled:
    outcome: str  # paid / duplicate / ignored / refund_needed
    order: Order


async def settle(db: AsyncSession, notice: Notice, source: str = "notify") -> Settled:
    order = await db.scalar(sa.select(Order).where(Order.public_no == notice.out_trade_no).with_for_update())
    if order is None:
        raise NotFound("没有这笔订单", code=ShopCode.UNKNOWN_ORDER)
    if notice.total_fen != order.total_fen:
        raise BadInput("支付金额与订单金额不符", code=ShopCode.AMOUNT_MISMATCH)
    if notice.trade_status not in PAID_STATES:
        return Settled("ignored", order)
    if order.trade_no:
        outcome = "duplicate"
    elif order.status == OrderStatus.PENDING:
        await _mark_paid(db, order, notice)
        metrics.count_on_commit(db, "paid")
        outcome = "paid"
    elif order.status in (OrderStatus.EXPIRED, OrderStatus.CANCELLED):
        outcome = await _late_payment(db, order, notice)
    else:
        outcome = "duplicate"
    db.add(
        PaymentAttempt(
            order_id=order.id,
            source=source,
            trade_no=notice.trade_no,  # type: ignore[arg-type]
            trade_status=notice.trade_status,
            total_fen=notice.total_fen,
            outcome=outcome,
        )
    )
    return Settled(outcome, order)


async def _mark_paid(db: AsyncSession, order: Order, notice: Notice) -> None:
    pool = await db.get(StockPool, order.pool_id) if order.pool_id else None
    cutoff = pool.ship_cutoff_local if pool else DEFAULT_CUTOFF
    order.status = OrderStatus.PAID
    order.trade_no = notice.trade_no
    order.paid_at = notice.paid_at or utcnow()
    order.ship_by = rules.ship_by(order.paid_at, cutoff)
    await db.flush()
    await books.post_paid(db, order)
    await order_event(
        db,
        pool.feed_stream if pool else "",
        "order_paid",
        order,
        await sku_label(db, order.sku_id),
        ship_by=order.ship_by.isoformat(),
    )  # streaming adds the session's running GMV to this event (its feed enricher)


async def _late_payment(db: AsyncSession, order: Order, notice: Notice) -> str:
    """Paid after the order expired: keep it if the stock can still be reserved, else refund it."""
    pool = await db.get(StockPool, order.pool_id) if order.pool_id else None
    remaining = await stock.take(db, pool.id, order.quantity) if pool else None
    if remaining is not None and pool.per_buyer_cap is not None and not await _quota_again(db, pool, order):  # type: ignore[union-attr]
        await stock.put_back(db, pool.id, order.quantity)  # type: ignore[union-attr,arg-type]
        remaining = None  # the buyer has since used the cap on other orders
    if remaining is None:
        order.trade_no = notice.trade_no
        order.close_reason = "过期后付款，库存已不足，自动退款"
        await db.flush()
        await refund.refund_late_payment(db, order)  # a refund to drive, written with the settlement
        return "refund_needed"
    order.stock_returned = False
    order.closed_at = None
    order.close_reason = ""
    await _mark_paid(db, order, notice)
    await stock_event(db, pool.feed_stream, pool.id, remaining)  # type: ignore[union-attr]
    return "paid"


async def _quota_again(db: AsyncSession, pool: StockPool, order: Order) -> bool:
    """Expiry gave the buyer's quota back; a kept late payment must take it again, within the cap."""
    from storefront.services.place_order import _take_quota

    try:
        await _take_quota(db, pool, order.buyer_phone, order.quantity)
    except Conflict:
        return False
    return True
