"""The ledger pages through every entry with filters, shows sources in Chinese, and reverses one entry once."""

from datetime import date, timedelta

from sqlalchemy import func, select

from coop.models import JournalEntry
from coop.rules import chart as c
from coop.rules.journal import credit, debit
from coop.services.ledger import write_entry
from tests.factories.coop import make_cooperative


async def _books(db, n: int = 75) -> int:  # type: ignore[no-untyped-def]
    """n manual entries of 1..n yuan on consecutive days from 2025-01-01, every 5th on 保险费 (5102)."""
    async with db.session() as s:
        coop, _ = await make_cooperative(s, members=1)
        for i in range(1, n + 1):
            code = c.INSURANCE if i % 5 == 0 else c.OTHER_EXPENSE
            await write_entry(
                s,
                coop.id,
                [debit(code, i * 100), credit(c.CASH, i * 100)],
                kind="manual",
                description=f"第{i}笔",
                entry_date=date(2025, 1, 1) + timedelta(days=i - 1),
            )
        return coop.id


async def test_api_pages_through_all_entries_and_filters(client, db, make_user, login_api) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13800000081")
    h = await login_api(client, "13800000081")
    cid = await _books(db)
    seen = []
    for page in (1, 2, 3):
        body = (await client.get(f"/api/coop/{cid}/entries", params={"page": page, "per_page": 30}, headers=h)).json()
        assert body["total"] == 75 and body["pages"] == 3
        seen += [e["description"] for e in body["entries"]]
    assert len(seen) == 75 == len(set(seen)) and seen[0] == "第75笔" and seen[-1] == "第1笔"
    assert body["entries"][0]["source_label"] == "手工凭证"
    q = {"account": "5102", "start": "2025-01-10", "end": "2025-02-28", "min_fen": 1500, "max_fen": 5000}
    got = (await client.get(f"/api/coop/{cid}/entries", params=q, headers=h)).json()
    assert [e["total_fen"] for e in got["entries"]] == [5000, 4500, 4000, 3500, 3000, 2500, 2000, 1500]
    too_many = await client.get(f"/api/coop/{cid}/entries", params={"per_page": 101}, headers=h)
    assert too_many.status_code == 400
    bad = await client.get(f"/api/coop/{cid}/entries", params={"account": "9999"}, headers=h)
    assert bad.status_code == 422 and "科目表" in bad.json()["message"]


async def test_page_shows_chinese_sources_pages_and_keeps_filters(client, db, make_user, login_page) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13800000082")
    cid = await _books(db, 35)
    await login_page(client, "13800000082")
    first = await client.get(f"/coop/{cid}/ledger")
    assert "共 35 张凭证，第 1 / 2 页" in first.text and "手工凭证" in first.text and ">manual<" not in first.text
    assert "第35笔" in first.text and "第5笔" not in first.text and "page=2" in first.text
    second = await client.get(f"/coop/{cid}/ledger", params={"page": 2})
    assert "第5笔" in second.text and "第35笔" not in second.text
    narrowed = await client.get(f"/coop/{cid}/ledger", params={"account": "5102", "min": "10", "max": "20"})
    assert "符合条件的 3 张凭证" in narrowed.text  # 5102 carries every 5th entry; of those ¥10, ¥15, ¥20
    bad = await client.get(f"/coop/{cid}/ledger", params={"min": "abc"})
    assert bad.status_code == 200 and 'class="field-error"' in bad.text and "共 35 张凭证" in bad.text


async def test_reverse_once_with_a_reason_through_api_and_page(client, db, make_user, login_api, login_page) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13800000083")
    h = await login_api(client, "13800000083")
    cid = await _books(db, 3)
    async with db.session() as s:
        first_id = await s.scalar(select(func.min(JournalEntry.id)))
    no_reason = await client.post(f"/api/coop/{cid}/entries/{first_id}/reverse", json={"reason": ""}, headers=h)
    assert no_reason.status_code == 400 or no_reason.status_code == 422
    done = await client.post(f"/api/coop/{cid}/entries/{first_id}/reverse", json={"reason": "金额录错"}, headers=h)
    assert done.status_code == 201 and done.json()["kind"] == "reversal"
    assert done.json()["entry_date"] == "2025-01-01"  # on the original's day: the year it belonged to is corrected
    again = await client.post(f"/api/coop/{cid}/entries/{first_id}/reverse", json={"reason": "再冲"}, headers=h)
    assert again.status_code == 409 and "已经冲销过" in again.json()["message"]
    listed = (await client.get(f"/api/coop/{cid}/entries", params={"source": "reversal"}, headers=h)).json()
    assert listed["total"] == 1 and listed["entries"][0]["reverses_entry_id"] == first_id
    assert listed["entries"][0]["source_label"] == "冲销"
    await login_page(client, "13800000083")
    await client.get(f"/coop/{cid}/ledger")
    csrf = {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}
    blank = await client.post(f"/coop/{cid}/ledger/{first_id + 1}/reverse", headers=csrf, data={"reason": " "})
    assert blank.status_code == 422 and f'id="reason_{first_id + 1}-error"' in blank.text
    ok = await client.post(
        f"/coop/{cid}/ledger/{first_id + 1}/reverse", headers=csrf, data={"reason": "重复记账"}, follow_redirects=False
    )
    assert ok.status_code == 303
    page = await client.get(f"/coop/{cid}/ledger")
    assert "已被凭证 #" in page.text and page.text.count("冲销这张凭证") == 1  # only the third entry is left


async def test_generated_entries_and_other_cooperatives_are_not_reversed_here(client, db, make_user, login_api) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13800000084")
    h = await login_api(client, "13800000084")
    cid = await _books(db, 1)
    async with db.session() as s:
        other, _ = await make_cooperative(s, members=1, name="另一个合作社")
        generated = await write_entry(
            s, cid, [debit(c.CASH, 100), credit(c.OTHER_INCOME, 100)], kind="live_sale", entry_date=date(2025, 3, 1)
        )
        own = await s.scalar(select(func.min(JournalEntry.id)))
    refused = await client.post(f"/api/coop/{cid}/entries/{generated.id}/reverse", json={"reason": "x"}, headers=h)
    assert refused.status_code == 409 and "直播销售" in refused.json()["message"]
    elsewhere = await client.post(f"/api/coop/{other.id}/entries/{own}/reverse", json={"reason": "x"}, headers=h)
    assert elsewhere.status_code == 404
