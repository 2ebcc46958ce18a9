"""After-sale: a refund is requested, approved by the cooperative, then paid back through Alipay."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import utcnow
from caoyuan.errors import BadInput, Conflict, NotFound
from storefront.models import Order, OrderStatus, Refund, StockPool
from storefront.services import books, stock
from storefront.services.events import order_event, sku_label, stock_event

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # PostgreSQL refuses NUL; the rest has no place
REFUNDABLE = (OrderStatus.PAID, OrderStatus.PACKED, OrderStatus.SHIPPED, OrderStatus.COMPLETED)


async def request_refund(db: AsyncSession, order_no: str, phone: str, reason: str) -> Refund:
    order = await db.scalar(sa.select(Order).where(Order.public_no == order_no).with_for_update())
    if order is None or order.buyer_phone != phone:
        raise NotFound("没有找到这笔订单（请核对订单号和手机号）")
    reason = reason.strip()
    if not 2 <= len(reason) <= 200 or _CONTROL.search(reason):
        raise BadInput("请写明退款原因（2–200 字）", field="reason")
    if order.status not in REFUNDABLE:
        raise Conflict("这笔订单现在不能申请退款", code="bad_state")
    refund = Refund(order_id=order.id, out_request_no=f"{order.public_no}R{utcnow():%H%M%S%f}",  # type: ignore[arg-type]
                    amount_fen=order.total_fen, reason=reason, order_status_before=order.status)
    order.refund_reason = reason
    order.status = OrderStatus.REFUND_REQUESTED
    db.add(refund)
    await db.flush()
    return refund


async def approve_refund(db: AsyncSession, refund_id: int, admin_id: int) -> tuple[Refund, Order]:
    """Approve; the caller then pays it back through the gateway and calls :func:`complete_refund`."""
    refund = await db.get(Refund, refund_id, with_for_update=True)
    if refund is None:
        raise NotFound("没有这笔退款申请")
    if refund.status != "requested":
        raise Conflict("这笔退款已经处理过了", code="already_decided")
    refund.status, refund.decided_by = "approved", admin_id
    order = await db.get(Order, refund.order_id)
    return refund, order  # type: ignore[return-value]


async def complete_refund(db: AsyncSession, refund_id: int) -> Order:
    """The money went back: the order is refunded, unshipped stock returns, the books are corrected."""
    refund = await db.get(Refund, refund_id, with_for_update=True)
    if refund is None or refund.status != "approved":
        raise Conflict("退款状态不对，不能完成", code="bad_state")
    order = await db.get(Order, refund.order_id, with_for_update=True)
    unshipped = order.shipped_at is None  # type: ignore[union-attr]
    refund.status, refund.refunded_at = "refunded", utcnow()
    order.status, order.refunded_at = OrderStatus.REFUNDED, refund.refunded_at  # type: ignore[union-attr]
    await db.flush()
    await books.post_refunded(db, order, refund.id, order.goods_fen, order.shipping_fen)  # type: ignore[arg-type,union-attr]
    pool = await db.get(StockPool, order.pool_id) if order.pool_id else None  # type: ignore[union-attr]
    if pool is not None:
        await order_event(db, pool.feed_stream, "order_refunded", order, await sku_label(db, order.sku_id))  # type: ignore[arg-type]
        if unshipped and not order.stock_returned:  # type: ignore[union-attr]
            order.stock_returned = True  # type: ignore[union-attr]
            remaining = await stock.put_back(db, pool.id, order.quantity)  # type: ignore[arg-type,union-attr]
            await stock_event(db, pool.feed_stream, pool.id, remaining)  # type: ignore[arg-type]
    return order  # type: ignore[return-value]


async def reject_refund(db: AsyncSession, refund_id: int, admin_id: int, note: str) -> Refund:
    refund = await db.get(Refund, refund_id, with_for_update=True)
    if refund is None or refund.status != "requested":
        raise Conflict("这笔退款已经处理过了", code="already_decided")
    refund.status, refund.decided_by, refund.failure = "rejected", admin_id, _CONTROL.sub("", note)[:200]
    order = await db.get(Order, refund.order_id, with_for_update=True)
    order.status = refund.order_status_before  # type: ignore[union-attr]
    return refund
