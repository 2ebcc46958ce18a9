"""Every machinery page that posts shows a refusal on the same page: the message at its field, the input
kept, nothing written — never a 500."""

from __future__ import annotations

from sqlalchemy import func, select

from coop.machinery.models import Booking, Maintenance, Rating
from tests.factories.machinery import (
    ADMIN_PHONE,
    MEMBER_PHONE,
    OPERATOR_PHONES,
    booking_body,
    day,
    make_fleet,
    plot,
)


def _csrf(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}


def _at_field(html: str, field: str) -> str:
    """The message shown at ``field`` (forms.html's field_error), or ''."""
    marker = f'id="{field}-error" role="alert">'
    if marker not in html:
        return ""
    return html.split(marker, 1)[1].split("</span>", 1)[0]


async def _count(db, model) -> int:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def test_booking_page_refusals_keep_the_form(client, db, login_page) -> None:
    fleet = await make_fleet(db)
    await login_page(client, MEMBER_PHONE)
    good = {
        "service_type_id": str(fleet.harvest_id),
        "area0": "8",
        "note0": "东山坡",
        "earliest_on": str(day(1)),
        "latest_on": str(day(5)),
    }
    cases = [
        ({**good, "area0": "-1"}, "area0", "东山坡"),
        ({**good, "area0": "abc"}, "area0", "东山坡"),
        ({**good, "area0": "99999"}, "area0", "东山坡"),
        ({**good, "earliest_on": str(day(-5)), "latest_on": str(day(-1))}, "latest_on", str(day(-5))),
        ({**good, "earliest_on": "9999-12-31", "latest_on": "9999-12-31"}, "earliest_on", "东山坡"),
        ({**good, "service_type_id": str(2**63)}, "service_type_id", "东山坡"),
        ({**good, "note0": "坡" * 101}, "note0", "坡" * 101),
    ]
    for form, field, kept in cases:
        page = await client.post("/machinery/book", data=form, headers=_csrf(client), follow_redirects=False)
        assert page.status_code in (400, 404, 409, 422), (form, page.status_code, page.text[:300])
        assert _at_field(page.text, field), (field, page.text)
        assert kept in page.text and "预约农机作业" in page.text
        quoted = await client.get("/machinery/quote", params=form)
        assert quoted.status_code == page.status_code and _at_field(quoted.text, field), (field, quoted.text[:300])
    assert await _count(db, Booking) == 0


async def test_agent_booking_without_a_farmer_name(client, db, login_page) -> None:
    fleet = await make_fleet(db)
    await login_page(client, ADMIN_PHONE)
    form = {
        "service_type_id": str(fleet.harvest_id),
        "area0": "6",
        "farmer_phone": "13912345678",
        "earliest_on": str(day(1)),
        "latest_on": str(day(3)),
    }
    page = await client.post("/machinery/book", data=form, headers=_csrf(client), follow_redirects=False)
    assert page.status_code == 422 and "农户姓名" in _at_field(page.text, "farmer_name")
    assert 'value="13912345678"' in page.text  # the phone typed is kept
    assert await _count(db, Booking) == 0


async def _scheduled_job(client, db, login_api) -> tuple:  # type: ignore[no-untyped-def]
    fleet = await make_fleet(db)
    member = await login_api(client, MEMBER_PHONE)
    made = await client.post(
        "/api/machinery/bookings", headers=member, json=booking_body(fleet, plot("5"), day=str(day(1)))
    )
    return fleet, made.json()["id"]


async def test_operator_complete_refusal_shows_at_the_job(client, db, login_api, login_page) -> None:
    _, bid = await _scheduled_job(client, db, login_api)
    await login_page(client, OPERATOR_PHONES[0])
    for form, field in (
        ({"measured_area": "-1", "fuel_litres": "20"}, "measured_area"),
        ({"measured_area": "5", "start": "25:99"}, "start"),
        ({"measured_area": "5", "fuel_litres": "lots"}, "fuel_litres"),
        ({"measured_area": "5", "fuel_litres": "99999999999"}, "fuel_litres"),
        ({"measured_area": "5", "start": "10:00", "end": "09:00"}, "ended_at"),
    ):
        page = await client.post(
            f"/machinery/bookings/{bid}/complete", data=form, headers=_csrf(client), follow_redirects=False
        )
        assert page.status_code == 422, (form, page.text[:300])
        assert _at_field(page.text, field), (field, page.text)
        assert f'value="{form["measured_area"]}"' in page.text and "今日作业" in page.text
    async with db.session() as s:
        assert (await s.get(Booking, bid)).status == "scheduled"


async def test_rating_cancel_and_schedule_refusals_on_the_booking_page(client, db, login_api, login_page) -> None:
    fleet, bid = await _scheduled_job(client, db, login_api)
    await login_page(client, MEMBER_PHONE)
    early = await client.post(
        f"/machinery/bookings/{bid}/rate",
        data={"score": "5", "comment": "好"},
        headers=_csrf(client),
        follow_redirects=False,
    )
    assert early.status_code == 409 and "作业完成后才能评价" in early.text and f"预约 #{bid}" in early.text
    for score, message in (("9", "不能大于 5"), ("", "请填写此项"), ("x" * 100_000, "请填写整数")):
        bad = await client.post(
            f"/machinery/bookings/{bid}/rate", data={"score": score}, headers=_csrf(client), follow_redirects=False
        )
        assert bad.status_code == 422 and message in bad.text, score  # in the summary: no rating form yet
    assert await _count(db, Rating) == 0
    blank = await client.post(
        f"/machinery/bookings/{bid}/cancel", data={"reason": " "}, headers=_csrf(client), follow_redirects=False
    )
    assert blank.status_code == 422 and "原因" in _at_field(blank.text, "reason")
    await login_page(client, ADMIN_PHONE)
    for form, field in (
        (
            {"day": str(day(-3)), "operator_id": str(fleet.operator_ids[0]), "machine_id": str(fleet.machine_ids[0])},
            "day",
        ),
        ({"day": str(day(2)), "operator_id": str(2**63), "machine_id": "1"}, "operator_id"),
        ({"day": str(day(2)), "operator_id": "99999", "machine_id": str(fleet.machine_ids[0])}, "operator_id"),
    ):
        moved = await client.post(
            f"/machinery/bookings/{bid}/schedule", data=form, headers=_csrf(client), follow_redirects=False
        )
        assert moved.status_code in (404, 422), (form, moved.text[:300])
        assert _at_field(moved.text, field), (field, moved.text)
        assert f'value="{form["day"]}"' in moved.text
    async with db.session() as s:
        assert (await s.get(Booking, bid)).scheduled_on == day(1)


async def test_board_and_fleet_refusals(client, db, login_page) -> None:
    fleet = await make_fleet(db)
    await login_page(client, ADMIN_PHONE)
    rain = await client.post(
        "/machinery/board/reschedule",
        data={"day": str(day(1)), "reason": "", "cause": "rain"},
        headers=_csrf(client),
        follow_redirects=False,
    )
    assert rain.status_code == 422 and _at_field(rain.text, "reason") and "农机调度" in rain.text
    far = await client.post(
        "/machinery/board/confirm", data={"day": "0001-01-01"}, headers=_csrf(client), follow_redirects=False
    )
    assert far.status_code == 422 and _at_field(far.text, "day")
    upkeep = {
        "machine_id": str(fleet.machine_ids[0]),
        "starts_on": str(day(5)),
        "ends_on": str(day(2)),
        "note": "换割台",
    }
    inverted = await client.post(
        "/machinery/fleet/maintenance", data=upkeep, headers=_csrf(client), follow_redirects=False
    )
    assert inverted.status_code == 422 and "换割台" in inverted.text and "农机与农机手" in inverted.text
    unknown = await client.post(
        "/machinery/fleet/maintenance",
        data={**upkeep, "machine_id": str(2**63)},
        headers=_csrf(client),
        follow_redirects=False,
    )
    assert unknown.status_code == 422 and _at_field(unknown.text, "machine_id")
    assert await _count(db, Maintenance) == 0
