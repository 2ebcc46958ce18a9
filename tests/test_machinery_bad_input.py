"""Bad input gets a clear 4xx and nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from caoyuan import clock
from coop.machinery.models import Booking, MachineDay, Notice, OperatorDay, Plot
from tests.factories.machinery import (
    ADMIN_PHONE,
    MEMBER_PHONE,
    OPERATOR_PHONES,
    OTHER_MEMBER_PHONE,
    booking_body,
    day,
    make_fleet,
    plot,
)


async def _counts(db) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        return tuple(
            [await s.scalar(select(func.count()).select_from(t)) for t in (Booking, Plot, Notice)]
            + [await s.scalar(select(func.coalesce(func.sum(t.booked), 0))) for t in (OperatorDay, MachineDay)]
        )


async def test_bad_bookings_are_refused_and_nothing_written(client, db, login_api) -> None:
    fleet = await make_fleet(db)
    member = await login_api(client, MEMBER_PHONE)
    before = await _counts(db)
    cases = [
        (booking_body(fleet, plot("0")), 422, "area"),
        (booking_body(fleet, plot("-3")), 422, "area"),
        (booking_body(fleet, plot("300"), plot("250")), 422, "area"),  # charter maximum 500 mu
        (booking_body(fleet, plot("3.333")), 422, "area"),
        (booking_body(fleet, plot("5"), earliest=-5, latest=-1), 422, "latest_on"),
        (booking_body(fleet, plot("5"), earliest=5, latest=2), 422, "latest_on"),
        (booking_body(fleet, plot("5"), earliest=-2, latest=3), 422, "earliest_on"),
        ({**booking_body(fleet, plot("5")), "plots": []}, 422, "plots"),
        ({**booking_body(fleet, plot("5")), "service_type_id": 999}, 404, "service_type_id"),
        (booking_body(fleet, plot("5"), member_id=fleet.member_ids[2]), 403, None),  # for another household
        (booking_body(fleet, plot("5"), day=str(day(20))), 422, "day"),  # outside the window
    ]
    for body, status, field in cases:
        response = await client.post("/api/machinery/bookings", json=body, headers=member)
        assert response.status_code == status, (body, response.text)
        assert response.json()["message"]
        if field:
            assert [f["field"] for f in response.json()["fields"]] == [field], response.text
    assert await _counts(db) == before


async def test_full_day_refused_without_writing(client, db, login_api) -> None:
    fleet = await make_fleet(db, machine_mu=1000, operator_mu=1000)
    member = await login_api(client, MEMBER_PHONE)
    first = await client.post(
        "/api/machinery/bookings", json=booking_body(fleet, plot("8"), day=str(day(1))), headers=member
    )
    assert first.status_code == 201
    before = await _counts(db)
    full = await client.post(
        "/api/machinery/bookings", json=booking_body(fleet, plot("3"), day=str(day(1))), headers=member
    )
    assert full.status_code == 409 and full.json()["code"] == "day_full"
    assert await _counts(db) == before


async def test_a_flood_for_a_full_day_is_refused_before_a_session_is_opened(client, db, login_api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Once the day is noted full, the route answers day_full without opening a session; the first refusal
    (read in the database) and a booking with room each open exactly one."""
    from caoyuan.db import engine

    opened: list[int] = []
    session = engine.Database.session
    monkeypatch.setattr(engine.Database, "session", lambda self: opened.append(1) or session(self))
    fleet = await make_fleet(db, machine_mu=1000, operator_mu=1000)
    member = await login_api(client, MEMBER_PHONE)
    ask = booking_body(fleet, plot("8"), day=str(day(1)))
    opened.clear()
    assert (await client.post("/api/machinery/bookings", json=ask, headers=member)).status_code == 201
    assert len(opened) == 1
    refusals = [await client.post("/api/machinery/bookings", json=ask, headers=member) for _ in range(3)]
    assert [(r.status_code, r.json()["code"]) for r in refusals] == [(409, "day_full")] * 3
    assert len(opened) == 2  # only the first refusal read the day; the note refused the next two
    assert refusals[1].json()["message"] == refusals[0].json()["message"]  # the same answer either way


async def test_uninsured_or_out_of_service_machine_cannot_be_dispatched(client, db, login_api) -> None:
    fleet = await make_fleet(db, machines=1, insured_until=None)
    admin, member = await login_api(client, ADMIN_PHONE), await login_api(client, MEMBER_PHONE)
    bid = (await client.post("/api/machinery/bookings", json=booking_body(fleet, plot("5")), headers=member)).json()[
        "id"
    ]
    before = await _counts(db)
    slot = {"day": str(day(2)), "operator_id": fleet.operator_ids[0], "machine_id": fleet.machine_ids[0]}
    refused = await client.post(f"/api/machinery/bookings/{bid}/schedule", json=slot, headers=admin)
    assert refused.status_code == 409 and "保险" in refused.json()["message"]
    assert await _counts(db) == before


async def test_machine_in_maintenance_cannot_be_dispatched(client, db, login_api) -> None:
    fleet = await make_fleet(db)
    admin, member = await login_api(client, ADMIN_PHONE), await login_api(client, MEMBER_PHONE)
    bid = (await client.post("/api/machinery/bookings", json=booking_body(fleet, plot("5")), headers=member)).json()[
        "id"
    ]
    upkeep = await client.post(
        f"/api/machinery/machines/{fleet.machine_ids[0]}/maintenance",
        headers=admin,
        json={"starts_on": str(day(2)), "ends_on": str(day(3)), "note": "换割台"},
    )
    assert upkeep.status_code == 201
    slot = {"day": str(day(3)), "operator_id": fleet.operator_ids[0], "machine_id": fleet.machine_ids[0]}
    refused = await client.post(f"/api/machinery/bookings/{bid}/schedule", json=slot, headers=admin)
    assert refused.status_code == 409 and "检修" in refused.json()["message"]
    ok = await client.post(f"/api/machinery/bookings/{bid}/schedule", headers=admin, json={**slot, "day": str(day(4))})
    assert ok.status_code == 201
    inverted = await client.post(
        f"/api/machinery/machines/{fleet.machine_ids[0]}/maintenance",
        headers=admin,
        json={"starts_on": str(day(5)), "ends_on": str(day(4))},
    )
    assert inverted.status_code == 422


async def test_completing_twice_and_bad_measurements(client, db, login_api) -> None:
    fleet = await make_fleet(db, operators=2, machines=2)
    member = await login_api(client, MEMBER_PHONE)
    operator, other_operator = await login_api(client, OPERATOR_PHONES[0]), await login_api(client, OPERATOR_PHONES[1])
    bid = (
        await client.post(
            "/api/machinery/bookings", headers=member, json=booking_body(fleet, plot("5"), day=str(day(1)))
        )
    ).json()["id"]
    async with db.session() as s:
        assert (await s.get(Booking, bid)).operator_id == fleet.operator_ids[0]
    url = f"/api/machinery/bookings/{bid}/complete"
    assert (await client.post(url, headers=other_operator, json={"measured_area": "5"})).status_code == 403
    assert (await client.post(url, headers=operator, json={"measured_area": "0"})).status_code == 422
    assert (await client.post(url, headers=operator, json={"measured_area": "900"})).status_code == 422
    assert (
        await client.post(url, headers=operator, json={"measured_area": "5", "fuel_litres": "lots"})
    ).status_code == 422
    assert (
        await client.post(
            url,
            headers=operator,
            json={
                "measured_area": "5",
                "started_at": "2026-09-01T10:00:00+08:00",
                "ended_at": "2026-09-01T09:00:00+08:00",
            },
        )
    ).status_code == 422
    async with db.session() as s:
        assert (await s.get(Booking, bid)).status == "scheduled"
    assert (await client.post(url, headers=operator, json={"measured_area": "5"})).status_code == 201
    twice = await client.post(url, headers=operator, json={"measured_area": "6"})
    assert twice.status_code == 409
    async with db.session() as s:
        assert (await s.get(Booking, bid)).measured_area == 500


async def test_farmer_reads_only_own_bookings(client, db, login_api) -> None:
    fleet = await make_fleet(db)
    member, other = await login_api(client, MEMBER_PHONE), await login_api(client, OTHER_MEMBER_PHONE)
    bid = (await client.post("/api/machinery/bookings", headers=member, json=booking_body(fleet))).json()["id"]
    assert (await client.get(f"/api/machinery/bookings/{bid}", headers=member)).status_code == 200
    refused = await client.get(f"/api/machinery/bookings/{bid}", headers=other)
    assert refused.status_code == 403 and refused.json()["message"] == "只能查看本人的预约"
    assert (await client.get("/api/machinery/bookings", headers=other)).json() == []
    assert (
        await client.post(f"/api/machinery/bookings/{bid}/cancel", headers=other, json={"reason": "x"})
    ).status_code == 403
    assert (
        await client.post(f"/api/machinery/bookings/{bid}/rating", headers=other, json={"score": 1})
    ).status_code == 403
    assert (await client.get(f"/api/machinery/bookings/{bid}")).status_code == 401


async def test_rating_rules(client, db, login_api) -> None:
    fleet = await make_fleet(db)
    member, operator = await login_api(client, MEMBER_PHONE), await login_api(client, OPERATOR_PHONES[0])
    bid = (
        await client.post(
            "/api/machinery/bookings", headers=member, json=booking_body(fleet, plot("5"), day=str(day(1)))
        )
    ).json()["id"]
    early = await client.post(f"/api/machinery/bookings/{bid}/rating", headers=member, json={"score": 5})
    assert early.status_code == 409
    await client.post(f"/api/machinery/bookings/{bid}/complete", headers=operator, json={"measured_area": "5"})
    assert (
        await client.post(f"/api/machinery/bookings/{bid}/rating", headers=member, json={"score": 6})
    ).status_code == 422
    assert (
        await client.post(f"/api/machinery/bookings/{bid}/rating", headers=member, json={"score": 4})
    ).status_code == 201
    assert (
        await client.post(f"/api/machinery/bookings/{bid}/rating", headers=member, json={"score": 5})
    ).status_code == 409


async def test_cancel_needs_a_reason_and_frees_the_day(client, db, login_api) -> None:
    fleet = await make_fleet(db)
    member = await login_api(client, MEMBER_PHONE)
    bid = (
        await client.post(
            "/api/machinery/bookings", headers=member, json=booking_body(fleet, plot("5"), day=str(day(1)))
        )
    ).json()["id"]
    assert (
        await client.post(f"/api/machinery/bookings/{bid}/cancel", headers=member, json={"reason": "  "})
    ).status_code == 422
    ok = await client.post(f"/api/machinery/bookings/{bid}/cancel", headers=member, json={"reason": "自己割了"})
    assert ok.status_code == 201 and ok.json()["status"] == "cancelled"
    async with db.session() as s:
        assert await s.scalar(select(OperatorDay.booked).where(OperatorDay.day == day(1))) == 0
    assert (
        await client.post(f"/api/machinery/bookings/{bid}/cancel", headers=member, json={"reason": "again"})
    ).status_code == 409


async def test_booking_dates_follow_the_beijing_day_not_utc(client, db, login_api) -> None:
    """At 23:30 UTC it is already 07:30 tomorrow in Beijing: the UTC date is yesterday for the farmer."""
    with clock.frozen_at(datetime(2030, 6, 1, 23, 30, tzinfo=UTC)):
        fleet = await make_fleet(db)
        member = await login_api(client, MEMBER_PHONE)
        utc_day = {**booking_body(fleet, plot("5")), "earliest_on": "2030-06-01", "latest_on": "2030-06-05"}
        refused = await client.post("/api/machinery/bookings", json=utc_day, headers=member)
        assert refused.status_code == 422 and [f["field"] for f in refused.json()["fields"]] == ["earliest_on"]
        assert "不能早于今天" in refused.text
        beijing_day = {**utc_day, "earliest_on": "2030-06-02"}
        booked = await client.post("/api/machinery/bookings", json=beijing_day, headers=member)
        assert booked.status_code == 201, booked.text
        assert booked.json()["earliest_on"] == "2030-06-02"
