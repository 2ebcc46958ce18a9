"""Refunds: an after-sale request the cooperative decides, or a late payment given back unasked.

Either way a decided refund is ``refunding`` until Alipay confirms it (``services/refund_drive.py`` calls
Alipay, after our commit, and again later when a call fails); :func:`complete_refund` then books it."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import utcnow
from caoyuan.errors import BadInput, Conflict, NotFound
from caoyuan.web import metrics
from storefront.errors import ShopCode
from storefront.models import Order, OrderStatus, Refund, RefundKind, RefundStatus, StockPool
from storefront.services import books, stock
from storefront.services.events import order_event, sku_label, stock_event

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # PostgreSQL refuses NUL; the rest has no place
LATE_REASON = "订单已过期且库存不足，自动退款"
DECIDED = (RefundStatus.REFUNDING, "approved")  # "approved": rows written before refunds were retried
REFUNDABLE = (OrderStatus.PAID, OrderStatus.PACKED, OrderStatus.SHIPPED, OrderStatus.COMPLETED)


async def request_refund(db: AsyncSession, order_no: str, phone: str, reason: str) -> Refund:
    order = await db.scalar(sa.select(Order).where(Order.public_no == order_no).with_for_update())
    if order is None or order.buyer_phone != phone:
        raise NotFound("没有找到这笔订单（请核对订单号和手机号）")
    reason = reason.strip()
    if not 2 <= len(reason) <= 200 or _CONTROL.search(reason):
        raise BadInput("请写明退款原因（2–200 字）", field="reason")
    if order.status not in REFUNDABLE:
        raise Conflict("这笔订单现在不能申请退款", code=ShopCode.BAD_STATE)
    refund = Refund(
        order_id=order.id,
        out_request_no=f"{order.public_no}R{utcnow():%H%M%S%f}",  # type: ignore[arg-type]
        amount_fen=order.total_fen,
        reason=reason,
        order_status_before=order.status,
    )
    order.refund_reason = reason
    order.status = OrderStatus.REFUND_REQUESTED
    db.add(refund)
    await db.flush()
    return refund


async def approve_refund(db: AsyncSession, refund_id: int, admin_id: int) -> tuple[Refund, Order]:
    """Approve: the refund is due now; the caller (or the reconciler) asks Alipay after the commit."""
    refund = await db.get(Refund, refund_id, with_for_update=True)
    if refund is None:
        raise NotFound("没有这笔退款申请")
    if refund.status != RefundStatus.REQUESTED:
        raise Conflict("这笔退款已经处理过了", code=ShopCode.ALREADY_DECIDED)
    refund.status, refund.decided_by, refund.next_attempt_at = RefundStatus.REFUNDING, admin_id, utcnow()
    order = await db.get(Order, refund.order_id)
    return refund, order  # type: ignore[return-value]


async def refund_late_payment(db: AsyncSession, order: Order) -> Refund:
    """A payment that arrived after its order expired, with the stock gone: the money goes back, unasked.

    Written in the settlement's transaction, so a failed call to Alipay later can never lose it."""
    out_request_no = f"{order.public_no}-LATE"  # one per order: a retry is the same request at Alipay
    existing = await db.scalar(sa.select(Refund).where(Refund.out_request_no == out_request_no))
    if existing is not None:
        return existing
    refund = Refund(
        order_id=order.id,
        kind=RefundKind.LATE_PAYMENT,
        out_request_no=out_request_no,  # type: ignore[arg-type]
        amount_fen=order.total_fen,
        reason=LATE_REASON,
        status=RefundStatus.REFUNDING,
        order_status_before=order.status,
        next_attempt_at=utcnow(),
    )
    db.add(refund)
    await db.flush()
    return refund


async def complete_refund(db: AsyncSession, refund_id: int) -> Order:
    """Alipay confirmed: the order is refunded, unshipped stock returns, the books are corrected."""
    refund = await db.get(Refund, refund_id, with_for_update=True, populate_existing=True)
    if refund is None or refund.status not in DECIDED:
        raise Conflict("退款状态不对，不能完成", code=ShopCode.BAD_STATE)
    order = await db.get(Order, refund.order_id, with_for_update=True, populate_existing=True)
    unshipped = order.shipped_at is None  # type: ignore[union-attr]
    refund.status, refund.refunded_at = RefundStatus.REFUNDED, utcnow()
    refund.next_attempt_at, refund.last_error = None, ""
    order.status, order.refunded_at = OrderStatus.REFUNDED, refund.refunded_at  # type: ignore[union-attr]
    metrics.count_on_commit(db, "refunded")
    await db.flush()
    if refund.kind == RefundKind.LATE_PAYMENT:
        # Nothing was booked when the late money came in; book it now with its return, so the books show
        # the money that passed through the cooperative's Alipay account, and the member's volume nets to 0.
        order.refund_reason = refund.reason  # type: ignore[union-attr]
        await books.post_paid(db, order, occurred_at=refund.requested_at)  # type: ignore[arg-type]
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
    if refund is None or refund.status != RefundStatus.REQUESTED:
        raise Conflict("这笔退款已经处理过了", code=ShopCode.ALREADY_DECIDED)
    refund.status, refund.decided_by, refund.failure = RefundStatus.REJECTED, admin_id, _CONTROL.sub("", note)[:200]
    order = await db.get(Order, refund.order_id, with_for_update=True)
    order.status = refund.order_status_before  # type: ignore[union-attr]
    return refund
