"""A completed job paid by Alipay: starting the trade, and settling it (notify or return) exactly once.

out_trade_no is "NJ{booking id}x{unix seconds}": a fresh trade per attempt (an expired or abandoned
trade number cannot be reused at Alipay), and the booking id is read back from it.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.bounds import ID_MAX
from caoyuan.db import utcnow
from caoyuan.errors import AppError, BadInput, Conflict, Forbidden, NotFound
from caoyuan.payments.client import PAID_STATUSES, AlipayGateway
from caoyuan.payments.notify import qr_svg
from coop.machinery.errors import MachineryCode
from coop.machinery.models import Booking, BookingStatus
from coop.machinery.services.common import Caller
from coop.machinery.services.payment import book_claimed, check_payable, claim_payment

PREFIX = "NJ"
TRADE_NO = re.compile(rf"^{PREFIX}([0-9]+)x[0-9]+$")  # ASCII digits only (\d takes any script)
log = logging.getLogger("caoyuan.machinery.alipay")


def out_trade_no_for(booking: Booking, now: datetime | None = None) -> str:
    return f"{PREFIX}{booking.id}x{int((now or utcnow()).timestamp())}"


def booking_id_of(out_trade_no: str) -> int | None:
    """The booking a trade number names; None when it names none we could have issued (an id ≤ 2^31 − 1)."""
    match = TRADE_NO.match(out_trade_no)
    if not match or len(match.group(1)) > len(str(ID_MAX)):
        return None
    booking_id = int(match.group(1))
    return booking_id if 1 <= booking_id <= ID_MAX else None


def ensure_may_pay(caller: Caller, booking: Booking) -> None:
    """The farmer pays their own job; the accountant may open the payment for them."""
    own = caller.member is not None and caller.member.id == booking.member_id
    if not own and caller.user.role != "admin":
        raise Forbidden("只能为本人的作业付款")


def ensure_payable(booking: Booking) -> None:
    """Refuse up front what record_payment would refuse after the money moved."""
    if booking.status == BookingStatus.PAID:
        raise Conflict("这项作业已经付过款了", code=MachineryCode.ALREADY_PAID)
    if booking.status != BookingStatus.COMPLETED or not booking.amount_fen:
        raise Conflict("作业完工登记后才能付款", code=MachineryCode.BAD_STATE)
    if booking.needs_confirmation and booking.confirmed_at is None:
        raise Conflict("实测面积明显大于申报面积，请先确认实测面积再付款", code=MachineryCode.NEEDS_CONFIRMATION)


def subject(booking: Booking) -> str:
    return f"草原合作社 农机作业费 预约#{booking.id}"


async def start_qr(gateway: AlipayGateway, booking: Booking) -> tuple[str, str, str]:
    """Computer: a QR code to scan → (out_trade_no, qr text, inline SVG)."""
    ensure_payable(booking)
    trade = out_trade_no_for(booking)
    code = await gateway.precreate(trade, booking.amount_fen or 0, subject(booking))
    return trade, code, qr_svg(code)


async def start_wap(gateway: AlipayGateway, booking: Booking, return_url: str) -> str:
    """Phone: the signed URL of Alipay's WAP cashier."""
    ensure_payable(booking)
    return await gateway.wap_pay_url(out_trade_no_for(booking), booking.amount_fen or 0, subject(booking), return_url)


async def settle(
    db: AsyncSession, out_trade_no: str, total_fen: int, trade_status: str, paid_at: datetime | None = None
) -> str:
    """Record the Alipay payment of the booking named by out_trade_no: "paid", "duplicate" or "ignored".

    Idempotent under concurrency: the guarded claim is the first statement, so of any number of identical
    notifies exactly one posts the income and the others answer "duplicate".
    """
    booking_id = booking_id_of(out_trade_no)
    if booking_id is None:
        raise NotFound("没有这笔农机作业的付款", code=MachineryCode.UNKNOWN_BOOKING)
    if trade_status not in PAID_STATUSES:
        return "ignored"
    at = paid_at or utcnow()
    if await claim_payment(db, booking_id, "alipay", at, amount_fen=total_fen):
        booking = await fresh_booking(db, booking_id)
        await book_claimed(db, booking, "alipay", at)
        return "paid"
    booking = await fresh_booking(db, booking_id)
    if total_fen != booking.amount_fen:
        raise BadInput("支付金额与作业费不符", code=MachineryCode.AMOUNT_MISMATCH)
    if booking.status == BookingStatus.PAID:
        if booking.payment_channel != "alipay":
            # Paid twice (cash, or another trade): the accountant refunds by hand; do not count it twice.
            log.warning(
                "booking %s already paid (%s), Alipay trade %s also paid",
                booking_id,
                booking.payment_channel,
                out_trade_no,
            )
        return "duplicate"
    check_payable(booking, "alipay")  # says why it is not payable (not completed, area unconfirmed)
    raise Conflict("这项作业现在不能收款", code=MachineryCode.BAD_STATE)


async def fresh_booking(db: AsyncSession, booking_id: int) -> Booking:
    """The booking as the database has it now (the claim changed the row behind the session's back)."""
    booking = await db.scalar(select(Booking).where(Booking.id == booking_id).execution_options(populate_existing=True))
    if booking is None:
        raise NotFound("没有这笔农机作业的付款", code=MachineryCode.UNKNOWN_BOOKING)
    return booking


async def settle_from_query(gateway: AlipayGateway, db: AsyncSession, out_trade_no: str) -> str | None:
    """Back from the cashier: ask Alipay (server to server) rather than wait for the notify.

    Call with no write transaction open (the sandbox may write while answering). Whatever goes
    wrong here, the notify will still settle the booking, so it only returns None.
    """
    try:
        trade = await gateway.query(out_trade_no)
    except AppError:
        return None
    if not trade.paid:
        return None
    try:
        return await settle(db, out_trade_no, trade.total_fen, trade.status, trade.paid_at)
    except AppError as exc:
        await db.rollback()
        log.warning("return from Alipay for %s not settled: %s", out_trade_no, exc.code)
        return None
