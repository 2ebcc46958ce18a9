"""The issue's 500s, one by one: each is now a 4xx that says what is wrong (and where)."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

from coop.models import Cooperative, CoopKind
from tests.factories.live import build
from tests.factories.shop import order_body

BIG_ID = 2**63


async def _order(client, sc) -> dict:  # type: ignore[no-untyped-def]
    made = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders",
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"pool_id": sc.pool_id, **order_body()},
    )
    assert made.status_code == 201, made.text
    return made.json()


async def test_ids_beyond_integer_columns_are_refused_anonymously(client, db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    for url in (f"/api/live/sessions/{BIG_ID}", f"/live/{BIG_ID}", f"/api/live/sessions/{2**31}"):
        assert (await client.get(url)).status_code == 400, url
    waitlist = await client.post(f"/api/shop/pools/{BIG_ID}/waitlist", json={"phone": "13800000001", "quantity": 1})
    assert waitlist.status_code == 400
    ordered = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders",
        headers={"Idempotency-Key": "k" * 20},
        json={**order_body(), "pool_id": BIG_ID},
    )
    assert ordered.status_code == 400 and "pool_id" in ordered.text


async def test_a_non_ascii_link_token_is_not_found(client, db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    no = (await _order(client, sc))["order_no"]
    bad = {"t": "é"}
    assert (await client.get(f"/api/shop/orders/{no}", params=bad)).status_code == 404
    assert (
        await client.post(f"/api/shop/orders/{no}/pay", params=bad, json={"phone": "13800000001"})
    ).status_code == 404
    refund = await client.post(
        f"/api/shop/orders/{no}/refund", params=bad, json={"phone": "13800000001", "reason": "不新鲜"}
    )
    assert refund.status_code == 404
    assert (await client.get(f"/shop/orders/{no}", params=bad)).status_code == 404
    assert (await client.get(f"/shop/orders/{no}/pay", params=bad)).status_code == 404


async def test_unknown_cooperative_or_supplier_is_named(client, db, make_user, login_api) -> None:
    sc = await build(db, make_user)
    await make_user("admin", phone="13600006001")
    admin = await login_api(client, "13600006001")
    cases = [
        ({"cooperative_id": 999_999}, "cooperative_id"),
        ({"supplier_member_id": 999_999}, "supplier_member_id"),
        ({"cooperative_id": BIG_ID}, "cooperative_id"),
    ]
    for extra, field in cases:
        made = await client.post("/api/shop/admin/products", headers=admin, json={"name": "草原奶茶", **extra})
        assert made.status_code in (400, 422), made.text
        assert field in made.text
    async with db.session() as s:  # a member of one cooperative cannot supply another's product
        other = Cooperative(name="另一个合作社", kind=CoopKind.FARMER, banner="鄂托克旗", village="别的嘎查")
        s.add(other)
        await s.flush()
        other_id = other.id
    crossed = await client.post(
        "/api/shop/admin/products",
        headers=admin,
        json={"name": "草原奶茶", "cooperative_id": other_id, "supplier_member_id": sc.supplier_id},
    )
    assert crossed.status_code == 422 and crossed.json()["fields"][0]["field"] == "supplier_member_id"
    fine = await client.post(
        "/api/shop/admin/products",
        headers=admin,
        json={"name": "草原奶茶", "cooperative_id": sc.coop_id, "supplier_member_id": sc.supplier_id},
    )
    assert fine.status_code == 201, fine.text


async def test_console_pin_with_a_bad_item_shows_a_message(client, db, make_user, login_page) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    await login_page(client, sc.host.phone)
    csrf = client.cookies.get("caoyuan_csrf", "")
    for raw in ("abc", str(BIG_ID), "²"):
        sent = await client.post(
            f"/live/console/{sc.session_id}/action",
            data={"action": "pin", "item_id": raw},
            headers={"x-csrftoken": csrf},
            follow_redirects=False,
        )
        assert sent.status_code == 303, sent.text
        assert parse_qs(urlsplit(sent.headers["location"]).query)["error"] == ["请选择讲解商品"]


async def test_sessions_outside_2000_to_2100_are_refused(client, db, make_user, login_api, login_page) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    host = await login_api(client, sc.host.phone)
    for start in ("0001-01-01T00:00:00+08:00", "9999-12-31T23:00:00-05:00", "1999-12-31T12:00:00+00:00"):
        made = await client.post(
            "/api/live/sessions",
            headers=host,
            json={"room_id": sc.room_id, "title": "古代直播", "content_line": "goods", "scheduled_start": start},
        )
        assert made.status_code == 422, (start, made.text)
        assert made.json()["fields"][0]["field"] == "scheduled_start"
    await login_page(client, sc.host.phone)
    csrf = client.cookies.get("caoyuan_csrf", "")
    for start in ("0001-01-01T00:00", "9999-12-31T23:59"):
        sent = await client.post(
            "/live/console/schedule",
            headers={"x-csrftoken": csrf},
            follow_redirects=False,
            data={"room_id": str(sc.room_id), "title": "古代直播", "content_line": "goods", "scheduled_start": start},
        )
        assert sent.status_code == 303 and "error=" in sent.headers["location"], start


async def test_an_unknown_waitlist_token_is_not_found(client) -> None:  # type: ignore[no-untyped-def]
    missing = await client.get("/api/shop/waitlist/no-such-token")
    assert missing.status_code == 404 and "没有这个候补登记" in missing.text
