"""Putting bookings on operator-days and machine-days: by hand, by the proposal, after a cancellation,
and moving a whole day when it rains or a machine breaks down. Every claim goes through
:mod:`coop.machinery.services.capacity` (guarded in the database).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan import clock
from caoyuan.db.transition import transition
from caoyuan.errors import BadInput, Conflict
from coop.machinery.errors import MachineryCode
from coop.machinery.models import (
    HOLDING_STATUSES,
    OPEN_STATUSES,
    Booking,
    BookingStatus,
    ClosedDay,
    Machine,
    Maintenance,
    Notice,
    Operator,
    ServiceType,
)
from coop.machinery.rules.capacity import weighted_load
from coop.machinery.rules.scheduling import Crew, Request, Slot, priority, propose
from coop.machinery.rules.states import BOOKING, allowed
from coop.machinery.services import capacity, full_days
from coop.machinery.services.common import policy_for
from coop.machinery.services.fleet import machine_in, operator_in, out_of_service_reason

SEARCH_DAYS = 14  # how far a rained-off job may move


def note(db: AsyncSession, booking: Booking, text: str) -> None:
    db.add(Notice(booking_id=booking.id, text=text[:300]))  # type: ignore[arg-type]


def as_request(booking: Booking, machine_kind: str) -> Request:
    return Request(
        booking.id,
        booking.created_at,
        booking.flat_area,
        booking.slope_area,  # type: ignore[arg-type]
        booking.hardship,
        booking.earliest_on,
        booking.latest_on,
        machine_kind,
    )


async def _kind(db: AsyncSession, booking: Booking) -> str:
    return await db.scalar(select(ServiceType.machine_kind).where(ServiceType.id == booking.service_type_id))  # type: ignore[return-value]


def hold(booking: Booking, operator: Operator, machine: Machine, day: date, load: int) -> None:
    booking.status = BookingStatus.SCHEDULED
    booking.scheduled_on, booking.operator_id, booking.machine_id, booking.load = day, operator.id, machine.id, load


async def _releasehold(db: AsyncSession, booking: Booking) -> None:
    if booking.status in HOLDING_STATUSES and booking.scheduled_on and booking.load:
        await capacity.release(
            db,
            booking.operator_id,
            booking.machine_id,
            booking.scheduled_on,  # type: ignore[arg-type]
            booking.load,
        )
    booking.load = 0


async def assign(db: AsyncSession, booking: Booking, *, day: date, operator_id: int, machine_id: int) -> Booking:
    """The dispatcher puts (or moves) a booking on a crew's day, within capacity."""
    if not allowed("schedule", booking.status):
        raise Conflict("这条预约现在不能排班或改期", code=MachineryCode.BAD_STATE)
    if day < clock.today():
        raise BadInput("不能排到已经过去的日期", field="day")
    operator = await operator_in(db, booking.cooperative_id, operator_id)
    machine = await machine_in(db, booking.cooperative_id, machine_id)
    if machine.kind != await _kind(db, booking):
        raise BadInput(f"{machine.kind}不能做这项作业", field="machine_id")
    if reason := await out_of_service_reason(db, machine, day):
        raise Conflict(reason, code=MachineryCode.MACHINE_UNAVAILABLE, field="machine_id")
    if not operator.active:
        raise Conflict(f"农机手 {operator.name} 已停用", code=MachineryCode.OPERATOR_UNAVAILABLE, field="operator_id")
    moved = booking.status == BookingStatus.SCHEDULED
    before = booking.scheduled_on
    await _releasehold(db, booking)
    load = weighted_load(booking.flat_area, booking.slope_area, machine.slope_factor_bp)
    await capacity.claim(db, operator, machine, day, load)
    hold(booking, operator, machine, day, load)
    crew = f"农机手 {operator.name}，农机 {machine.plate}"
    note(
        db,
        booking,
        f"作业改到 {day}（原定 {before}），{crew}。" if moved and before != day else f"作业已排在 {day}，{crew}。",
    )
    await db.flush()
    return booking


async def day_options(
    db: AsyncSession, booking: Booking, day: date, *, operator_id: int | None = None, machine_id: int | None = None
) -> list[tuple[Operator, Machine, int]]:
    """The crews that may take the booking on a chosen day (dispatchable machines), usual pairs first."""
    kind = await _kind(db, booking)
    crews = [
        c
        for c in await capacity.crews(db, booking.cooperative_id, kind)
        if (operator_id is None or c.operator_id == operator_id) and (machine_id is None or c.machine_id == machine_id)
    ]
    if operator_id is not None and machine_id is not None and not crews:  # a pairing the dispatcher names
        machine = await machine_in(db, booking.cooperative_id, machine_id)
        await operator_in(db, booking.cooperative_id, operator_id)
        if machine.kind != kind:
            raise BadInput(f"{machine.kind}不能做这项作业", field="machine_id")
        crews = [Crew(operator_id, machine_id, machine.slope_factor_bp, machine.kind)]
    options, problems = [], []
    for crew in crews:
        machine, operator = await db.get(Machine, crew.machine_id), await db.get(Operator, crew.operator_id)
        if reason := await out_of_service_reason(db, machine, day):  # type: ignore[arg-type]
            problems.append(reason)
            continue
        options.append((operator, machine, weighted_load(booking.flat_area, booking.slope_area, crew.slope_factor_bp)))
    if not options:
        if problems and machine_id is not None:
            raise Conflict(problems[0], code=MachineryCode.MACHINE_UNAVAILABLE, field="machine_id")
        raise Conflict(f"{day} 没有可派出的农机，请换一天", code=MachineryCode.DAY_FULL, field="day")
    seen = full_days.reading(db)
    room = await capacity.room_on(db, day, {o.id for o, _, _ in options}, {m.id for _, m, _ in options})  # type: ignore[misc]
    fitting = [
        (o, m, load)
        for o, m, load in options
        if load <= room.get(("operator", o.id), load) and load <= room.get(("machine", m.id), load)
    ]
    if not fitting:  # plainly full: say so before writing anything (the guarded claim still decides)
        ask = (booking.service_type_id, day, operator_id, machine_id)
        full_days.remember(db, ask, [(o.id, m.id) for o, m, _ in options], room, seen)  # type: ignore[union-attr,misc]
        raise day_full(day)
    return fitting  # type: ignore[return-value]


def day_full(day: date) -> Conflict:
    return Conflict(f"{day} 已约满，请换一天，或不选日期排队等候调度", code=MachineryCode.DAY_FULL, field="day")


async def claim_first(
    db: AsyncSession, booking: Booking, day: date, options: Sequence[tuple[Operator, Machine, int]]
) -> None:
    """First come, first served: the first crew with room gets the booking; none → 409 (the caller's
    transaction rolls back, nothing is written). Called last, so the day rows stay locked briefly."""
    for operator, machine, load in options:
        if await capacity.try_claim(db, operator, machine, day, load):
            if (booking.operator_id, booking.machine_id) != (operator.id, machine.id):
                hold(booking, operator, machine, day, load)
            return
    raise day_full(day)


async def cancel(db: AsyncSession, booking: Booking, *, by: str, reason: str) -> Booking:
    reason = reason.strip()
    if not reason:
        raise BadInput("请说明取消的原因", field="reason")
    if not allowed("cancel", booking.status):
        raise Conflict("这条预约已开始作业或已结束，不能取消", code=MachineryCode.BAD_STATE)
    day = booking.scheduled_on if booking.status in HOLDING_STATUSES else None
    await _releasehold(db, booking)
    booking.status, booking.cancel_reason, booking.cancelled_by = BookingStatus.CANCELLED, reason[:200], by
    note(db, booking, f"预约已取消（{'农户' if by == 'farmer' else '合作社'}）：{reason}")
    await db.flush()
    if day is not None:
        await fill_freed(db, booking.cooperative_id, day)
    return booking


async def _try_any_crew(db: AsyncSession, booking: Booking, day: date, prefer: tuple[int, int] | None = None) -> bool:
    kind = await _kind(db, booking)
    options = await capacity.crews(db, booking.cooperative_id, kind)
    if prefer is not None:
        options.sort(key=lambda c: (c.operator_id, c.machine_id) != prefer)
    for crew in options:
        machine = await db.get(Machine, crew.machine_id)
        if await out_of_service_reason(db, machine, day):  # type: ignore[arg-type]
            continue
        operator = await db.get(Operator, crew.operator_id)
        load = weighted_load(booking.flat_area, booking.slope_area, crew.slope_factor_bp)
        if await capacity.try_claim(db, operator, machine, day, load):  # type: ignore[arg-type]
            hold(booking, operator, machine, day, load)  # type: ignore[arg-type]
            return True
    return False


async def fill_freed(db: AsyncSession, cooperative_id: int, day: date) -> list[Booking]:
    """A freed slot goes to the oldest waiting request that fits on that day."""
    if day < clock.today():
        return []
    waiting = (
        await db.scalars(
            select(Booking)
            .where(
                Booking.cooperative_id == cooperative_id,
                Booking.status.in_(OPEN_STATUSES),
                Booking.earliest_on <= day,
                Booking.latest_on >= day,
            )
            .order_by(Booking.created_at, Booking.id)
            .limit(50)
            .with_for_update()
        )
    ).all()
    placed = []
    for booking in waiting:
        if await _try_any_crew(db, booking, day):
            note(db, booking, f"有空位了：您的作业已排在 {day}。")
            placed.append(booking)
    await db.flush()
    return placed


async def _displace(db: AsyncSession, bookings: Sequence[Booking], day: date, why: str) -> None:
    """Move each booking off ``day`` to the first later day with room (same crew first); else waitlist."""
    for booking in sorted(bookings, key=lambda b: priority(as_request(b, ""), day, None)):
        crew = (booking.operator_id, booking.machine_id)
        await _releasehold(db, booking)
        booking.status = BookingStatus.REQUESTED
        for n in range(1, SEARCH_DAYS + 1):
            target = day + timedelta(n)
            if await _try_any_crew(db, booking, target, prefer=crew):  # type: ignore[arg-type]
                booking.latest_on = max(booking.latest_on, target)
                note(db, booking, f"因{why}，您 {day} 的作业改到 {target}，请留意。")
                break
        else:
            booking.status, booking.scheduled_on = BookingStatus.WAITLISTED, None
            booking.operator_id = booking.machine_id = None
            note(db, booking, f"因{why}，您 {day} 的作业暂停，已进入候补，有空位时优先为您安排。")
    await db.flush()


async def reschedule_day(
    db: AsyncSession, cooperative_id: int, day: date, *, reason: str, cause: str = "rain", machine_id: int | None = None
) -> list[Booking]:
    """Rain stops the whole fleet for a day; a breakdown stops one machine. Every farmer gets a notice."""
    reason = reason.strip()
    if not reason:
        raise BadInput("请说明原因（如：降雨、故障）", field="reason")
    if day < clock.today():
        raise BadInput("不能调整已经过去的日期", field="day")
    query = select(Booking).where(
        Booking.cooperative_id == cooperative_id, Booking.scheduled_on == day, Booking.status == BookingStatus.SCHEDULED
    )
    if cause == "rain":
        if not await db.scalar(
            select(ClosedDay.id).where(ClosedDay.cooperative_id == cooperative_id, ClosedDay.day == day)
        ):
            db.add(ClosedDay(cooperative_id=cooperative_id, day=day, reason=reason[:100]))
    elif cause == "breakdown":
        if machine_id is None:
            raise BadInput("故障改期请选择农机", field="machine_id")
        machine = await machine_in(db, cooperative_id, machine_id)
        db.add(Maintenance(machine_id=machine.id, starts_on=day, ends_on=day, note=f"故障：{reason}"[:200]))  # type: ignore[arg-type]
        query = query.where(Booking.machine_id == machine_id)
    else:
        raise BadInput("原因类型只能是 rain（降雨）或 breakdown（故障）", field="cause")
    await db.flush()
    affected = (await db.scalars(query.order_by(Booking.id).with_for_update())).all()
    await _displace(db, affected, day, reason)
    await _close(db, cooperative_id, day, machine_id if cause == "breakdown" else None)
    return list(affected)


async def _close(db: AsyncSession, cooperative_id: int, day: date, machine_id: int | None) -> None:
    if machine_id is not None:
        await capacity.close_rows(db, day, machine_ids=[machine_id])
        return
    machines = (await db.scalars(select(Machine.id).where(Machine.cooperative_id == cooperative_id))).all()
    operators = (await db.scalars(select(Operator.id).where(Operator.cooperative_id == cooperative_id))).all()
    await capacity.close_rows(db, day, machine_ids=machines, operator_ids=operators)


async def add_maintenance(
    db: AsyncSession, machine: Machine, starts_on: date, ends_on: date, note_text: str
) -> Maintenance:
    """Take a machine out of service; jobs already on it in those days are moved, with a notice."""
    if ends_on < starts_on:
        raise BadInput("结束日期不能早于开始日期", field="ends_on")
    if (ends_on - starts_on).days > 365:
        raise BadInput("检修期最长一年", field="ends_on")
    upkeep = Maintenance(
        machine_id=machine.id,
        starts_on=starts_on,
        ends_on=ends_on,  # type: ignore[arg-type]
        note=note_text.strip()[:200],
    )
    db.add(upkeep)
    await db.flush()
    affected = (
        await db.scalars(
            select(Booking)
            .where(
                Booking.machine_id == machine.id,
                Booking.status == BookingStatus.SCHEDULED,
                Booking.scheduled_on.between(starts_on, ends_on),
            )
            .order_by(Booking.scheduled_on, Booking.id)
            .with_for_update()
        )
    ).all()
    by_day: dict[date, list[Booking]] = {}
    for booking in affected:
        by_day.setdefault(booking.scheduled_on, []).append(booking)  # type: ignore[arg-type]
    for day in sorted(by_day):
        await capacity.close_rows(db, day, machine_ids=[machine.id])  # type: ignore[list-item]
        await _displace(db, by_day[day], day, f"农机检修（{upkeep.note or machine.plate}）")
    for day in range(starts_on.toordinal(), ends_on.toordinal() + 1):
        await capacity.close_rows(db, date.fromordinal(day), machine_ids=[machine.id])  # type: ignore[list-item]
    return upkeep


async def proposal(db: AsyncSession, cooperative_id: int, day: date) -> tuple[list[Slot], list[int]]:
    """The automatic proposal for one day, in the charter's order (nothing is written)."""
    policy = await policy_for(db, cooperative_id)
    slope_until = policy.season_starts_on + timedelta(policy.slope_first_days - 1) if policy.season_starts_on else None
    rows = (
        await db.execute(
            select(Booking, ServiceType.machine_kind)
            .join(ServiceType, ServiceType.id == Booking.service_type_id)
            .where(
                Booking.cooperative_id == cooperative_id,
                Booking.status.in_(OPEN_STATUSES),
                Booking.earliest_on <= day,
                Booking.latest_on >= day,
            )
        )
    ).all()
    requests = [as_request(b, kind) for b, kind in rows]
    free = await capacity.free_capacity(db, cooperative_id, day, day)
    return propose([day], requests, await capacity.crews(db, cooperative_id), free, slope_until)


async def confirm_proposal(db: AsyncSession, cooperative_id: int, day: date) -> list[Booking]:
    """The dispatcher accepts the proposal: each slot is claimed in the database; a slot someone took
    meanwhile is skipped, never over-booked."""
    if day < clock.today():
        raise BadInput("不能排到已经过去的日期", field="day")
    slots, unplaced = await proposal(db, cooperative_id, day)
    done = []
    for slot in slots:
        operator, machine = await db.get(Operator, slot.operator_id), await db.get(Machine, slot.machine_id)
        if not await capacity.try_claim(db, operator, machine, day, slot.load):  # type: ignore[arg-type]
            continue
        taken = await transition(
            db,
            Booking,
            slot.request_id,
            "take_slot",
            BOOKING,
            synchronize_session=False,
            scheduled_on=day,
            operator_id=operator.id,  # type: ignore[union-attr]
            machine_id=machine.id,  # type: ignore[union-attr]
            load=slot.load,
        )
        if not taken:
            await capacity.release(db, operator.id, machine.id, day, slot.load)  # type: ignore[union-attr,arg-type]
            continue
        booking = await db.get(Booking, slot.request_id, populate_existing=True)
        note(db, booking, f"作业已排在 {day}，农机手 {operator.name}，农机 {machine.plate}。")  # type: ignore[union-attr,arg-type]
        done.append(booking)
    for booking_id in unplaced:  # last day of their window and still no room: waitlist
        booking = await db.get(Booking, booking_id)
        if booking and booking.latest_on <= day and booking.status == BookingStatus.REQUESTED:
            booking.status = BookingStatus.WAITLISTED
            note(db, booking, "所选日期内农机已排满，已进入候补；有空位时按申请先后为您安排。")
    await db.flush()
    return done  # type: ignore[return-value]
