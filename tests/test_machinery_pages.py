"""The phone pages: a member books through quote → confirm; the operator records the work; the board,
the dashboard (with inline SVG charts) and the fleet page render; a farmer never sees another's booking."""

from __future__ import annotations

from sqlalchemy import select

from coop.machinery.models import Booking
from tests.factories.machinery import (
    ADMIN_PHONE,
    MEMBER_PHONE,
    OPERATOR_PHONES,
    OTHER_MEMBER_PHONE,
    day,
    make_fleet,
)


def _csrf(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}


async def test_member_books_on_the_phone_pages(client, db, login_page) -> None:
    fleet = await make_fleet(db)
    await login_page(client, MEMBER_PHONE)
    form = await client.get("/machinery/book")
    assert form.status_code == 200 and "预约农机作业" in form.text and "玉米收割" in form.text
    query = {
        "service_type_id": str(fleet.harvest_id),
        "area0": "8",
        "village0": "八道岭村",
        "note0": "东山坡",
        "slope0": "1",
        "earliest_on": str(day(1)),
        "latest_on": str(day(5)),
    }
    quote = await client.get("/machinery/quote", params=query)
    assert quote.status_code == 200, quote.text
    assert "¥50.00" in quote.text and "¥80.00" in quote.text and "节省" in quote.text
    assert str(day(1)) in quote.text
    bad = await client.get("/machinery/quote", params={**query, "area0": "0"})
    assert bad.status_code == 422 and "面积必须大于零" in bad.text
    booked = await client.post(
        "/machinery/book", data={**query, "day": str(day(1))}, headers=_csrf(client), follow_redirects=False
    )
    assert booked.status_code == 303, booked.text
    page = await client.get(booked.headers["location"])
    assert "预约已提交" in page.text and str(day(1)) in page.text
    mine = await client.get("/machinery/my")
    assert "东山坡" in mine.text and "已排班" in mine.text


async def test_operator_records_the_work_and_farmer_confirms(client, db, login_page) -> None:
    fleet = await make_fleet(db)
    await login_page(client, MEMBER_PHONE)
    query = {
        "service_type_id": str(fleet.harvest_id),
        "area0": "10",
        "earliest_on": str(day(1)),
        "latest_on": str(day(1)),
        "day": str(day(1)),
    }
    await client.post("/machinery/book", data=query, headers=_csrf(client))
    async with db.session() as s:
        bid = await s.scalar(select(Booking.id))
    client.cookies.clear()
    await login_page(client, OPERATOR_PHONES[0])
    home = await client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/machinery/today"
    today = await client.get(f"/machinery/today?day={day(1)}")
    assert "完成：实测亩数" in today.text and "社员1" in today.text
    done = await client.post(
        f"/machinery/bookings/{bid}/complete",
        headers=_csrf(client),
        follow_redirects=False,
        data={"measured_area": "12.5", "start": "08:00", "end": "10:30", "fuel_litres": "20"},
    )
    assert done.status_code == 303
    async with db.session() as s:
        b = await s.get(Booking, bid)
        assert b.measured_area == 1250 and b.needs_confirmation and (b.ended_at - b.started_at).seconds == 9000
    client.cookies.clear()
    await login_page(client, MEMBER_PHONE)
    detail = await client.get(f"/machinery/bookings/{bid}")
    assert "确认实测面积" in detail.text and "待确认" in detail.text
    await client.post(f"/machinery/bookings/{bid}/confirm", headers=_csrf(client))
    await client.post(f"/machinery/bookings/{bid}/rate", headers=_csrf(client), data={"score": "5", "comment": "好"})
    detail = await client.get(f"/machinery/bookings/{bid}")
    assert "评价：5 分" in detail.text and "确认实测面积" not in detail.text
    client.cookies.clear()
    await login_page(client, OTHER_MEMBER_PHONE)
    assert (await client.get(f"/machinery/bookings/{bid}")).status_code == 403
    client.cookies.clear()
    await login_page(client, ADMIN_PHONE)
    paid = await client.post(
        f"/machinery/bookings/{bid}/pay", headers=_csrf(client), data={"channel": "cash"}, follow_redirects=False
    )
    assert paid.status_code == 303
    detail = await client.get(f"/machinery/bookings/{bid}")
    assert "已付款" in detail.text and "六四开" in detail.text


async def test_board_dashboard_and_fleet_render(client, db, login_page) -> None:
    fleet = await make_fleet(db)
    await login_page(client, ADMIN_PHONE)
    headers = _csrf(client)
    await client.get("/machinery/board")
    query = {
        "service_type_id": str(fleet.harvest_id),
        "area0": "6",
        "earliest_on": str(day(1)),
        "latest_on": str(day(3)),
        "member_id": str(fleet.member_ids[1]),
    }
    made = await client.post("/machinery/book", data=query, headers=_csrf(client), follow_redirects=False)
    assert made.status_code == 303, made.text
    board = await client.get(f"/machinery/board?day={day(1)}")
    assert board.status_code == 200 and "自动排班建议" in board.text and "困难户" in board.text
    confirmed = await client.post(
        "/machinery/board/confirm", data={"day": str(day(1))}, headers=_csrf(client), follow_redirects=False
    )
    assert confirmed.status_code == 303
    assert "蒙D-00000" in (await client.get(f"/machinery/board?day={day(1)}")).text
    rain = await client.post(
        "/machinery/board/reschedule",
        headers=_csrf(client),
        follow_redirects=False,
        data={"day": str(day(1)), "reason": "降雨", "cause": "rain"},
    )
    assert rain.status_code == 303
    async with db.session() as s:
        assert (await s.scalar(select(Booking.scheduled_on))) == day(2)
    dash = await client.get("/machinery/dashboard")
    assert dash.status_code == 200 and dash.text.count("<svg") >= 7 and "玉米机收率" in dash.text
    fleet_page = await client.get("/machinery/fleet")
    assert fleet_page.status_code == 200 and "PICC-0" in fleet_page.text and "可派出" in fleet_page.text
    del headers
