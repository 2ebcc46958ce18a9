"""A completed harvest job paid by Alipay: the sandbox cashier, the kernel notify dispatch, the books."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from hypothesis import given
from hypothesis import strategies as st

from caoyuan.payments.sandbox import sandbox_runtime
from coop.machinery.models import Booking
from coop.machinery.services.alipay import booking_id_of, out_trade_no_for
from tests.alipay import NOTIFY, PHONE_UA, press_pay, resigned
from tests.factories.machinery import (
    ADMIN_PHONE,
    MEMBER_PHONE,
    OPERATOR_PHONES,
    OTHER_MEMBER_PHONE,
    booking_body,
    books,
    completed_job,
    make_fleet,
    plot,
)


def _capture_notifies(client) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    runtime = sandbox_runtime(client.app)
    forward, seen = runtime.send, []

    async def send(url: str, form: dict[str, str]) -> str:
        seen.append(dict(form))
        return await forward(url, form)

    runtime.send = send
    return seen


async def test_farmer_pays_by_alipay_and_the_income_is_posted_once(client, db, login_api, login_page) -> None:
    bid, bill, member_id = await completed_job(client, db, login_api)
    await login_page(client, MEMBER_PHONE)
    page = await client.get(f"/machinery/bookings/{bid}")
    assert "用支付宝付款" in page.text
    notifies = _capture_notifies(client)
    await press_pay(client, f"/machinery/bookings/{bid}/alipay")
    assert await sandbox_runtime(client.app).drain(10)

    assert len(notifies) == 1 and notifies[0]["out_trade_no"].startswith(f"NJ{bid}x")
    status, channel, entry_id, volume, postings = await books(db, bid, member_id)
    assert (status, channel, volume, postings) == ("paid", "alipay", bill, 1) and entry_id
    page = await client.get(f"/machinery/bookings/{bid}")
    assert "支付宝付清" in page.text and "用支付宝付款" not in page.text  # plain words (issue 10)

    again = await client.post(NOTIFY, data=notifies[0])  # Alipay redelivers: nothing changes
    assert (again.status_code, again.text) == (200, "success")
    assert await books(db, bid, member_id) == (status, channel, entry_id, volume, postings)


async def test_back_from_the_cashier_shows_paid_before_the_notify(client, db, login_api, login_page) -> None:
    bid, bill, member_id = await completed_job(client, db, login_api)

    async def lost(url: str, form: dict[str, str]) -> str:
        return "success"  # swallowed: the notify never reaches the app

    sandbox_runtime(client.app).send = lost
    await login_page(client, MEMBER_PHONE)
    paid = await press_pay(client, f"/machinery/bookings/{bid}/alipay")
    back = urlsplit(paid.headers["location"])
    assert back.path == f"/machinery/bookings/{bid}"
    page = await client.get(f"{back.path}?{back.query}")
    assert page.status_code == 200 and "已付款" in page.text and "支付宝付清" in page.text
    assert (await books(db, bid, member_id))[3] == bill


async def test_a_computer_gets_a_qr_code(client, db, login_api, login_page) -> None:
    bid, bill, _ = await completed_job(client, db, login_api)
    await login_page(client, ADMIN_PHONE)  # the accountant opens it for the farmer
    page = await client.get(f"/machinery/bookings/{bid}/alipay", headers={"user-agent": "Mozilla/5.0 (X11; Linux)"})
    assert page.status_code == 200 and "<svg" in page.text and "¥" in page.text
    done = re.search(r'href="(/machinery/bookings/\d+\?out_trade_no=NJ[^"]+)"', page.text)
    assert done and f"NJ{bid}x" in done.group(1)


async def test_wrong_amount_and_unknown_prefix_are_refused(client, db, login_api, login_page) -> None:
    bid, bill, member_id = await completed_job(client, db, login_api)
    notifies: list[dict[str, str]] = []

    async def hold(url: str, form: dict[str, str]) -> str:
        notifies.append(dict(form))
        return "success"  # kept here, so the test posts it to the app itself

    sandbox_runtime(client.app).send = hold
    await login_page(client, MEMBER_PHONE)
    await press_pay(client, f"/machinery/bookings/{bid}/alipay")
    assert await sandbox_runtime(client.app).drain(10) and notifies
    short = await client.post(
        NOTIFY, data=await resigned(client, notifies[0], total_amount=f"{(bill - 100) / 100:.2f}")
    )
    assert (short.status_code, short.text, short.headers["x-notify-reason"]) == (400, "failure", "amount_mismatch")
    unknown = await client.post(NOTIFY, data=await resigned(client, notifies[0], out_trade_no="ZZ12345"))
    assert (unknown.status_code, unknown.text) == (400, "failure")
    forged = await client.post(NOTIFY, data=notifies[0] | {"total_amount": "0.01"})  # not re-signed
    assert (forged.status_code, forged.text) == (400, "failure")
    assert (await books(db, bid, member_id))[:4] == ("completed", "", None, 0)
    ok = await client.post(NOTIFY, data=notifies[0])
    assert (ok.status_code, ok.text) == (200, "success")
    assert (await books(db, bid, member_id))[3] == bill


async def test_another_farmer_cannot_pay_my_job(client, db, login_api, login_page) -> None:
    bid, _, _ = await completed_job(client, db, login_api)
    await login_page(client, OTHER_MEMBER_PHONE)
    response = await client.get(f"/machinery/bookings/{bid}/alipay", headers=PHONE_UA, follow_redirects=False)
    assert response.status_code == 403
    await login_page(client, OPERATOR_PHONES[0])  # the operator sees the job but does not pay for it
    response = await client.get(f"/machinery/bookings/{bid}/alipay", headers=PHONE_UA, follow_redirects=False)
    assert response.status_code == 403


async def test_unpayable_job_offers_no_alipay(client, db, login_api, login_page) -> None:
    fleet = await make_fleet(db)
    member = await login_api(client, MEMBER_PHONE)
    bid = (await client.post("/api/machinery/bookings", json=booking_body(fleet, plot("3")), headers=member)).json()[
        "id"
    ]
    await login_page(client, MEMBER_PHONE)
    assert "用支付宝付款" not in (await client.get(f"/machinery/bookings/{bid}")).text
    refused = await client.get(f"/machinery/bookings/{bid}/alipay", headers=PHONE_UA, follow_redirects=False)
    assert refused.status_code == 409


def test_the_longest_registered_prefix_wins() -> None:
    from caoyuan.payments.dispatch import handler_path_for, registered_handlers

    table = [("CY", "shop"), ("CYX", "other"), ("NJ", "machinery")]
    assert handler_path_for("CYX123", table) == "other" and handler_path_for("CY26112", table) == "shop"
    assert handler_path_for("ZZ1", table) is None and handler_path_for("", table) is None
    installed = registered_handlers()
    assert installed["NJ"] == "coop.machinery.payments:on_alipay_paid"
    assert installed["CY"] == "storefront.payments:on_alipay_paid"


@given(
    st.integers(min_value=1, max_value=2**31 - 1), st.datetimes(min_value=datetime(2020, 1, 1), timezones=st.just(UTC))
)
def test_trade_numbers_name_their_booking(booking_id: int, now) -> None:  # type: ignore[no-untyped-def]
    trade = out_trade_no_for(Booking(id=booking_id), now)  # type: ignore[call-arg]
    assert booking_id_of(trade) == booking_id and trade.startswith("NJ") and len(trade) <= 64


SEEN_AFTER_COMMIT: list[str] = []


async def _handler_with_follow_up(db, notice, context):  # type: ignore[no-untyped-def]
    """Marks the booking paid in the request's transaction; its follow-up reads it from a new session."""
    from caoyuan.db import after_commit

    booking = await db.get(Booking, int(notice.out_trade_no[2:].split("x")[0]))
    booking.payment_channel = "alipay"

    async def follow_up() -> None:
        async with context.database.session() as s:
            SEEN_AFTER_COMMIT.append((await s.get(Booking, booking.id)).payment_channel)

    after_commit(db, follow_up)


async def test_a_follow_up_runs_after_the_commit(client, db, login_api, login_page, monkeypatch) -> None:
    from caoyuan.payments import dispatch

    bid, _, _ = await completed_job(client, db, login_api)
    notifies: list[dict[str, str]] = []

    async def hold(url: str, form: dict[str, str]) -> str:
        notifies.append(dict(form))
        return "success"

    sandbox_runtime(client.app).send = hold
    await login_page(client, MEMBER_PHONE)
    await press_pay(client, f"/machinery/bookings/{bid}/alipay")
    assert await sandbox_runtime(client.app).drain(10) and notifies
    monkeypatch.setattr(
        dispatch, "registered_handlers", lambda: {"NJ": "tests.test_machinery_alipay:_handler_with_follow_up"}
    )
    SEEN_AFTER_COMMIT.clear()
    answer = await client.post(NOTIFY, data=notifies[0])
    assert (answer.status_code, answer.text) == (200, "success") and SEEN_AFTER_COMMIT == ["alipay"]
