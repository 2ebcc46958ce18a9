"""A flood of bookings for a full day is refused from this process's note of full days, before any query;
a day with room again is never refused from it (coop/machinery/services/full_days.py)."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from sqlalchemy import event, func, select, update

from caoyuan.auth.current import CurrentUser
from caoyuan.errors import BadInput, Conflict
from coop.machinery.errors import MachineryCode
from coop.machinery.models import Booking, BookingStatus, OperatorDay, PricingPolicy
from coop.machinery.schemas import BookingIn, PlotIn
from coop.machinery.services import full_days, schedule
from coop.machinery.services.booking import request_booking
from coop.machinery.services.common import booking_for
from tests.factories.machinery import ADMIN_PHONE, day, make_fleet

AGENT = CurrentUser(1, ADMIN_PHONE, "王会计", "admin", "api", "")
FULL = "full"


def _ask(fleet, area: str = "3") -> BookingIn:  # type: ignore[no-untyped-def]
    """An outside farmer's plot, booked by the agent for day 1 only (any crew)."""
    return BookingIn(
        service_type_id=fleet.harvest_id,
        plots=[PlotIn("八道岭村", area)],
        earliest_on=day(1),
        latest_on=day(1),
        farmer_name="外村农户",
        farmer_phone="13912345678",
        day=day(1),
    )


async def _book(db, body: BookingIn) -> int | str:  # type: ignore[no-untyped-def]
    try:
        async with db.session() as s:
            return (await request_booking(s, AGENT, body)).booking.id  # type: ignore[return-value]
    except Conflict as refused:
        assert refused.code == MachineryCode.DAY_FULL, refused
        return FULL


async def _cancel(db, booking_id: int) -> None:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        booking = await booking_for(s, booking_id, lock=True)
        await schedule.cancel(s, booking, by="collective", reason="农户不需要了")


def _statements(db) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


async def _agents_book(db) -> None:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        await s.execute(update(PricingPolicy).values(agent_roles="admin"))


async def test_a_known_full_day_is_refused_without_a_query_and_booked_again_once_freed(db) -> None:
    fleet = await make_fleet(db, operator_mu=600)  # 6 mu a day: two bookings of 3 mu
    await _agents_book(db)
    first, second = await _book(db, _ask(fleet)), await _book(db, _ask(fleet))
    assert FULL not in (first, second)
    assert await _book(db, _ask(fleet)) == FULL  # read in the database, and noted
    statements = _statements(db)
    assert await _book(db, _ask(fleet)) == FULL
    assert await _book(db, _ask(fleet, "8")) == FULL  # asking for more: refused too
    assert statements == []
    with pytest.raises(BadInput):  # a malformed ask still hears what is wrong with it
        async with db.session() as s:
            await request_booking(
                s, AGENT, BookingIn(**{**msgspec.structs.asdict(_ask(fleet)), "plots": [PlotIn(" ", "3")]})
            )
    await _cancel(db, first)  # type: ignore[arg-type]
    third = await _book(db, _ask(fleet))  # the freed 3 mu are booked at once, not refused from the note
    assert third != FULL and statements
    assert await _book(db, _ask(fleet)) == FULL


async def test_a_smaller_ask_is_not_refused_for_a_bigger_ones_sake(db) -> None:
    fleet = await make_fleet(db, operator_mu=500)
    await _agents_book(db)
    assert await _book(db, _ask(fleet)) != FULL  # 2 mu left
    assert await _book(db, _ask(fleet)) == FULL  # 3 mu do not fit: noted
    assert await _book(db, _ask(fleet, "2")) != FULL  # 2 mu do
    assert await _book(db, _ask(fleet, "0.5")) == FULL


async def test_room_freed_by_another_process_is_seen_within_the_notes_life(db, monkeypatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(full_days, "_now", lambda: now[0])
    fleet = await make_fleet(db, operator_mu=300)
    await _agents_book(db)
    booked = await _book(db, _ask(fleet))
    assert await _book(db, _ask(fleet)) == FULL
    async with db.session() as s:  # another process cancels: straight in the database, this one hears nothing
        await s.execute(update(OperatorDay).values(booked=0))
        await s.execute(update(Booking).where(Booking.id == booked).values(status=BookingStatus.CANCELLED, load=0))
    assert await _book(db, _ask(fleet)) == FULL  # still the note …
    now[0] += full_days.NOTE_SECONDS
    assert await _book(db, _ask(fleet)) != FULL  # … for one second at most


def test_a_refusal_read_while_capacity_was_freed_is_not_noted() -> None:
    note, ask = full_days.FullDays(), (1, day(1), None, None)
    seen = note.generation
    note.forget()  # a release committed while the room was being read
    note.remember(ask, [(1, 1)], {("operator", 1): 0}, seen)
    assert not note.known_full(ask, 300)
    note.remember(ask, [(1, 1), (2, 1)], {("operator", 1): 0, ("machine", 1): 5000}, note.generation)
    assert not note.known_full(ask, 300)  # operator 2's day has no row yet: room, as far as the note knows
    note.remember(ask, [(1, 1), (2, 1)], {("operator", 1): 0, ("operator", 2): 299}, note.generation)
    assert note.known_full(ask, 300) and not note.known_full(ask, 299)
    assert not note.known_full((1, day(1), 2, None), 300)  # another ask: its crews are not known


@pytest.mark.postgres_only
async def test_a_cancellation_amid_a_flood_of_refusals_is_booked_exactly_once(db) -> None:
    """Twenty bookings refused (most from the note) on their own connections while a booking is cancelled:
    the freed 3 mu go to exactly one booking, during the flood or right after it."""
    fleet = await make_fleet(db, operator_mu=1500)
    await _agents_book(db)
    held = [await _book(db, _ask(fleet)) for _ in range(5)]
    assert FULL not in held and await _book(db, _ask(fleet)) == FULL
    outcomes = await asyncio.gather(*(_book(db, _ask(fleet)) for _ in range(20)), _cancel(db, held[0]))  # type: ignore[arg-type]
    after = await _book(db, _ask(fleet))
    assert len([o for o in [*outcomes[:20], after] if o != FULL]) == 1
    async with db.session() as s:
        booked = await s.scalar(select(OperatorDay.booked).where(OperatorDay.day == day(1)))
        load = await s.scalar(select(func.sum(Booking.load)).where(Booking.status == BookingStatus.SCHEDULED))
    assert booked == load == 1500
