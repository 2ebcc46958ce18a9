"""Opening the books: balanced or refused by how much, one entry, once (until reversed), and an XLSX template
that round-trips; a bad template lists every row's problem in Chinese and writes nothing."""

import io
from datetime import date

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from coop.models import JournalEntry, JournalLine
from coop.rules import chart as c
from coop.services.reports import balance_sheet
from tests.factories.coop import make_cooperative

BALANCES = [
    {"account_code": c.CASH, "amount_fen": 12_000_00},
    {"account_code": c.BANK, "amount_fen": 88_000_00},
    {"account_code": c.FIXED_ASSETS, "amount_fen": 300_000_00},
    {"account_code": c.DEPRECIATION_ACC, "amount_fen": 60_000_00},  # contra: a credit balance
    {"account_code": c.SHARE_CAPITAL, "amount_fen": 350_000_00},
    {"account_code": c.UNDISTRIBUTED, "amount_fen": -10_000_00},  # an uncovered loss: the debit side
]


async def _coop(db) -> int:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        coop, _ = await make_cooperative(s, members=1)
        return coop.id


async def _count(db) -> int:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(JournalEntry)))


async def test_api_opening_is_balanced_single_and_once(client, db, make_user, login_api) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13800000091")
    h = await login_api(client, "13800000091")
    cid = await _coop(db)
    skewed = [*BALANCES[:-1], {"account_code": c.UNDISTRIBUTED, "amount_fen": -9_999_00}]
    refused = await client.post(
        f"/api/coop/{cid}/opening", json={"entry_date": "2025-01-01", "balances": skewed}, headers=h
    )
    assert refused.status_code == 422 and "贷方多 ¥1.00" in refused.json()["message"]
    assert await _count(db) == 0
    ok = await client.post(
        f"/api/coop/{cid}/opening", json={"entry_date": "2025-01-01", "balances": BALANCES}, headers=h
    )
    assert ok.status_code == 201, ok.text
    entry_id = ok.json()["entry_id"]
    async with db.session() as s:
        assert (
            int(await s.scalar(select(func.count()).select_from(JournalLine).where(JournalLine.entry_id == entry_id)))
            == 6
        )
        sheet = await balance_sheet(s, cid, date(2025, 1, 1))
        assert sheet.balanced and sheet.assets.total == 340_000_00
    twice = await client.post(
        f"/api/coop/{cid}/opening", json={"entry_date": "2025-01-01", "balances": BALANCES}, headers=h
    )
    assert twice.status_code == 409 and f"#{entry_id}" in twice.json()["message"]
    # reversed, the books can be opened again
    rev = await client.post(f"/api/coop/{cid}/entries/{entry_id}/reverse", json={"reason": "金额抄错"}, headers=h)
    assert rev.status_code == 201
    assert (await client.get(f"/api/coop/{cid}/opening", headers=h)).json()["entry_id"] is None
    again = await client.post(
        f"/api/coop/{cid}/opening", json={"entry_date": "2025-01-01", "balances": BALANCES}, headers=h
    )
    assert again.status_code == 201
    listed = (await client.get(f"/api/coop/{cid}/entries", params={"source": "opening"}, headers=h)).json()
    assert listed["total"] == 2 and listed["entries"][0]["source_label"] == "期初余额"
    unknown = await client.post(
        f"/api/coop/{cid}/opening",
        json={"entry_date": "2025-01-01", "balances": [{"account_code": "9999", "amount_fen": 1}]},
        headers=h,
    )
    assert unknown.status_code in (409, 422)


def _filled(template: bytes, amounts: dict[str, object]) -> bytes:
    book = load_workbook(io.BytesIO(template))
    sheet = book.active
    for row in sheet.iter_rows(min_row=2):
        if str(row[0].value) in amounts:
            row[4].value = amounts[str(row[0].value)]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_template_round_trip_and_row_errors_write_nothing(client, db, make_user, login_page) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13800000092")
    cid = await _coop(db)
    await login_page(client, "13800000092")
    page = await client.get(f"/coop/{cid}/opening")
    assert page.status_code == 200 and "下载模板" in page.text
    template = (await client.get(f"/coop/{cid}/opening/template.xlsx")).content
    codes = [str(r[0]) for r in load_workbook(io.BytesIO(template)).active.iter_rows(min_row=2, values_only=True)]
    assert codes == list(c.FARMER.accounts)  # every account of its own chart, in order
    csrf = {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    bad = Workbook()
    bad.active.append(["科目编码", "科目名称", "类别", "余额方向", "期初余额（元）"])
    bad.active.append(["1001", "库存现金", "资产", "借", "12.345"])
    bad.active.append(["8888", "不存在", "", "", "5"])
    bad.active.append(["3001", "股金", "", "", "abc"])
    buf = io.BytesIO()
    bad.save(buf)
    refused = await client.post(
        f"/coop/{cid}/opening/import",
        headers=csrf,
        data={"entry_date": "2025-01-01"},
        files={"file": ("opening.xlsx", buf.getvalue(), xlsx)},
    )
    assert refused.status_code == 422
    assert "第 2 行" in refused.text and "第 3 行" in refused.text and "第 4 行" in refused.text
    assert await _count(db) == 0
    unbalanced = _filled(template, {c.CASH: 100, c.SHARE_CAPITAL: 99.5})
    refused = await client.post(
        f"/coop/{cid}/opening/import",
        headers=csrf,
        data={"entry_date": "2025-01-01"},
        files={"file": ("opening.xlsx", unbalanced, xlsx)},
    )
    assert refused.status_code == 422 and "借方多 ¥0.50" in refused.text and await _count(db) == 0
    filled = _filled(template, {c.CASH: 100, c.BANK: "1,200.50", c.SHARE_CAPITAL: 1300.5})
    done = await client.post(
        f"/coop/{cid}/opening/import",
        headers=csrf,
        data={"entry_date": "2025-01-01"},
        files={"file": ("opening.xlsx", filled, xlsx)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    async with db.session() as s:
        total = await s.scalar(select(func.sum(JournalLine.debit_fen)))
        assert int(total) == 1300_50
    assert "期初余额已经入账" in (await client.get(f"/coop/{cid}/opening")).text


async def test_page_form_refuses_unbalanced_at_the_field(client, db, make_user, login_page) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13800000093")
    cid = await _coop(db)
    await login_page(client, "13800000093")
    await client.get(f"/coop/{cid}/opening")
    csrf = {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}
    form = {"entry_date": "2025-01-01", f"acct_{c.CASH}": "500", f"acct_{c.SHARE_CAPITAL}": "400"}
    refused = await client.post(f"/coop/{cid}/opening", headers=csrf, data=form)
    assert refused.status_code == 422 and 'id="balances-error"' in refused.text and "借方多 ¥100.00" in refused.text
    assert 'value="400"' in refused.text  # what was typed stays
    form[f"acct_{c.SHARE_CAPITAL}"] = "500"
    ok = await client.post(f"/coop/{cid}/opening", headers=csrf, data=form, follow_redirects=False)
    assert ok.status_code == 303 and await _count(db) == 1


async def test_a_collective_opens_its_books_on_its_own_chart(client, db, make_user, login_api, login_page) -> None:  # type: ignore[no-untyped-def]
    """A 股份经济合作社's template lists the 2023 chart's accounts only, its codes are taken, and a code of the
    farmers' chart is refused at the row."""
    from coop.models import CoopKind

    await make_user("admin", phone="13800000093")
    h = await login_api(client, "13800000093")
    async with db.session() as s:
        coop, _ = await make_cooperative(s, members=1, kind=CoopKind.SHAREHOLDING)
        cid = coop.id
    await login_page(client, "13800000093")
    template = await client.get(f"/coop/{cid}/opening/template.xlsx")
    assert template.status_code == 200
    codes = [
        str(row[0]) for row in load_workbook(io.BytesIO(template.content)).active.iter_rows(min_row=2, values_only=True)
    ]
    assert set(codes) == set(c.COLLECTIVE.accounts) and c.CASH not in codes
    own = {"cash": c.COLLECTIVE.code(c.CASH), "capital": c.COLLECTIVE.code(c.SHARE_CAPITAL)}
    farmers = await client.post(
        f"/api/coop/{cid}/opening",
        json={
            "entry_date": "2025-01-01",
            "balances": [
                {"account_code": c.CASH, "amount_fen": 100},
                {"account_code": own["capital"], "amount_fen": 100},
            ],
        },
        headers=h,
    )
    assert farmers.status_code == 422 and "不在科目表中" in farmers.json()["message"]
    ok = await client.post(
        f"/api/coop/{cid}/opening",
        json={
            "entry_date": "2025-01-01",
            "balances": [
                {"account_code": own["cash"], "amount_fen": 100},
                {"account_code": own["capital"], "amount_fen": 100},
            ],
        },
        headers=h,
    )
    assert ok.status_code == 201, ok.text
    async with db.session() as s:
        stored = set(
            (
                await s.scalars(select(JournalLine.account_code).where(JournalLine.entry_id == ok.json()["entry_id"]))
            ).all()
        )
    assert stored == {own["cash"], own["capital"]}
