"""Starting an Alipay payment for an order, and the after-commit calls to Alipay (close, refund)."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import Conflict
from caoyuan.payments.client import AlipayGateway, PaymentError
from caoyuan.payments.notify import qr_svg
from storefront.errors import ShopCode
from storefront.models import Order, OrderStatus
from storefront.services.events import sku_label

log = logging.getLogger("caoyuan.storefront.pay")


async def subject(db: AsyncSession, order: Order) -> str:
    return f"草原村播 {await sku_label(db, order.sku_id) or '草原好物'} ×{order.quantity}"


def ensure_payable(order: Order) -> None:
    if order.status != OrderStatus.PENDING:
        raise Conflict("这笔订单不是待付款状态", code=ShopCode.NOT_PAYABLE)


async def start_qr(gateway: AlipayGateway, db: AsyncSession, order: Order) -> tuple[str, str]:
    """Computer: alipay.trade.precreate → the QR text and an inline SVG of it."""
    ensure_payable(order)
    code = await gateway.precreate(
        order.public_no, order.total_fen, await subject(db, order), expires_at=order.expires_at
    )
    return code, qr_svg(code)


async def start_wap(gateway: AlipayGateway, db: AsyncSession, order: Order, return_url: str) -> str:
    """Phone: alipay.trade.wap.pay → a signed URL to send the buyer to."""
    ensure_payable(order)
    return await gateway.wap_pay_url(
        order.public_no, order.total_fen, await subject(db, order), return_url, expires_at=order.expires_at
    )


async def close_trades(gateway: AlipayGateway, order_nos: list[str]) -> list[str]:
    """Close the Alipay trades of expired orders; returns those Alipay confirmed (or never saw)."""
    closed = []
    for order_no in order_nos:
        try:
            await gateway.close(order_no)
            closed.append(order_no)
        except PaymentError as exc:
            if exc.sub_code in ("ACQ.TRADE_NOT_EXIST", "TRADE_NOT_EXIST"):
                closed.append(order_no)  # the buyer never opened the payment: nothing to close
            else:
                log.warning("closing trade %s failed: %s", order_no, exc.sub_code or exc.message)
    return closed


async def refund(gateway: AlipayGateway, order: Order, amount_fen: int, out_request_no: str, reason: str) -> None:
    await gateway.refund(order.public_no, amount_fen, out_request_no, reason)
