"""年结: once a year's distribution is posted nothing more is dated in that year, whatever the source (API,
page, live sale, machinery); reversing the distribution reopens it; a year is posted only after it ends."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from caoyuan import clock
from caoyuan.errors import Conflict
from coop.models import JournalEntry, MemberVolume
from coop.posting import LiveSalePaid, MachineryServicePaid, post
from coop.rules import chart as c
from coop.rules.journal import credit, debit
from coop.services import distribution as dist_service
from coop.services.distribution.post import reverse_distribution
from coop.services.ledger import write_entry
from tests.factories.coop import VOTE_2025 as VOTE
from tests.factories.coop import posted_2025 as _post_2025
from tests.factories.coop import trading_year_2025 as _year_2025


async def _entries(db) -> int:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(JournalEntry)))


async def test_every_source_is_refused_in_a_closed_year_and_nothing_is_written(db) -> None:  # type: ignore[no-untyped-def]
    coop_id, (m1, m2, _) = await _year_2025(db)
    await _post_2025(db, coop_id)
    before = await _entries(db)
    late = datetime(2025, 11, 11, 4, tzinfo=UTC)
    events = [
        LiveSalePaid(coop_id, "yc:live", late, m1, 800_00, 0),
        MachineryServicePaid(coop_id, "yc:mach", late, m2, 1_200_00),
    ]
    for event in events:
        with pytest.raises(Conflict) as refused:
            async with db.session() as s:
                await post(s, event)
        assert refused.value.code == "year_closed" and "2025 年已经年结" in refused.value.message
    with pytest.raises(Conflict):
        async with db.session() as s:
            await write_entry(
                s,
                coop_id,
                [debit(c.CASH, 100), credit(c.OTHER_INCOME, 100)],
                kind="manual",
                entry_date=date(2025, 12, 31),
            )
    assert await _entries(db) == before
    async with db.session() as s:  # no member volume slipped in either
        assert (
            await s.scalar(select(func.count()).select_from(MemberVolume).where(MemberVolume.reference.like("yc:%")))
            == 1
        )
        # the next year is open; 2025-12-31 16:00 UTC is already 2026-01-01 in Beijing
        ok = await post(s, LiveSalePaid(coop_id, "yc:new", datetime(2025, 12, 31, 16, tzinfo=UTC), m1, 800_00, 0))
        assert (await s.get(JournalEntry, ok.entry_id)).entry_date == date(2026, 1, 1)  # type: ignore[union-attr]


async def test_reversing_the_distribution_reopens_the_year(db) -> None:  # type: ignore[no-untyped-def]
    coop_id, _ = await _year_2025(db)
    did = await _post_2025(db, coop_id)
    async with db.session() as s:
        await reverse_distribution(s, did, "成员大会决议重新分配")
    async with db.session() as s:
        entry = await write_entry(
            s, coop_id, [debit(c.CASH, 100), credit(c.OTHER_INCOME, 100)], kind="manual", entry_date=date(2025, 11, 11)
        )
        assert entry.entry_date == date(2025, 11, 11)


async def test_a_year_is_posted_only_after_its_last_beijing_day(db) -> None:  # type: ignore[no-untyped-def]
    coop_id, _ = await _year_2025(db)
    async with db.session() as s:
        draft = await dist_service.compute_draft(s, coop_id, 2025)
        await dist_service.approve(s, draft.id, VOTE, None)
        draft_id = draft.id
    # 2025-12-31 15:59 UTC is 23:59 in Beijing: the year has not ended
    with clock.frozen_at(datetime(2025, 12, 31, 15, 59, tzinfo=UTC)):
        with pytest.raises(Conflict) as refused:
            async with db.session() as s:
                await dist_service.post_distribution(s, draft_id)
        assert refused.value.code == "year_not_ended" and "2025 年还没有结束" in refused.value.message
    with clock.frozen_at(datetime(2025, 12, 31, 16, 0, tzinfo=UTC)):  # 00:00 on 1 January in Beijing
        async with db.session() as s:
            assert (await dist_service.post_distribution(s, draft_id)).state == "posted"


async def test_api_entry_in_a_closed_year_is_409_in_chinese(client, db, make_user, login_api) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13800000071")
    headers = await login_api(client, "13800000071")
    coop_id, _ = await _year_2025(db)
    await _post_2025(db, coop_id)
    body = {
        "entry_date": "2025-11-11",
        "description": "补记保险费",
        "lines": [{"account_code": "5102", "debit_fen": 300_00}, {"account_code": "1001", "credit_fen": 300_00}],
    }
    refused = await client.post(f"/api/coop/{coop_id}/entries", json=body, headers=headers)
    assert refused.status_code == 409, refused.text
    assert "2025 年已经年结" in refused.json()["message"]
    body["entry_date"] = "2026-01-05"
    assert (await client.post(f"/api/coop/{coop_id}/entries", json=body, headers=headers)).status_code == 201


async def test_page_entry_in_a_closed_year_is_refused_at_the_date(client, db, make_user, login_page) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13800000072")
    coop_id, _ = await _year_2025(db)
    await _post_2025(db, coop_id)
    await login_page(client, "13800000072")
    await client.get(f"/coop/{coop_id}/ledger")
    before = await _entries(db)
    page = await client.post(
        f"/coop/{coop_id}/ledger",
        headers={"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""},
        data={
            "entry_date": "2025-11-11",
            "description": "保险费",
            "debit_code": "5102",
            "credit_code": "1001",
            "amount": "300",
        },
    )
    assert page.status_code == 409
    assert 'id="entry_date-error"' in page.text and "2025 年已经年结" in page.text
    assert await _entries(db) == before
