"""Alipay's paid notify for machinery jobs (out_trade_no "NJ…"), called by the kernel's notify dispatcher."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.payments.dispatch import NotifyContext
from caoyuan.payments.notify import PaymentNotice
from coop.machinery.services import alipay


async def on_alipay_paid(db: AsyncSession, notice: PaymentNotice, _context: NotifyContext) -> None:
    """Mark the booking paid and post the income; a repeated notify changes nothing."""
    await alipay.settle(db, notice.out_trade_no, notice.total_fen, notice.trade_status, notice.gmt_payment)
