"""Alipay's paid notify for shop orders (out_trade_no "CY…"), called by the kernel's notify dispatcher."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.payments.dispatch import AfterCommit
from caoyuan.payments.notify import ANSWER_OK, PaymentNotice
from storefront.services.reconcile import refund_late_payment
from storefront.services.settle_payment import Notice, settle


async def on_alipay_paid(db: AsyncSession, notice: PaymentNotice) -> str | AfterCommit:
    """Settle the order; a payment too late to keep is refunded once the settlement is committed."""
    result = await settle(
        db, Notice(notice.out_trade_no, notice.trade_no, notice.total_fen, notice.trade_status, notice.gmt_payment)
    )
    if result.outcome == "refund_needed":
        return lambda database, gateway: refund_late_payment(database, gateway, notice.out_trade_no)
    return ANSWER_OK
