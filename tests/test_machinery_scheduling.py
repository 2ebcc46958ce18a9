"""Scheduling: the proposal's order, the waitlist and freed slots, a rained-off day, and the race."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from caoyuan import clock
from caoyuan.auth.current import CurrentUser
from caoyuan.errors import Conflict
from coop.machinery.models import Booking, ClosedDay, MachineDay, Notice, OperatorDay, PricingPolicy
from coop.machinery.schemas import BookingIn, PlotIn
from coop.machinery.services.booking import request_booking
from tests.factories.machinery import (
    ADMIN_PHONE,
    HARDSHIP_PHONE,
    MEMBER_PHONE,
    OTHER_MEMBER_PHONE,
    booking_body,
    day,
    make_fleet,
    plot,
)


async def _book(client, headers, fleet, *plots, **extra) -> dict:  # type: ignore[no-untyped-def]
    response = await client.post("/api/machinery/bookings", headers=headers, json=booking_body(fleet, *plots, **extra))
    assert response.status_code == 201, response.text
    return response.json()


async def test_proposal_puts_hardship_first_then_request_time(client, db, login_api) -> None:
    fleet = await make_fleet(db, machine_mu=2000, operator_mu=2000)  # 20 mu a day
    member, poor = await login_api(client, MEMBER_PHONE), await login_api(client, HARDSHIP_PHONE)
    other, admin = await login_api(client, OTHER_MEMBER_PHONE), await login_api(client, ADMIN_PHONE)
    early = await _book(client, member, fleet, plot("10"))
    later = await _book(client, other, fleet, plot("10"))
    hardship = await _book(client, poor, fleet, plot("10"))  # asked last, but 困难户
    proposal = (await client.get("/api/machinery/proposal", params={"day": str(day(1))}, headers=admin)).json()
    assert [s["booking_id"] for s in proposal["slots"]] == [hardship["id"], early["id"]]
    assert proposal["unplaced"] == [later["id"]]
    confirmed = await client.post("/api/machinery/proposal/confirm", headers=admin, json={"day": str(day(1))})
    assert sorted(b["id"] for b in confirmed.json()) == sorted([hardship["id"], early["id"]])
    async with db.session() as s:
        assert await s.scalar(select(OperatorDay.booked).where(OperatorDay.day == day(1))) == 2000
        assert (await s.get(Booking, later["id"])).status == "requested"  # its window goes on


async def test_slope_land_first_at_the_start_of_harvest(client, db, login_api) -> None:
    fleet = await make_fleet(
        db, machine_mu=1500, operator_mu=1500, policy={"season_starts_on": clock.today(), "slope_first_days": 3}
    )
    member, other, admin = (
        await login_api(client, MEMBER_PHONE),
        await login_api(client, OTHER_MEMBER_PHONE),
        await login_api(client, ADMIN_PHONE),
    )
    flat = await _book(client, member, fleet, plot("10"))
    slope = await _book(client, other, fleet, plot("8", slope=True))  # weighs 12 mu
    first_days = (await client.get("/api/machinery/proposal", params={"day": str(day(1))}, headers=admin)).json()
    assert [s["booking_id"] for s in first_days["slots"]] == [slope["id"]]
    assert first_days["slots"][0]["load"] == "12.00"
    after = (await client.get("/api/machinery/proposal", params={"day": str(day(5))}, headers=admin)).json()
    assert [s["booking_id"] for s in after["slots"]] == [flat["id"]]  # request time again


async def test_waitlist_and_a_freed_slot_goes_to_the_oldest_that_fits(client, db, login_api) -> None:
    fleet = await make_fleet(db, machine_mu=1000, operator_mu=1000)
    member, poor, other = (
        await login_api(client, MEMBER_PHONE),
        await login_api(client, HARDSHIP_PHONE),
        await login_api(client, OTHER_MEMBER_PHONE),
    )
    taken = await _book(client, member, fleet, plot("10"), earliest=1, latest=1, day=str(day(1)))
    oldest = await _book(client, poor, fleet, plot("8"), earliest=1, latest=1)
    newer = await _book(client, other, fleet, plot("5"), earliest=1, latest=1)
    assert oldest["status"] == newer["status"] == "waitlisted"
    cancelled = await client.post(
        f"/api/machinery/bookings/{taken['id']}/cancel", headers=member, json={"reason": "下雨前自己收了"}
    )
    assert cancelled.status_code == 201
    mine = (await client.get(f"/api/machinery/bookings/{oldest['id']}", headers=poor)).json()
    assert mine["status"] == "scheduled" and mine["scheduled_on"] == str(day(1))
    assert any("有空位" in n for n in mine["notices"])
    assert (await client.get(f"/api/machinery/bookings/{newer['id']}", headers=other)).json()["status"] == "waitlisted"


async def test_rain_moves_the_whole_day_with_a_notice_each(client, db, login_api) -> None:
    fleet = await make_fleet(db, machine_mu=3000, operator_mu=3000)
    member, other, admin = (
        await login_api(client, MEMBER_PHONE),
        await login_api(client, OTHER_MEMBER_PHONE),
        await login_api(client, ADMIN_PHONE),
    )
    a = await _book(client, member, fleet, plot("10"), day=str(day(2)))
    b = await _book(client, other, fleet, plot("12"), day=str(day(2)))
    moved = await client.post(
        f"/api/machinery/days/{day(2)}/reschedule", headers=admin, json={"reason": "降雨", "cause": "rain"}
    )
    assert moved.status_code == 201, moved.text
    assert {x["id"] for x in moved.json()} == {a["id"], b["id"]}
    for booking_id, headers in ((a["id"], member), (b["id"], other)):
        view = (await client.get(f"/api/machinery/bookings/{booking_id}", headers=headers)).json()
        assert view["status"] == "scheduled" and view["scheduled_on"] == str(day(3))
        assert any("降雨" in n and str(day(3)) in n for n in view["notices"])
    async with db.session() as s:
        assert await s.scalar(select(ClosedDay.reason).where(ClosedDay.day == day(2))) == "降雨"
        rows = (await s.execute(select(OperatorDay.day, OperatorDay.booked, OperatorDay.capacity))).all()
        assert {(d, booked) for d, booked, _ in rows} == {(day(2), 0), (day(3), 2200)}
    again = await client.post(
        "/api/machinery/bookings", headers=member, json=booking_body(fleet, plot("1"), day=str(day(2)))
    )
    assert again.status_code == 409  # nothing more goes on a rained-off day


async def test_dispatcher_moves_a_booking_within_capacity(client, db, login_api) -> None:
    fleet = await make_fleet(db, machine_mu=1000, operator_mu=1000)
    member, other, admin = (
        await login_api(client, MEMBER_PHONE),
        await login_api(client, OTHER_MEMBER_PHONE),
        await login_api(client, ADMIN_PHONE),
    )
    a = await _book(client, member, fleet, plot("6"), day=str(day(1)))
    b = await _book(client, other, fleet, plot("6"), day=str(day(2)))
    slot = {"operator_id": fleet.operator_ids[0], "machine_id": fleet.machine_ids[0]}
    full = await client.post(
        f"/api/machinery/bookings/{b['id']}/schedule", headers=admin, json={**slot, "day": str(day(1))}
    )
    assert full.status_code == 409
    async with db.session() as s:  # the refused move changed nothing
        assert (await s.get(Booking, b["id"])).scheduled_on == day(2)
        assert await s.scalar(select(OperatorDay.booked).where(OperatorDay.day == day(2))) == 600
    moved = await client.post(
        f"/api/machinery/bookings/{a['id']}/schedule", headers=admin, json={**slot, "day": str(day(3))}
    )
    assert moved.status_code == 201 and moved.json()["scheduled_on"] == str(day(3))
    async with db.session() as s:
        booked = dict((await s.execute(select(MachineDay.day, MachineDay.booked))).all())
        assert booked == {day(1): 0, day(2): 600, day(3): 600}


async def test_database_refuses_an_over_booked_row(db) -> None:
    """Besides the guarded UPDATE, a CHECK constraint keeps booked ≤ capacity."""
    fleet = await make_fleet(db)
    async with db.session() as s:
        s.add(OperatorDay(operator_id=fleet.operator_ids[0], day=day(1), capacity=100, booked=0))
    with pytest.raises(Exception) as caught:
        async with db.session() as s:
            await s.execute(update(OperatorDay).values(booked=101))
    assert "check" in str(caught.value).lower() or "constraint" in str(caught.value).lower()


AGENT = CurrentUser(1, "13800000001", "王会计", "admin", "api", "")


def _three_mu_tomorrow(fleet) -> BookingIn:  # type: ignore[no-untyped-def]
    """An outside farmer's 3 mu, booked by the agent for day 1 only."""
    return BookingIn(
        service_type_id=fleet.harvest_id,
        plots=[PlotIn("八道岭村", "3")],
        earliest_on=day(1),
        latest_on=day(1),
        farmer_name="外村农户",
        farmer_phone="13912345678",
        day=day(1),
    )


@pytest.mark.postgres_only
async def test_concurrent_bookings_never_over_book_a_day(db) -> None:
    """Many bookings at once on one operator-day, each on its own PostgreSQL connection."""
    fleet = await make_fleet(db, machine_mu=10_000, operator_mu=5_000)  # the operator-day is the limit: 50 mu
    async with db.session() as s:
        await s.execute(update(PricingPolicy).values(agent_roles="admin"))
    agent, body = AGENT, _three_mu_tomorrow(fleet)
    outcomes: list[str] = []

    async def one() -> None:
        try:
            async with db.session() as s:
                await request_booking(s, agent, body)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("full")

    await asyncio.gather(*(one() for _ in range(60)))
    assert outcomes.count("ok") == 16 and outcomes.count("full") == 44  # 16 × 3 mu ≤ 50 mu < 17 × 3
    async with db.session() as s:
        booked = await s.scalar(select(OperatorDay.booked).where(OperatorDay.day == day(1)))
        held = await s.scalar(select(func.sum(Booking.load)).where(Booking.status == "scheduled"))
        assert booked == held == 4800
        assert await s.scalar(select(func.count()).select_from(Booking)) == 16
        assert await s.scalar(select(func.count()).select_from(Notice)) == 16
    assert clock.today() + timedelta(1) == day(1)


@pytest.mark.postgres_only
async def test_two_taps_on_complete_record_the_job_once(db) -> None:
    """Two phones (or a retry) complete the same job at once, each on its own connection: one record, one wage."""
    from coop.machinery.models import Wage
    from coop.machinery.schemas import CompleteIn
    from coop.machinery.services import work
    from coop.machinery.services.common import Caller

    fleet = await make_fleet(db)
    async with db.session() as s:
        await s.execute(update(PricingPolicy).values(agent_roles="admin"))
    agent, body = AGENT, _three_mu_tomorrow(fleet)
    async with db.session() as s:
        booking_id = (await request_booking(s, agent, body)).booking.id
    outcomes: list[str] = []

    async def complete(area: str) -> None:
        try:
            async with db.session() as s:
                booking = await s.get(Booking, booking_id)
                await work.complete(s, Caller(agent, None, None, True), booking, CompleteIn(measured_area=area))  # type: ignore[arg-type]
            outcomes.append(area)
        except Conflict:
            outcomes.append("refused")

    await asyncio.gather(complete("3"), complete("3.5"))
    assert sorted(outcomes)[-1] == "refused" and len(outcomes) == 2
    async with db.session() as s:
        job = await s.get(Booking, booking_id)
        wages = await s.scalar(select(func.count()).select_from(Wage))  # the only job of the test
    assert job.status == "completed" and wages == 1  # type: ignore[union-attr]
    assert job.measured_area == (300 if "3" in outcomes else 350)  # type: ignore[union-attr]
