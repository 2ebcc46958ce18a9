"""The cooperative API: every bad input is a clear 4xx that writes nothing; members see only their own."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from caoyuan import clock
from coop.models import Contribution, Distribution, JournalEntry, JournalLine, ShareTransaction
from coop.posting import MachineryServicePaid, post
from coop.rules.charter import Terms
from coop.services.charter import record_charter
from coop.services.contributions import ContributionIn, contribute
from tests.factories.coop import make_cooperative


@pytest.fixture
async def world(db, make_user, login_api, client):  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13800000001")
    bao = await make_user("member", phone="13800000002")
    li = await make_user("member", phone="13800000003")
    async with db.session() as s:
        coop, (m1, m2, m3) = await make_cooperative(s, members=3, user_ids={1: bao.id, 2: li.id})
        await record_charter(s, coop.id, date(2020, 1, 1), Terms(redemption_lock_months=24))
        await contribute(
            s, coop.id, ContributionIn(m1.id, "land", date(2024, 4, 1), area_hundredths=11_00, plot="东梁")
        )
        await contribute(s, coop.id, ContributionIn(m2.id, "cash", date(2024, 4, 1), amount_fen=3_000_00))
        for i, (m, v) in enumerate(((m1, 12_400_00), (m2, 3_000_00))):
            await post(s, MachineryServicePaid(coop.id, f"api:{i}", datetime(2025, 6, 1, tzinfo=UTC), m.id, v))
    return {
        "coop": coop.id,
        "m1": m1.id,
        "m2": m2.id,
        "m3": m3.id,
        "admin": await login_api(client, "13800000001"),
        "bao": await login_api(client, "13800000002"),
        "li": await login_api(client, "13800000003"),
    }


async def _counts(db) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        return tuple(
            [
                int(await s.scalar(select(func.count()).select_from(t)))
                for t in (JournalEntry, JournalLine, Contribution, ShareTransaction, Distribution)
            ]
        )


async def test_bad_inputs_are_4xx_and_write_nothing(client, db, world) -> None:  # type: ignore[no-untyped-def]
    cid, h = world["coop"], world["admin"]
    before = await _counts(db)
    cases = [
        (
            "/contributions",
            {"member_id": world["m3"], "kind": "cash", "contributed_on": "2025-01-01", "amount_fen": 0},
            422,
            "amount_fen",
        ),
        (
            "/contributions",
            {"member_id": world["m3"], "kind": "cash", "contributed_on": "2025-01-01", "amount_fen": -500_00},
            422,
            "amount_fen",
        ),
        (
            "/contributions",
            {
                "member_id": world["m3"],
                "kind": "land",
                "contributed_on": "2025-01-01",
                "area_hundredths": -100,
                "plot": "x",
            },
            422,
            "area",
        ),
        (
            "/transfers",
            {"from_member_id": world["m1"], "to_member_id": world["m3"], "shares": 111, "effective_on": "2025-01-01"},
            422,
            "shares",
        ),
        ("/redemptions", {"member_id": world["m1"], "shares": 10, "effective_on": "2025-01-01"}, 409, "shares"),
        (
            "/entries",
            {
                "entry_date": "2025-01-01",
                "description": "错账",
                "lines": [{"account_code": "1001", "debit_fen": 100_00}, {"account_code": "4401", "credit_fen": 99_99}],
            },
            422,
            "lines",
        ),
        (
            "/charters",
            {
                "effective_on": "2025-06-01",
                "share_price_fen": 100_00,
                "land_value_per_mu_fen": 1000_00,
                "labour_value_per_day_fen": 150_00,
                "reserve_rate_bp": 1000,
                "policy": "farmer",
                "patronage_rate_bp": 5999,
                "live_sale_commission_bp": 300,
            },
            422,
            "patronage_rate_bp",
        ),
    ]
    for path, body, status, field in cases:
        response = await client.post(f"/api/coop/{cid}{path}", json=body, headers=h)
        assert response.status_code == status, (path, response.text)
        assert response.json()["fields"][0]["field"] == field and response.json()["message"]
    assert await _counts(db) == before


async def test_distribution_through_the_api_and_posting_twice(client, db, world) -> None:  # type: ignore[no-untyped-def]
    h = world["admin"]
    draft = await client.post(f"/api/coop/{world['coop']}/distributions", json={"year": 2025}, headers=h)
    assert draft.status_code == 201, draft.text
    did = draft.json()["id"]
    assert [s["code"] for s in draft.json()["steps"]][:3] == ["surplus", "loss_cover", "reserve"]
    assert (await client.post(f"/api/coop/distributions/{did}/post", headers=h)).status_code == 409
    vote = {"assembly_on": "2026-01-10", "votes_for": [1, 2], "votes_against": [3]}
    assert (await client.post(f"/api/coop/distributions/{did}/approve", json=vote, headers=h)).status_code == 201
    assert (await client.post(f"/api/coop/distributions/{did}/post", headers=h)).json()["state"] == "posted"
    before = await _counts(db)
    twice = await client.post(f"/api/coop/distributions/{did}/post", headers=h)
    assert twice.status_code == 409 and "重复入账" in twice.json()["message"]
    assert await _counts(db) == before
    # not yet published: members cannot read it; then publish
    assert (
        await client.get(f"/api/coop/distributions/{did}/statements/{world['m1']}", headers=world["bao"])
    ).status_code == 404
    assert (await client.post(f"/api/coop/distributions/{did}/publish", headers=h)).json()["published"] is True
    mine = await client.get(f"/api/coop/distributions/{did}/statements/{world['m1']}", headers=world["bao"])
    assert mine.status_code == 200
    body = mine.json()
    assert body["name"] == "社员1" and body["total_fen"] == body["patronage_fen"] + body["remainder_fen"] > 0
    assert body["lines"][0].startswith("2025 年全年与合作社交易额 ¥12,400.00")
    other = await client.get(f"/api/coop/distributions/{did}/statements/{world['m2']}", headers=world["bao"])
    assert other.status_code == 403 and other.json()["message"] == "只能查看本人的记录"
    paid = await client.post(
        f"/api/coop/distributions/{did}/payments",
        headers=h,
        json={"member_id": world["m1"], "channel": "bank", "paid_on": "2026-02-01"},
    )
    assert paid.status_code == 201 and paid.json()["paid_on"] == "2026-02-01"
    account = await client.get(f"/api/coop/members/{world['m1']}/account", headers=world["bao"])
    assert account.json()["shares"] == 110 and account.json()["volume_by_year"]["2025"] == {"machinery": 12_400_00}
    assert (await client.get(f"/api/coop/members/{world['m2']}/account", headers=world["bao"])).status_code == 403


async def test_reports_balance_and_members_cannot_use_admin_api(client, world) -> None:  # type: ignore[no-untyped-def]
    cid, h = world["coop"], world["admin"]
    sheet = await client.get(f"/api/coop/{cid}/reports/balance-sheet?on=2025-12-31", headers=h)
    assert sheet.status_code == 200 and sheet.json()["balanced"] is True
    income = (
        await client.get(f"/api/coop/{cid}/reports/income-statement?start=2025-01-01&end=2025-12-31", headers=h)
    ).json()
    assert income["member_income_fen"] == 15_400_00 and income["surplus_fen"] == 15_400_00
    trial = (
        await client.get(f"/api/coop/{cid}/reports/trial-balance?start=2025-01-01&end=2025-12-31", headers=h)
    ).json()
    assert sum(r["debit_fen"] for r in trial) == sum(r["credit_fen"] for r in trial)
    refused = await client.post(f"/api/coop/{cid}/distributions", json={"year": 2025}, headers=world["bao"])
    assert refused.status_code == 403


async def test_admit_and_status_through_the_api(client, world) -> None:  # type: ignore[no-untyped-def]
    cid, h = world["coop"], world["admin"]
    from caoyuan.identity import example_id_number

    good = {"name": "其木格", "id_number": example_id_number(77), "village": "白音套海嘎查", "phone": "13512345678"}
    made = await client.post(f"/api/coop/{cid}/members", json=good, headers=h)
    assert made.status_code == 201 and made.json()["id_number_masked"].endswith(example_id_number(77)[-4:])
    assert example_id_number(77) not in made.text
    again = await client.post(f"/api/coop/{cid}/members", json=good, headers=h)
    assert again.status_code == 409
    bad = await client.post(f"/api/coop/{cid}/members", json={**good, "id_number": "150426198001010000"}, headers=h)
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "id_number"
    status = await client.post(
        f"/api/coop/members/{made.json()['id']}/status",
        headers=h,
        json={"status": "withdrawn", "effective_on": clock.today().isoformat(), "reason": "迁出"},
    )
    assert status.status_code == 201 and status.json()["status"] == "withdrawn"
