"""Subsidies quantified to members: recorded per household with a basis, read by the distribution as the
third weight of the remainder, refused for strangers and closed years, and they make an old draft stale."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from caoyuan.errors import BadInput, Conflict
from coop.models import Allocation, MemberAccountItem
from coop.posting import MachineryServicePaid, post
from coop.rules.charter import Terms
from coop.services import distribution as dist_service
from coop.services.charter import record_charter
from coop.services.contributions import ContributionIn, contribute
from coop.services.distribution.approve import AssemblyVote
from coop.services.subsidies import record_subsidies
from tests.factories.coop import make_cooperative

VOTE = AssemblyVote(date(2026, 1, 10), frozenset({1, 2, 3}), frozenset(), frozenset())


async def _coop(db):  # type: ignore[no-untyped-def]
    async with db.session() as s:
        coop, people = await make_cooperative(s, members=3)
        await record_charter(s, coop.id, date(2020, 1, 1), Terms())
        await contribute(s, coop.id, ContributionIn(people[0].id, "cash", date(2024, 4, 1), amount_fen=3_000_00))
        await post(s, MachineryServicePaid(coop.id, "sub:1", datetime(2025, 6, 1, tzinfo=UTC), people[0].id, 9_000_00))
        return coop.id, [m.id for m in people]


async def _remainders(db, distribution_id: int) -> dict[int, int]:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        rows = await s.execute(
            select(Allocation.member_id, Allocation.remainder_fen, Allocation.subsidy_fen).where(
                Allocation.distribution_id == distribution_id
            )
        )
        return {m: (r, sub) for m, r, sub in rows.all()}  # type: ignore[misc]


async def test_subsidy_is_the_third_weight_and_makes_a_draft_stale(db) -> None:  # type: ignore[no-untyped-def]
    coop_id, (m1, m2, m3) = await _coop(db)
    async with db.session() as s:
        before = await dist_service.compute_draft(s, coop_id, 2025)
        await dist_service.approve(s, before.id, VOTE, None)
        before_id = before.id
    without = await _remainders(db, before_id)
    assert m3 not in without  # no capital, no volume, nothing quantified: no share of the remainder
    async with db.session() as s:
        total = await record_subsidies(s, coop_id, 2025, "2025 年农机购置补贴，按户量化", {m3: 3_000_00})
        assert total == 3_000_00
    with pytest.raises(Conflict) as stale:  # approved before the subsidy was quantified: refused at posting
        async with db.session() as s:
            await dist_service.post_distribution(s, before_id)
    assert "过时" in stale.value.message
    async with db.session() as s:
        after = await dist_service.compute_draft(s, coop_id, 2025)
        after_id = after.id
    now = await _remainders(db, after_id)
    # m1 has ¥3,000 capital, m3 ¥3,000 quantified subsidy: equal weights, so equal remainders (±1 fen)
    assert now[m3][1] == 3_000_00 and abs(now[m3][0] - now[m1][0]) <= 1 and now[m3][0] > 0


async def test_bad_quantifications_write_nothing(db) -> None:  # type: ignore[no-untyped-def]
    coop_id, (m1, _, _) = await _coop(db)
    async with db.session() as s:
        other, strangers = await make_cooperative(s, members=1, name="邻村合作社")
    cases = [
        (2025, "", {m1: 100}, "basis"),
        (2025, "补贴", {}, "amounts"),
        (2025, "补贴", {m1: -5}, f"member_{m1}"),
        (1999, "补贴", {m1: 100}, "year"),
        (2025, "补贴", {strangers[0].id: 100}, f"member_{strangers[0].id}"),
    ]
    for year, basis, amounts, field in cases:
        with pytest.raises(BadInput) as refused:
            async with db.session() as s:
                await record_subsidies(s, coop_id, year, basis, amounts)
        assert refused.value.field == field, (year, basis, amounts)
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(MemberAccountItem)) == 0


async def test_api_and_page_record_and_a_closed_year_refuses(client, db, make_user, login_api, login_page) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13800000095")
    h = await login_api(client, "13800000095")
    coop_id, (m1, m2, m3) = await _coop(db)
    body = {"year": 2025, "basis": "2025 年农机购置补贴", "lines": [{"member_id": m2, "amount_fen": 1_000_00}]}
    ok = await client.post(f"/api/coop/{coop_id}/subsidies", json=body, headers=h)
    assert ok.status_code == 201 and ok.json()["total_fen"] == 1_000_00
    assert ok.json()["rows"][0]["basis"] == "2025 年农机购置补贴"
    await login_page(client, "13800000095")
    page = await client.get(f"/coop/{coop_id}/subsidies")
    assert page.status_code == 200 and "2025 年农机购置补贴" in page.text
    csrf = {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}
    bad = await client.post(
        f"/coop/{coop_id}/subsidies", headers=csrf, data={"year": "2025", "basis": "补贴", f"member_{m3}": "abc"}
    )
    assert bad.status_code == 422 and f'id="member_{m3}-error"' in bad.text
    done = await client.post(
        f"/coop/{coop_id}/subsidies",
        headers=csrf,
        data={"year": "2025", "basis": "村集体补助", f"member_{m3}": "500"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    async with db.session() as s:
        draft = await dist_service.compute_draft(s, coop_id, 2025)
        await dist_service.approve(s, draft.id, VOTE, None)
        await dist_service.post_distribution(s, draft.id)
    closed = await client.post(f"/api/coop/{coop_id}/subsidies", json=body, headers=h)
    assert closed.status_code == 409 and "年结" in closed.json()["message"]
    listed = (await client.get(f"/api/coop/{coop_id}/subsidies", params={"year": 2025}, headers=h)).json()
    assert listed["total_fen"] == 1_500_00
