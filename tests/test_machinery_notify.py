"""Alipay notifies for machinery jobs: identical notifies at once book the payment once and all answer
success; a signed notify naming an impossible booking number is refused without a 500."""

from __future__ import annotations

import asyncio

from caoyuan.bounds import ID_MAX
from caoyuan.db import create_database
from caoyuan.payments.sandbox import sandbox_runtime
from coop.machinery.models import Booking
from coop.machinery.services.alipay import booking_id_of, out_trade_no_for, settle
from tests.alipay import NOTIFY, press_pay, resigned
from tests.factories.machinery import MEMBER_PHONE, books, completed_job


async def _held_notify(client, db, login_api, login_page) -> tuple[int, int, int, dict[str, str]]:  # type: ignore[no-untyped-def]
    """A completed job paid at the sandbox cashier, its notify kept back: (booking, bill, member, form)."""
    bid, bill, member_id = await completed_job(client, db, login_api)
    held: list[dict[str, str]] = []

    async def hold(url: str, form: dict[str, str]) -> str:
        held.append(dict(form))
        return "success"

    sandbox_runtime(client.app).send = hold
    await login_page(client, MEMBER_PHONE)
    await press_pay(client, f"/machinery/bookings/{bid}/alipay")
    assert await sandbox_runtime(client.app).drain(10) and held
    return bid, bill, member_id, held[0]


async def test_ten_identical_notifies_at_once_book_the_payment_once(client, db, login_api, login_page) -> None:
    bid, bill, member_id, form = await _held_notify(client, db, login_api, login_page)
    answers = await asyncio.gather(*[client.post(NOTIFY, data=form) for _ in range(10)])
    assert [(a.status_code, a.text) for a in answers] == [(200, "success")] * 10, [a.text for a in answers]
    status, channel, entry_id, volume, postings = await books(db, bid, member_id)
    assert (status, channel, volume, postings) == ("paid", "alipay", bill, 1) and entry_id


async def test_a_huge_booking_number_is_refused_not_a_500(client, db, login_api, login_page) -> None:
    bid, bill, member_id, form = await _held_notify(client, db, login_api, login_page)
    for number in (2**63, 2**31, 10**40, 0):
        forged = await client.post(NOTIFY, data=await resigned(client, form, out_trade_no=f"NJ{number}x1700000000"))
        assert forged.status_code == 400 and forged.text == "failure", (number, forged.text)
    assert (await books(db, bid, member_id))[:4] == ("completed", "", None, 0)
    ok = await client.post(NOTIFY, data=form)
    assert (ok.status_code, ok.text) == (200, "success")


def test_trade_numbers_beyond_an_id_name_no_booking() -> None:
    assert booking_id_of(f"NJ{ID_MAX}x1") == ID_MAX
    for text in (f"NJ{ID_MAX + 1}x1", f"NJ{2**63}x1", "NJ0x1", "NJ" + "9" * 5000 + "x1", "NJ١٢x1"):
        assert booking_id_of(text) is None, text


async def test_ten_sessions_settling_at_once_post_once(client, db, database_url, login_api) -> None:
    """The same, below HTTP: ten sessions on ten pooled connections settle the same trade at once."""
    bid, bill, member_id = await completed_job(client, db, login_api)
    trade = out_trade_no_for(Booking(id=bid))  # type: ignore[call-arg]
    database = create_database(database_url, 10)

    async def one() -> str:
        async with database.session() as s:
            outcome = await settle(s, trade, bill, "TRADE_SUCCESS")
            await s.commit()
            return outcome

    try:
        outcomes = await asyncio.gather(*[one() for _ in range(10)])
    finally:
        await database.dispose()
    assert sorted(outcomes) == ["duplicate"] * 9 + ["paid"], outcomes
    status, channel, entry_id, volume, postings = await books(db, bid, member_id)
    assert (status, channel, volume, postings) == ("paid", "alipay", bill, 1) and entry_id
