"""The public quote: a refused quote leaves nothing broken behind it, members are quoted the member price
only in their own cooperative, and the pages follow the Beijing day."""

from __future__ import annotations

from datetime import UTC, datetime

from caoyuan import clock
from caoyuan.auth.service import create_user
from tests.conftest import PASSWORD
from tests.factories.coop import make_cooperative
from tests.factories.machinery import ADMIN_PHONE, MEMBER_PHONE, OPERATOR_PHONES, make_fleet

QUOTE = "/api/machinery/quote"


async def test_a_refused_quote_does_not_break_the_next_one(client, db, login_api) -> None:
    fleet = await make_fleet(db)
    too_big = await client.get(QUOTE, params={"service_type_id": fleet.harvest_id, "area": "99999"})
    assert too_big.status_code == 422, too_big.text
    good = await client.get(QUOTE, params={"service_type_id": fleet.harvest_id, "area": "10"})
    assert good.status_code == 200, good.text
    assert good.json()["service"] == "玉米收割" and good.json()["amount_fen"] == 10 * 7000  # non-member: 80 − 10 元
    member = await login_api(client, MEMBER_PHONE)
    again = await client.get(QUOTE, params={"service_type_id": fleet.harvest_id, "area": "99999"}, headers=member)
    assert again.status_code == 422
    mine = await client.get(QUOTE, params={"service_type_id": fleet.harvest_id, "area": "10"}, headers=member)
    assert mine.status_code == 200 and mine.json()["member"] and mine.json()["amount_fen"] == 10 * 5000


async def test_an_unknown_service_then_a_known_one(client, db) -> None:
    fleet = await make_fleet(db)
    assert (await client.get(QUOTE, params={"service_type_id": 99999, "area": "10"})).status_code == 404
    assert (await client.get(QUOTE, params={"service_type_id": fleet.harvest_id, "area": "10"})).status_code == 200


async def test_member_of_another_cooperative_gets_no_member_price(client, db, login_api) -> None:
    fleet = await make_fleet(db)
    async with db.session() as s:
        account = await create_user(s, phone="13800000099", password=PASSWORD, role="member", display_name="外社社员")
        await make_cooperative(s, members=1, name="另一个合作社", user_ids={1: account.id})  # type: ignore[dict-item]
    stranger = await login_api(client, "13800000099")
    for params in (
        {"service_type_id": fleet.harvest_id, "area": "10"},
        {"service_type_id": fleet.harvest_id, "area": "10", "cooperative_id": fleet.cooperative_id},
    ):
        quoted = await client.get(QUOTE, params=params, headers=stranger)
        assert quoted.status_code == 200, quoted.text
        body = quoted.json()
        assert body["member"] is False and body["per_mu"]["list_fen"] == 7000, body  # the non-member price
        assert body["amount_fen"] == 10 * 7000
    own = await client.get(
        QUOTE, params={"service_type_id": fleet.harvest_id, "area": "10"}, headers=await login_api(client, MEMBER_PHONE)
    )
    assert own.json()["member"] is True and own.json()["per_mu"]["list_fen"] == 5000


async def test_operator_page_shows_the_beijing_day_at_two_in_the_morning(client, db, login_page) -> None:
    await make_fleet(db)
    await login_page(client, OPERATOR_PHONES[0])
    moment = datetime(2026, 9, 10, 2, 0, tzinfo=clock.BEIJING)  # not today: the page must ask the kernel clock
    assert moment.astimezone(UTC).date() != moment.date()  # 02:00 Beijing is still the day before in UTC
    with clock.frozen_at(moment):
        page = await client.get("/machinery/today")
    assert page.status_code == 200, page.text
    assert f'<small class="muted">{moment.date()}</small>' in page.text


async def test_board_page_shows_the_beijing_day_at_two_in_the_morning(client, db, login_page) -> None:
    await make_fleet(db)
    await login_page(client, ADMIN_PHONE)
    moment = datetime(2026, 9, 10, 2, 0, tzinfo=clock.BEIJING)  # not today: the page must ask the kernel clock
    with clock.frozen_at(moment):
        page = await client.get("/machinery/board")
    assert page.status_code == 200, page.text
    assert f'<small class="muted">{moment.date()}</small>' in page.text


async def test_the_policy_memo_survives_a_rollback(db) -> None:
    """A refused form rolls back and builds its page again in the same session: the memo must still read."""
    from coop.machinery.services.common import policy_for

    fleet = await make_fleet(db)
    async with db.session() as s:
        first = await policy_for(s, fleet.cooperative_id)
        await s.rollback()
        again = await policy_for(s, fleet.cooperative_id)
        assert again.max_area == first.max_area == 50000 and again.agent_roles == "admin"
