"""Cancelling a harvester booking: by the farmer, by the collective (admin), never by the operator —
through the API and the pages, on both databases (PostgreSQL enforces the column widths SQLite ignores)."""

from __future__ import annotations

from sqlalchemy import select

from coop.machinery.models import Booking, OperatorDay
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


async def _scheduled(client, db, login_api) -> int:  # type: ignore[no-untyped-def]
    fleet = await make_fleet(db)
    member = await login_api(client, MEMBER_PHONE)
    made = await client.post(
        "/api/machinery/bookings", headers=member, json=booking_body(fleet, plot("5"), day=str(day(1)))
    )
    assert made.status_code == 201 and made.json()["status"] == "scheduled", made.text
    return made.json()["id"]


async def _state(db, bid: int) -> tuple[str, str, int]:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        b = await s.get(Booking, bid)
        booked = await s.scalar(select(OperatorDay.booked).where(OperatorDay.day == day(1)))
        return b.status, b.cancelled_by, booked


async def test_admin_cancels_through_the_api(client, db, login_api) -> None:
    bid = await _scheduled(client, db, login_api)
    admin = await login_api(client, ADMIN_PHONE)
    done = await client.post(f"/api/machinery/bookings/{bid}/cancel", headers=admin, json={"reason": "机器调往外村"})
    assert done.status_code == 201, done.text
    assert done.json()["status"] == "cancelled"
    assert await _state(db, bid) == ("cancelled", "collective", 0)


async def test_member_cancels_through_the_api(client, db, login_api) -> None:
    bid = await _scheduled(client, db, login_api)
    member = await login_api(client, MEMBER_PHONE)
    done = await client.post(f"/api/machinery/bookings/{bid}/cancel", headers=member, json={"reason": "自己割了"})
    assert done.status_code == 201, done.text
    assert await _state(db, bid) == ("cancelled", "farmer", 0)


async def test_operator_may_not_cancel_through_the_api(client, db, login_api) -> None:
    bid = await _scheduled(client, db, login_api)
    operator = await login_api(client, OPERATOR_PHONES[0])
    refused = await client.post(f"/api/machinery/bookings/{bid}/cancel", headers=operator, json={"reason": "不想去"})
    assert refused.status_code == 403
    status, by, booked = await _state(db, bid)
    assert (status, by) == ("scheduled", "") and booked > 0


async def test_admin_cancels_on_the_page(client, db, login_api, login_page) -> None:
    bid = await _scheduled(client, db, login_api)
    await login_page(client, ADMIN_PHONE)
    page = await client.post(
        f"/machinery/bookings/{bid}/cancel", headers=_csrf(client), data={"reason": "降雨停工"}, follow_redirects=False
    )
    assert page.status_code == 303, page.text
    assert await _state(db, bid) == ("cancelled", "collective", 0)
    shown = await client.get(f"/machinery/bookings/{bid}")
    assert "取消原因：降雨停工" in shown.text


async def test_member_cancels_on_the_page(client, db, login_api, login_page) -> None:
    bid = await _scheduled(client, db, login_api)
    await login_page(client, MEMBER_PHONE)
    page = await client.post(
        f"/machinery/bookings/{bid}/cancel", headers=_csrf(client), data={"reason": "自己割了"}, follow_redirects=False
    )
    assert page.status_code == 303, page.text
    assert await _state(db, bid) == ("cancelled", "farmer", 0)


async def test_operator_may_not_cancel_on_the_page(client, db, login_api, login_page) -> None:
    bid = await _scheduled(client, db, login_api)
    await login_page(client, OPERATOR_PHONES[0])
    page = await client.post(
        f"/machinery/bookings/{bid}/cancel", headers=_csrf(client), data={"reason": "不想去"}, follow_redirects=False
    )
    assert page.status_code == 403
    assert (await _state(db, bid))[:2] == ("scheduled", "")
