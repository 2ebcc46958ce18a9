"""A farmer gets a quote, books, is scheduled, the work is done and paid, and it shows in the books."""

from __future__ import annotations

from sqlalchemy import func, select

from coop.machinery.models import Booking, Wage
from coop.models import MemberVolume, Posting
from tests.factories.machinery import (
    ADMIN_PHONE,
    HARDSHIP_PHONE,
    MEMBER_PHONE,
    OPERATOR_PHONES,
    booking_body,
    day,
    make_fleet,
    plot,
)


async def test_quote_shows_price_saving_and_dates(client, db, login_api) -> None:
    fleet = await make_fleet(db)
    member = await login_api(client, MEMBER_PHONE)
    q = await client.get(
        "/api/machinery/quote",
        params={"service_type_id": fleet.harvest_id, "area": "10", "slope_area": "2.5"},
        headers=member,
    )
    assert q.status_code == 200, q.text
    body = q.json()
    assert body["member"] is True and body["hardship"] is False
    assert body["per_mu"] == {
        "market_fen": 8000,
        "list_fen": 5000,
        "price_fen": 5000,
        "relief_fen": 0,
        "saving_fen": 3000,
    }
    assert body["area"] == "12.50" and body["amount_fen"] == 62500 and body["saving_fen"] == 37500
    assert body["earliest_days"][0] == str(day(0))
    anonymous = await client.get("/api/machinery/quote", params={"service_type_id": fleet.harvest_id, "area": "1"})
    assert anonymous.json()["per_mu"]["price_fen"] == 7000  # non-member: market − 10 元
    poor = await login_api(client, HARDSHIP_PHONE)
    relieved = (
        await client.get(
            "/api/machinery/quote", params={"service_type_id": fleet.harvest_id, "area": "1"}, headers=poor
        )
    ).json()
    assert relieved["hardship"] is True and relieved["per_mu"]["price_fen"] == 3000
    assert relieved["per_mu"]["relief_fen"] == 2000


async def test_book_schedule_work_pay_rate(client, db, login_api) -> None:
    fleet = await make_fleet(db)
    member, admin = await login_api(client, MEMBER_PHONE), await login_api(client, ADMIN_PHONE)
    operator = await login_api(client, OPERATOR_PHONES[0])
    made = await client.post(
        "/api/machinery/bookings", json=booking_body(fleet, plot("6"), plot("4", slope=True)), headers=member
    )
    assert made.status_code == 201, made.text
    booking = made.json()
    assert booking["status"] == "requested" and booking["area"] == "10.00" and booking["price_per_mu_fen"] == 5000
    bid = booking["id"]

    scheduled = await client.post(
        f"/api/machinery/bookings/{bid}/schedule",
        headers=admin,
        json={"day": str(day(2)), "operator_id": fleet.operator_ids[0], "machine_id": fleet.machine_ids[0]},
    )
    assert scheduled.status_code == 201, scheduled.text
    assert scheduled.json()["status"] == "scheduled" and scheduled.json()["scheduled_on"] == str(day(2))
    async with db.session() as s:
        assert (await s.get(Booking, bid)).load == 600 + 600  # 4 slope mu × 1.5

    mine = await client.get("/api/machinery/bookings", params={"day": str(day(2))}, headers=operator)
    assert [b["id"] for b in mine.json()] == [bid]
    assert (await client.post(f"/api/machinery/bookings/{bid}/start", headers=operator)).status_code == 201
    done = await client.post(
        f"/api/machinery/bookings/{bid}/complete",
        headers=operator,
        json={"measured_area": "10.5", "fuel_litres": "18.5"},
    )
    assert done.status_code == 201, done.text
    assert done.json()["status"] == "completed" and done.json()["amount_fen"] == 52500
    assert done.json()["saving_fen"] == 31500 and done.json()["needs_confirmation"] is False

    paid = await client.post(f"/api/machinery/bookings/{bid}/pay", headers=admin, json={"channel": "cash"})
    assert paid.status_code == 201, paid.text
    body = paid.json()
    assert body["status"] == "paid" and body["entry_id"]
    assert set(body["splits"]) == {"development", "assistance"} and sum(body["splits"].values()) == 52500
    assert body["splits"]["development"] > body["splits"]["assistance"]  # 六四开

    async with db.session() as s:
        volume = await s.scalar(
            select(func.sum(MemberVolume.amount_fen)).where(MemberVolume.member_id == fleet.member_ids[0])
        )
        assert volume == 52500
        posting = await s.scalar(select(Posting).where(Posting.reference == f"machinery-booking:{bid}:paid"))
        assert posting is not None and posting.member_id == fleet.member_ids[0]
        wage = await s.scalar(select(Wage).where(Wage.booking_id == bid))
        assert wage.amount_fen == 8400  # 10.5 mu × 8 元

    rated = await client.post(
        f"/api/machinery/bookings/{bid}/rating", headers=member, json={"score": 5, "comment": "割得干净"}
    )
    assert rated.status_code == 201 and rated.json()["rating"] == 5
    board = (await client.get("/api/machinery/dashboard", headers=admin)).json()
    assert board["income_fen"] == 52500 and board["saving_fen"] == 31500
    assert board["satisfied_bp"] == 10000 and board["bookings_by_status"] == {"paid": 1}
    assert board["corn_mechanised_bp"] == 1050 * 10000 // 500000


async def test_non_member_booked_by_agent_is_non_member_business(client, db, login_api) -> None:
    fleet = await make_fleet(db)
    admin = await login_api(client, ADMIN_PHONE)
    made = await client.post(
        "/api/machinery/bookings",
        headers=admin,
        json=booking_body(fleet, plot("5"), farmer_name="外村张三", farmer_phone="13912345678", day=str(day(1))),
    )
    assert made.status_code == 201, made.text
    b = made.json()
    assert b["member_id"] is None and b["price_per_mu_fen"] == 7000 and b["status"] == "scheduled"
    assert b["farmer_phone_masked"] == "139****5678"
    operator = await login_api(client, OPERATOR_PHONES[0])
    await client.post(f"/api/machinery/bookings/{b['id']}/complete", headers=operator, json={"measured_area": "5"})
    paid = (await client.post(f"/api/machinery/bookings/{b['id']}/pay", headers=admin, json={})).json()
    assert paid["amount_fen"] == 35000 and paid["status"] == "paid"
    async with db.session() as s:
        posting = await s.scalar(select(Posting).where(Posting.reference == f"machinery-booking:{b['id']}:paid"))
        assert posting.member_id is None
        assert not (await s.scalar(select(func.count()).select_from(MemberVolume)))


async def test_hardship_waiver_records_relief(client, db, login_api) -> None:
    fleet = await make_fleet(db, hardship_mode="waive")
    poor, admin = await login_api(client, HARDSHIP_PHONE), await login_api(client, ADMIN_PHONE)
    made = (
        await client.post("/api/machinery/bookings", headers=poor, json=booking_body(fleet, plot("4"), day=str(day(1))))
    ).json()
    assert made["price_per_mu_fen"] == 0 and made["hardship"] is True
    operator = await login_api(client, OPERATOR_PHONES[0])
    await client.post(f"/api/machinery/bookings/{made['id']}/complete", headers=operator, json={"measured_area": "4"})
    paid = await client.post(f"/api/machinery/bookings/{made['id']}/pay", headers=admin, json={})
    assert paid.status_code == 201, paid.text
    assert paid.json()["amount_fen"] == 0 and paid.json()["relief_fen"] == 20000
    async with db.session() as s:
        posting = await s.scalar(select(Posting).where(Posting.reference == f"machinery-booking:{made['id']}:paid"))
        assert posting.relief_fen == 20000


async def test_measured_far_above_needs_confirmation_before_payment(client, db, login_api) -> None:
    fleet = await make_fleet(db)
    member, admin = await login_api(client, MEMBER_PHONE), await login_api(client, ADMIN_PHONE)
    operator = await login_api(client, OPERATOR_PHONES[0])
    bid = (
        await client.post(
            "/api/machinery/bookings", headers=member, json=booking_body(fleet, plot("10"), day=str(day(1)))
        )
    ).json()["id"]
    done = await client.post(f"/api/machinery/bookings/{bid}/complete", headers=operator, json={"measured_area": "14"})
    assert done.json()["needs_confirmation"] is True
    refused = await client.post(f"/api/machinery/bookings/{bid}/pay", headers=admin, json={})
    assert refused.status_code == 409 and refused.json()["code"] == "needs_confirmation"
    async with db.session() as s:
        assert (await s.get(Booking, bid)).status == "completed"
        assert not await s.scalar(select(Posting.id).where(Posting.reference == f"machinery-booking:{bid}:paid"))
    assert (await client.post(f"/api/machinery/bookings/{bid}/confirm", headers=member)).status_code == 201
    paid = await client.post(f"/api/machinery/bookings/{bid}/pay", headers=admin, json={})
    assert paid.status_code == 201 and paid.json()["amount_fen"] == 70000
    again = await client.post(f"/api/machinery/bookings/{bid}/pay", headers=admin, json={})
    assert again.status_code == 409 and again.json()["code"] == "already_paid"
