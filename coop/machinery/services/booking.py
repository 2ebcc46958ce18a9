"""A farmer (or a village agent for them) asks for work on one or more plots."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from caoyuan import clock
from caoyuan.area import AreaError, parse_mu
from caoyuan.auth.current import CurrentUser
from caoyuan.errors import BadInput, Forbidden, NotFound
from caoyuan.identity import IdentityError, normalize_phone
from coop.machinery.models import Booking, BookingStatus, Notice, Plot
from coop.machinery.rules.scheduling import Request, earliest_days
from coop.machinery.schemas import BookingIn
from coop.machinery.services import full_days, schedule
from coop.machinery.services.capacity import crews, free_capacity
from coop.machinery.services.common import (
    Caller,
    caller_for,
    check_window,
    default_cooperative_id,
    member_of_user,
    policy_for,
)
from coop.machinery.services.quote import check_area, service_in, unit_price_for
from coop.models import Member

MAX_PLOTS = 20


class Booked(NamedTuple):
    """A new booking with what the answer shows, so the answer needs no further queries."""

    booking: Booking
    plots: list[Plot]
    notices: list[Notice]
    service_name: str


async def _farmer(
    db: AsyncSession, caller: Caller, data: BookingIn, cooperative_id: int
) -> tuple[Member | None, str, str]:
    """(member, name, phone) of the household the work is for."""
    if caller.agent:
        if data.member_id is not None:
            member = await db.get(Member, data.member_id)
            if member is None or member.cooperative_id != cooperative_id:
                raise NotFound("本社没有这户社员", field="member_id")
            return member, member.name, member.phone
        name = data.farmer_name.strip()
        if not name:
            raise BadInput("请填写农户姓名（非社员）或选择社员", field="farmer_name")
        try:
            phone = normalize_phone(data.farmer_phone)
        except IdentityError as exc:
            raise BadInput(str(exc), field="farmer_phone") from None
        return None, name[:50], phone
    if caller.member is None or caller.member.cooperative_id != cooperative_id:
        raise Forbidden("只有本社社员本人或村代办员可以预约")
    if data.member_id not in (None, caller.member.id) or data.operator_id or data.machine_id:
        raise Forbidden("社员只能为本户预约")
    return caller.member, caller.member.name, caller.member.phone


def _plots(data: BookingIn) -> list[Plot]:
    if not data.plots:
        raise BadInput("请至少填写一块地", field="plots")
    if len(data.plots) > MAX_PLOTS:
        raise BadInput(f"一次最多 {MAX_PLOTS} 块地", field="plots")
    plots = []
    for n, p in enumerate(data.plots, start=1):
        try:
            area = parse_mu(p.area)
        except AreaError as exc:
            raise BadInput(f"第 {n} 块地：{exc}", field="area") from None
        if area <= 0:
            raise BadInput(f"第 {n} 块地的面积必须大于零", field="area")
        if not p.village.strip():
            raise BadInput(f"第 {n} 块地：请填写村名", field="village")
        plots.append(
            Plot(booking_id=0, village=p.village.strip()[:50], note=p.note.strip()[:100], area=area, slope=p.slope)
        )
    return plots


async def request_booking(db: AsyncSession, user: CurrentUser, data: BookingIn) -> Booked:
    if db.bind is not None:  # a flood for a full day: refused at once, no transaction (see full_days)
        refuse_if_known_full(db.bind, data)  # type: ignore[arg-type]
    cooperative_id = data.cooperative_id
    if cooperative_id is None:
        own = await member_of_user(db, user.id) if user.role == "member" else None
        cooperative_id = own.cooperative_id if own else await default_cooperative_id(db)
    caller = await caller_for(db, user, cooperative_id)
    member, name, phone = await _farmer(db, caller, data, cooperative_id)
    plots = _plots(data)
    flat = sum(p.area for p in plots if not p.slope)
    slope = sum(p.area for p in plots if p.slope)
    policy = await policy_for(db, cooperative_id)
    check_area(flat, slope, policy.max_area)
    check_window(data.earliest_on, data.latest_on, clock.today())
    if data.latest_on - data.earliest_on > timedelta(days=90):
        raise BadInput("日期范围最长 90 天", field="latest_on")
    service = await service_in(db, cooperative_id, data.service_type_id)
    unit = await unit_price_for(db, service, data.earliest_on.year, member)
    booking = Booking(
        cooperative_id=cooperative_id,
        service_type_id=service.id,  # type: ignore[arg-type]
        member_id=member.id if member else None,
        farmer_name=name,
        farmer_phone=phone,
        hardship=bool(member and member.hardship and member.status == "admitted"),
        booked_by_user_id=user.id,
        earliest_on=data.earliest_on,
        latest_on=data.latest_on,
        flat_area=flat,
        slope_area=slope,
        market_fen=unit.market_fen,
        list_fen=unit.list_fen,
        price_fen=unit.price_fen,
    )
    options = await _day_options(db, caller, booking, data) if data.day is not None else []
    if options:
        schedule.hold(booking, options[0][0], options[0][1], data.day, options[0][2])  # type: ignore[arg-type]
    db.add(booking)
    await db.flush()
    for plot in plots:
        plot.booking_id = booking.id  # type: ignore[assignment]
    db.add_all(plots)
    notices: list[Notice] = []
    if options:
        notices.append(Notice(booking_id=booking.id, text=f"作业已排在 {data.day}，请当天留意农机手电话。"))  # type: ignore[arg-type]
        db.add_all(notices)
        await db.flush()
        await schedule.claim_first(db, booking, data.day, options)  # type: ignore[arg-type]  # last: short row locks
    else:
        notices.append(await _queue(db, booking, service.machine_kind))
        await db.flush()
    return Booked(booking, plots, notices, service.name)


def refuse_if_known_full(engine: AsyncEngine, data: BookingIn) -> None:
    """Refuse (day_full) an ask (service, day, named crew) that found no room a moment ago for as much as it
    needs. The API route asks before it opens a session: a session made and closed for each refusal of a
    flood was a tenth of its CPU.

    Checked before the caller and the farmer are looked up: while a day is known full, an ask that would
    have been refused for another reason found by a query (another village's service, a member naming a
    crew, an area above the charter's maximum) is told the day is full instead. Either way nothing is written,
    and which days are full is public (the quote shows the earliest free days to anyone). A malformed ask goes
    the usual way, to hear what is wrong with it.
    """
    asked = _full_day_ask(data)
    if asked is not None and full_days.known_full(engine, *asked):
        raise schedule.day_full(data.day)  # type: ignore[arg-type]


def _full_day_ask(data: BookingIn) -> tuple[full_days.Ask, int] | None:
    """The note's key for this ask and the least area it needs, or None when the ask is malformed."""
    if data.day is None or not data.earliest_on <= data.day <= data.latest_on:
        return None
    if data.latest_on - data.earliest_on > timedelta(days=90):
        return None
    need = _asked_area(data)  # the least the ask takes: slope land weighs at least as much as flat
    if need is None:
        return None
    try:
        check_window(data.earliest_on, data.latest_on, clock.today())
    except BadInput:
        return None
    return (data.service_type_id, data.day, data.operator_id, data.machine_id), need


def _asked_area(data: BookingIn) -> int | None:
    """Hundredths of a mu over all plots, or None when ``_plots`` would refuse them (no ORM rows made)."""
    if not 0 < len(data.plots) <= MAX_PLOTS:
        return None
    total = 0
    for p in data.plots:
        try:
            area = parse_mu(p.area)
        except AreaError:
            return None
        if area <= 0 or not p.village.strip():
            return None
        total += area
    return total


async def _day_options(db: AsyncSession, caller: Caller, booking: Booking, data: BookingIn) -> list:  # type: ignore[type-arg]
    if not booking.earliest_on <= data.day <= booking.latest_on:  # type: ignore[operator]
        raise BadInput("所选日期不在最早和最晚日期之间", field="day")
    if (data.operator_id or data.machine_id) and not caller.agent:
        raise Forbidden("只有调度员可以指定农机手和农机")
    return await schedule.day_options(
        db,
        booking,
        data.day,  # type: ignore[arg-type]
        operator_id=data.operator_id,
        machine_id=data.machine_id,
    )


async def _queue(db: AsyncSession, booking: Booking, machine_kind: str) -> Notice:
    """Join the queue; with no room left anywhere in the window, join the waitlist."""
    free = await free_capacity(db, booking.cooperative_id, booking.earliest_on, booking.latest_on)
    request = Request(
        booking.id,
        booking.created_at,
        booking.flat_area,
        booking.slope_area,  # type: ignore[arg-type]
        booking.hardship,
        booking.earliest_on,
        booking.latest_on,
        machine_kind,
    )
    window = [booking.earliest_on + timedelta(n) for n in range((booking.latest_on - booking.earliest_on).days + 1)]
    if earliest_days(request, window, await crews(db, booking.cooperative_id, machine_kind), free, count=1):
        notice = Notice(booking_id=booking.id, text="已收到您的预约，调度员排班后会通知您作业日期。")
    else:
        booking.status = BookingStatus.WAITLISTED
        notice = Notice(booking_id=booking.id, text="您选的日期内农机已排满，已进入候补；有空位时按申请先后为您安排。")
    db.add(notice)
    return notice
