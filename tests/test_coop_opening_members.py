"""Members' accounts carried over from paper: numbered register rows (certificates) and reserve shares, only
after the account balances, never above their 股金, once; a bad template writes nothing."""

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from coop.models import AccountItem, MemberAccountItem, ShareTransaction
from coop.rules import chart as c
from coop.services.shares import holdings
from tests.factories.coop import make_cooperative

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACCOUNTS = [
    {"account_code": c.BANK, "amount_fen": 10_000_00},
    {"account_code": c.SHARE_CAPITAL, "amount_fen": 8_000_00},
    {"account_code": c.SURPLUS_RESERVE, "amount_fen": 2_000_00},
]


async def _coop(db) -> tuple[int, list[int]]:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        coop, people = await make_cooperative(s, members=3)
        return coop.id, [m.id for m in people]


async def _register_rows(db) -> int:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(ShareTransaction)))


async def test_api_carries_members_over_once_within_share_capital(client, db, make_user, login_api) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13800000061")
    h = await login_api(client, "13800000061")
    cid, (m1, m2, _) = await _coop(db)
    rows = [
        {"member_no": 1, "shares": 50, "capital_fen": 5_000_00, "reserve_fen": 300_00},
        {"member_no": 2, "shares": 30, "capital_fen": 3_000_00},
    ]
    early = await client.post(f"/api/coop/{cid}/opening/members", json={"rows": rows}, headers=h)
    assert early.status_code == 409 and "先录入各科目的期初余额" in early.json()["message"]
    opened = await client.post(
        f"/api/coop/{cid}/opening", json={"entry_date": "2025-01-01", "balances": ACCOUNTS}, headers=h
    )
    assert opened.status_code == 201
    too_much = [*rows[:1], {"member_no": 2, "shares": 31, "capital_fen": 3_100_00}]
    refused = await client.post(f"/api/coop/{cid}/opening/members", json={"rows": too_much}, headers=h)
    assert refused.status_code == 422 and "多 ¥100.00" in refused.json()["message"]
    stranger = await client.post(
        f"/api/coop/{cid}/opening/members", json={"rows": [{"member_no": 99, "shares": 1, "capital_fen": 1}]}, headers=h
    )
    assert stranger.status_code == 422 and await _register_rows(db) == 0
    ok = await client.post(f"/api/coop/{cid}/opening/members", json={"rows": rows}, headers=h)
    assert ok.status_code == 201 and ok.json()["households"] == 2
    async with db.session() as s:
        held = await holdings(s, cid)
        assert held[m1] == (50, 5_000_00) and held[m2] == (30, 3_000_00)
        numbers = (await s.scalars(select(ShareTransaction.number).order_by(ShareTransaction.number))).all()
        assert list(numbers) == [1, 2]  # each household's opening holding is a numbered register entry
        reserve = await s.scalar(
            select(func.sum(MemberAccountItem.amount_fen)).where(
                MemberAccountItem.member_id == m1, MemberAccountItem.item == AccountItem.RESERVE_SHARE
            )
        )
        assert int(reserve) == 300_00
    twice = await client.post(f"/api/coop/{cid}/opening/members", json={"rows": rows}, headers=h)
    assert twice.status_code == 409 and await _register_rows(db) == 2


async def test_member_template_round_trip_and_bad_rows(client, db, make_user, login_api, login_page) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13800000062")
    h = await login_api(client, "13800000062")
    cid, (m1, _, m3) = await _coop(db)
    await client.post(f"/api/coop/{cid}/opening", json={"entry_date": "2025-01-01", "balances": ACCOUNTS}, headers=h)
    await login_page(client, "13800000062")
    page = await client.get(f"/coop/{cid}/opening")
    assert "下载社员模板" in page.text
    template = (await client.get(f"/coop/{cid}/opening/members-template.xlsx")).content
    book = load_workbook(io.BytesIO(template))
    sheet = book.active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [1, 2, 3]
    sheet["C2"], sheet["D2"] = 10, "1000"
    sheet["C4"], sheet["D4"], sheet["E4"] = 2.5, 200, "x"  # half a share, a bad amount
    buf = io.BytesIO()
    book.save(buf)
    csrf = {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}
    bad = await client.post(
        f"/coop/{cid}/opening/members", headers=csrf, files={"file": ("m.xlsx", buf.getvalue(), XLSX)}
    )
    assert bad.status_code == 422 and "第 4 行" in bad.text and await _register_rows(db) == 0
    sheet["C4"], sheet["D4"], sheet["E4"] = 20, 2000, 150.5
    buf = io.BytesIO()
    book.save(buf)
    ok = await client.post(
        f"/coop/{cid}/opening/members",
        headers=csrf,
        files={"file": ("m.xlsx", buf.getvalue(), XLSX)},
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    async with db.session() as s:
        held = await holdings(s, cid)
        assert held[m1] == (10, 1_000_00) and held[m3] == (20, 2_000_00)
    assert "已经结转" in (await client.get(f"/coop/{cid}/opening")).text
    cert = await client.get(f"/coop/{cid}/certificates/{m3}")
    assert cert.status_code == 200 and "000002" in cert.text  # the register number on the certificate
