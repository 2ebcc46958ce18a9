"""The operator's day: start a job, record the measured area; the farmer confirms the area."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.area import AreaError, format_mu, parse_mu
from caoyuan.db import utcnow
from caoyuan.db.transition import transition
from caoyuan.errors import BadInput, Conflict, Forbidden
from caoyuan.money import format_fen
from coop.machinery.errors import MachineryCode
from coop.machinery.models import Booking, Operator
from coop.machinery.rules.capacity import over_tolerance
from coop.machinery.rules.pricing import UnitPrice, bill
from coop.machinery.rules.states import BOOKING, allowed
from coop.machinery.schemas import CompleteIn
from coop.machinery.services.books import accrue_wage
from coop.machinery.services.common import Caller, policy_for
from coop.machinery.services.schedule import note

FUEL_MAX = 1_000_000  # centilitres: 10,000 litres, far above a day's work; keeps the INTEGER column safe


def _ensure_crew(caller: Caller, booking: Booking) -> None:
    if caller.agent:
        return
    if caller.operator is None or caller.operator.id != booking.operator_id:
        raise Forbidden("这不是派给您的作业")


def parse_litres(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        centilitres = parse_mu(text)  # the same "up to two decimals" shape: centilitres
    except AreaError:
        raise BadInput("油耗请填写升数，最多两位小数", field="fuel_litres") from None
    if centilitres > FUEL_MAX:
        raise BadInput(f"油耗最多 {FUEL_MAX // 100} 升，请核对", field="fuel_litres")
    return centilitres


async def start(db: AsyncSession, caller: Caller, booking: Booking) -> Booking:
    _ensure_crew(caller, booking)
    # one guarded UPDATE: of two taps on 开始作业 (two phones, a retry) only one moves the job
    if not await transition(db, Booking, booking.id, "start", BOOKING, started_at=utcnow()):  # type: ignore[arg-type]
        raise Conflict("这项作业不在待作业状态", code=MachineryCode.BAD_STATE)
    return booking


async def complete(db: AsyncSession, caller: Caller, booking: Booking, data: CompleteIn) -> Booking:
    """Measured mu × price is the bill; far above the plots, it waits for the farmer's confirmation."""
    _ensure_crew(caller, booking)
    if not allowed("complete", booking.status):
        raise Conflict("这项作业已经完工登记过，或还没有排班", code=MachineryCode.BAD_STATE)
    try:
        measured = parse_mu(data.measured_area)
    except AreaError as exc:
        raise BadInput(str(exc), field="measured_area") from None
    policy = await policy_for(db, booking.cooperative_id)
    if measured <= 0:
        raise BadInput("实测面积必须大于零", field="measured_area")
    if measured > policy.max_area:
        raise BadInput(f"实测面积超过一次预约的上限 {policy.max_area // 100} 亩，请核对", field="measured_area")
    ended = data.ended_at or utcnow()
    started = data.started_at or booking.started_at or ended
    if started.tzinfo is None or ended.tzinfo is None:
        raise BadInput("时间需要带时区", field="started_at")
    if ended < started:
        raise BadInput("结束时间不能早于开始时间", field="ended_at")
    fuel = parse_litres(data.fuel_litres)
    unit = UnitPrice(booking.market_fen, booking.list_fen, booking.price_fen, booking.list_fen - booking.price_fen)
    total = bill(measured, unit)
    moved = await transition(
        db,
        Booking,
        booking.id,  # type: ignore[arg-type]
        "complete",
        BOOKING,
        measured_area=measured,
        fuel_centilitres=fuel,
        started_at=started,
        ended_at=ended,
        amount_fen=total.amount_fen,
        relief_fen=total.relief_fen,
        saving_fen=total.saving_fen,
        needs_confirmation=over_tolerance(measured, booking.flat_area + booking.slope_area, policy.confirm_above_bp),
    )
    if not moved:  # completed meanwhile by another tap: the first record stands, the wage is accrued once
        raise Conflict("这项作业已经完工登记过，或还没有排班", code=MachineryCode.BAD_STATE)
    note(
        db,
        booking,
        f"作业完成：实测 {format_mu(measured)}，应付 {format_fen(total.amount_fen)}。"
        + ("实测面积明显大于申报面积，请您确认。" if booking.needs_confirmation else ""),
    )
    operator = await db.get(Operator, booking.operator_id)
    if operator is not None:
        await accrue_wage(db, booking, operator, ended)
    await db.flush()
    return booking


async def confirm_area(db: AsyncSession, caller: Caller, booking: Booking, at: datetime | None = None) -> Booking:
    """The farmer (on the phone page) or the agent for them agrees with the measured area."""
    own = caller.member is not None and caller.member.id == booking.member_id
    if not (own or caller.agent):
        raise Forbidden("只有农户本人或代办员可以确认面积")
    if not allowed("confirm", booking.status):
        raise Conflict("只有已完工、未付款的作业可以确认面积", code=MachineryCode.BAD_STATE)
    if booking.confirmed_at is not None:
        raise Conflict("面积已经确认过了", code=MachineryCode.ALREADY_CONFIRMED)
    booking.confirmed_at, booking.confirmed_by_user_id = at or utcnow(), caller.user.id
    await db.flush()
    return booking
