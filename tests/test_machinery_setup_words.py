"""Issue 10 item 8: the harvest pages in plain words — farmer and operator of one job can phone each other
(only on that job's page), a paid job reads plainly for the farmer, and 完成 tells the operator what was
recorded and what comes next."""

from __future__ import annotations

from caoyuan.identity import mask_phone
from coop.machinery.models import Booking
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


def _csrf(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}


async def _jobs(client, db, login_api, count: int = 1) -> tuple:  # type: ignore[no-untyped-def]
    """``count`` jobs for member 1, all tomorrow with operator 1; returns the fleet, ids and the farmer's phone."""
    fleet = await make_fleet(db, operator_mu=20000, machine_mu=20000)
    member = await login_api(client, MEMBER_PHONE)
    ids = []
    for _ in range(count):
        made = await client.post(
            "/api/machinery/bookings", headers=member, json=booking_body(fleet, plot("5"), day=str(day(1)))
        )
        assert made.status_code == 201 and made.json()["status"] == "scheduled", made.text
        ids.append(made.json()["id"])
    async with db.session() as s:
        farmer_phone = (await s.get(Booking, ids[0])).farmer_phone
    assert farmer_phone
    return fleet, ids, farmer_phone


async def test_farmer_and_operator_of_a_job_can_call_each_other_there_only(client, db, login_api, login_page) -> None:
    _, (bid,), farmer_phone = await _jobs(client, db, login_api)
    operator_phone = OPERATOR_PHONES[0]
    await login_page(client, MEMBER_PHONE)
    mine = await client.get(f"/machinery/bookings/{bid}")
    assert f'href="tel:{operator_phone}"' in mine.text and "给农机手" in mine.text
    assert f"tel:{farmer_phone}" not in mine.text
    listing = await client.get("/machinery/my")
    assert "tel:" not in listing.text and operator_phone not in listing.text
    await login_page(client, operator_phone)
    job = await client.get(f"/machinery/bookings/{bid}")
    assert f'href="tel:{farmer_phone}"' in job.text and "给农户" in job.text
    day_list = await client.get("/machinery/today", params={"day": str(day(1))})
    assert "tel:" not in day_list.text and farmer_phone not in day_list.text
    assert mask_phone(farmer_phone) in day_list.text and f"/machinery/bookings/{bid}" in day_list.text
    await login_page(client, ADMIN_PHONE)
    both = await client.get(f"/machinery/bookings/{bid}")
    assert f"tel:{farmer_phone}" in both.text and f"tel:{operator_phone}" in both.text
    await login_page(client, OTHER_MEMBER_PHONE)
    assert (await client.get(f"/machinery/bookings/{bid}")).status_code == 403
    admin = await login_api(client, ADMIN_PHONE)
    operator = await login_api(client, operator_phone)
    assert (
        await client.post(f"/api/machinery/bookings/{bid}/complete", headers=operator, json={"measured_area": "5"})
    ).status_code == 201
    assert (
        await client.post(f"/api/machinery/bookings/{bid}/pay", headers=admin, json={"channel": "cash"})
    ).status_code == 201
    await login_page(client, MEMBER_PHONE)
    assert "tel:" not in (await client.get(f"/machinery/bookings/{bid}")).text  # the job is over


async def test_a_paid_job_reads_in_plain_words_for_the_farmer(client, db, login_api, login_page) -> None:
    _, (bid,), _ = await _jobs(client, db, login_api)
    admin = await login_api(client, ADMIN_PHONE)
    operator = await login_api(client, OPERATOR_PHONES[0])
    done = await client.post(f"/api/machinery/bookings/{bid}/complete", headers=operator, json={"measured_area": "5"})
    assert done.status_code == 201
    paid = await client.post(f"/api/machinery/bookings/{bid}/pay", headers=admin, json={"channel": "cash"})
    assert paid.status_code == 201 and paid.json()["status"] == "paid"
    amount = paid.json()["amount_fen"]
    await login_page(client, MEMBER_PHONE)
    page = (await client.get(f"/machinery/bookings/{bid}")).text
    main = page.split("<main", 1)[-1]
    for jargon in ("凭证", "六四开", "应付", "发展", "帮扶", "入账"):
        assert jargon not in main, jargon
    assert main.count("已收款") + main.count("已付款") == 1  # the badge says it once
    assert f"¥{amount // 100:,}.{amount % 100:02d}" in main and "现金付清" in main and "省了" in main
    listing = (await client.get("/machinery/my")).text.split("<main", 1)[-1]
    assert "应付" not in listing and "已收款" not in listing and "付了" in listing
    await login_page(client, ADMIN_PHONE)
    books = (await client.get(f"/machinery/bookings/{bid}")).text
    assert "入账凭证" in books and "六四开" in books  # the accountant still sees the books


async def test_operator_sees_what_was_recorded_and_the_next_job(client, db, login_api, login_page) -> None:
    _, (first, second), _ = await _jobs(client, db, login_api, count=2)
    await login_page(client, OPERATOR_PHONES[0])
    back = f"/machinery/today?day={day(1)}"
    sent = await client.post(
        f"/machinery/bookings/{first}/complete",
        headers=_csrf(client),
        data={"measured_area": "5.5", "back": back},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and f"done={first}" in sent.headers["location"]
    shown = await client.get(sent.headers["location"])
    async with db.session() as s:
        recorded = await s.get(Booking, first)
    assert recorded.measured_area == 550
    note = shown.text.split('id="recorded"', 1)[1].split("</section>", 1)[0]
    assert "已记录" in note and "5.50 亩" in note
    assert f"¥{recorded.amount_fen // 100:,}.{recorded.amount_fen % 100:02d}" in note
    assert f'下一单：<a href="/machinery/bookings/{second}"' in note
    sent = await client.post(
        f"/machinery/bookings/{second}/complete",
        headers=_csrf(client),
        data={"measured_area": "5", "back": back},
        follow_redirects=False,
    )
    last = (await client.get(sent.headers["location"])).text.split('id="recorded"', 1)[1]
    assert "没有下一单" in last
    # someone else's job id in the query shows nothing
    stranger = (await client.get(f"/machinery/today?day={day(1)}&done=999999")).text
    assert 'id="recorded"' not in stranger
