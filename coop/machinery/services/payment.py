"""The farmer pays; the income goes into the cooperative's books through coop.posting.

Cash is recorded by the accountant. Alipay payments arrive through services/alipay.py (the kernel's
notify dispatcher, or the farmer's return from the cashier), which calls :func:`record_payment` with "alipay".
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import utcnow
from caoyuan.errors import BadInput, Conflict
from caoyuan.money import format_fen
from coop.machinery.models import Booking, BookingStatus
from coop.machinery.rules.states import allowed
from coop.machinery.services.books import post_payment
from coop.machinery.services.schedule import note

CHANNELS = {"cash": "现金", "alipay": "支付宝"}


async def record_payment(db: AsyncSession, booking: Booking, channel: str = "cash",
                         at: datetime | None = None) -> Booking:
    if channel not in CHANNELS:
        raise BadInput("收款方式只能是现金（cash）或支付宝（alipay）", field="channel")
    if booking.status == BookingStatus.PAID:
        raise Conflict("这项作业已经收过款了", code="already_paid")
    if not allowed("pay", booking.status):
        raise Conflict("作业完工登记后才能收款", code="bad_state")
    if booking.needs_confirmation and booking.confirmed_at is None:
        raise Conflict("实测面积明显大于申报面积，需农户本人或代办员确认后才能收款", code="needs_confirmation")
    at = at or utcnow()
    result = await post_payment(db, booking, channel, at)
    booking.status, booking.paid_at, booking.payment_channel = BookingStatus.PAID, at, channel
    booking.entry_id, booking.splits = result.entry_id, dict(result.splits)
    note(db, booking, f"已收款 {format_fen(booking.amount_fen or 0)}（{CHANNELS[channel]}），谢谢！"
         + (f"困难户减免 {format_fen(booking.relief_fen)}。" if booking.relief_fen else ""))
    await db.flush()
    return booking
