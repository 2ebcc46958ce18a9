"""Alipay's paid notify for shop orders (out_trade_no "CY…"), called by the kernel's notify dispatcher."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import after_commit
from caoyuan.payments.dispatch import NotifyContext
from caoyuan.payments.notify import PaymentNotice
from storefront.services.reconcile import refund_late_payment
from storefront.services.settle_payment import Notice, settle


async def on_alipay_paid(db: AsyncSession, notice: PaymentNotice, context: NotifyContext) -> None:
    """Settle the order; a payment too late to keep is refunded once the settlement is committed."""
    result = await settle(
        db, Notice(notice.out_trade_no, notice.trade_no, notice.total_fen, notice.trade_status, notice.gmt_payment)
    )
    if result.outcome == "refund_needed":
        after_commit(db, lambda: refund_late_payment(context.database, context.gateway, notice.out_trade_no))
