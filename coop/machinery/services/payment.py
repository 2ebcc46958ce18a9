"""The farmer pays; the income goes into the cooperative's books through coop.posting.

Cash is recorded by the accountant. Alipay payments arrive through services/alipay.py (the kernel's
notify dispatcher, or the farmer's return from the cashier), which calls :func:`record_payment` with "alipay".
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import utcnow
from caoyuan.db.transition import transition
from caoyuan.errors import BadInput, Conflict
from caoyuan.money import format_fen
from coop.machinery.errors import MachineryCode
from coop.machinery.models import Booking, BookingStatus
from coop.machinery.rules.states import BOOKING, allowed
from coop.machinery.services.books import post_payment
from coop.machinery.services.schedule import note

CHANNELS = {"cash": "现金", "alipay": "支付宝"}


async def claim_payment(
    db: AsyncSession, booking_id: int, channel: str, at: datetime, amount_fen: int | None = None
) -> bool:
    """Mark the booking paid in one guarded statement; False when it is not (or no longer) payable.

    Concurrent payments of one job (Alipay sends its notify several times, sometimes at once) meet on
    this row: on PostgreSQL the others wait for the first to commit, then find it paid; on SQLite the
    statement takes the write lock before anything is read. So the income is posted exactly once.
    """
    guard = [or_(Booking.needs_confirmation.is_(False), Booking.confirmed_at.is_not(None))]
    if amount_fen is not None:
        guard.append(Booking.amount_fen == amount_fen)
    return await transition(
        db,
        Booking,
        booking_id,
        "pay",
        BOOKING,
        where=guard,
        synchronize_session=False,
        paid_at=at,
        payment_channel=channel,
    )


def check_payable(booking: Booking, channel: str) -> None:
    if channel not in CHANNELS:
        raise BadInput("收款方式只能是现金（cash）或支付宝（alipay）", field="channel")
    if booking.status == BookingStatus.PAID:
        raise Conflict("这项作业已经收过款了", code=MachineryCode.ALREADY_PAID)
    if not allowed("pay", booking.status):
        raise Conflict("作业完工登记后才能收款", code=MachineryCode.BAD_STATE)
    if booking.needs_confirmation and booking.confirmed_at is None:
        raise Conflict(
            "实测面积明显大于申报面积，需农户本人或代办员确认后才能收款", code=MachineryCode.NEEDS_CONFIRMATION
        )


async def book_claimed(db: AsyncSession, booking: Booking, channel: str, at: datetime) -> Booking:
    """After a successful claim: post the income and tell the farmer."""
    result = await post_payment(db, booking, channel, at)
    booking.status, booking.paid_at, booking.payment_channel = BookingStatus.PAID, at, channel
    booking.entry_id, booking.splits = result.entry_id, dict(result.splits)
    note(
        db,
        booking,
        f"已收款 {format_fen(booking.amount_fen or 0)}（{CHANNELS[channel]}），谢谢！"
        + (f"困难户减免 {format_fen(booking.relief_fen)}。" if booking.relief_fen else ""),
    )
    await db.flush()
    return booking


async def record_payment(
    db: AsyncSession, booking: Booking, channel: str = "cash", at: datetime | None = None
) -> Booking:
    check_payable(booking, channel)
    at = at or utcnow()
    if not await claim_payment(db, booking.id, channel, at):  # type: ignore[arg-type]
        raise Conflict("这项作业已经收过款了", code=MachineryCode.ALREADY_PAID)
    return await book_claimed(db, booking, channel, at)
