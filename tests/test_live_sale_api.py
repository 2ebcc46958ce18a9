"""The live sale end to end over HTTP: a host sets up a show, a guest orders and pays through the
in-project Alipay sandbox (real signatures, real notify), the cooperative ships or refunds."""

import json
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from caoyuan.db import utcnow
from storefront.models import Order
from tests.alipay import pay_in_sandbox
from tests.factories.live import build
from tests.factories.shop import order_body


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def test_guest_orders_and_pays_through_the_sandbox(client, db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=10, price_fen=26800)
    view = (await client.get(f"/api/live/sessions/{sc.session_id}")).json()
    assert view["state"] == "live" and view["shelf"][0]["remaining"] == 10
    made = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders",
        headers=_key(),
        json={"pool_id": sc.pool_id, **order_body(quantity=2)},
    )
    assert made.status_code == 201, made.text
    order = made.json()
    assert order["total_fen"] == 53600 and order["status"] == "pending_payment"
    await pay_in_sandbox(client, order["pay_url"])
    status = await client.get(f"/api/shop/orders/{order['order_no']}", params={"t": order["status_url"].split("t=")[1]})
    assert status.json()["status"] == "paid" and status.json()["ship_by"]
    host = await client.get(f"/api/live/sessions/{sc.session_id}")
    assert host.json()["shelf"][0]["remaining"] == 8


async def test_same_idempotency_key_over_http(client, db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    headers = _key()
    first = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders", headers=headers, json={"pool_id": sc.pool_id, **order_body()}
    )
    again = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders", headers=headers, json={"pool_id": sc.pool_id, **order_body()}
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["order_no"] == again.json()["order_no"]
    missing = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders", json={"pool_id": sc.pool_id, **order_body()}
    )
    assert missing.status_code == 422 and missing.json()["fields"][0]["field"] == "Idempotency-Key"


async def test_sold_out_is_409_with_waitlist(client, db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=1)
    await client.post(
        f"/api/live/sessions/{sc.session_id}/orders", headers=_key(), json={"pool_id": sc.pool_id, **order_body()}
    )
    gone = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders",
        headers=_key(),
        json={"pool_id": sc.pool_id, **order_body(phone="13800000002")},
    )
    assert gone.status_code == 409 and gone.json()["code"] == "sold_out"
    href = gone.json()["waitlist"]["href"]
    joined = await client.post(href, json={"phone": "13800000002", "quantity": 1})
    assert joined.status_code == 201 and joined.json()["position"] == 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"quantity": 0}, 422, "quantity"),
        ({"quantity": 1000}, 422, "quantity"),
        ({"phone": "1380000"}, 400, "phone"),
        ({"province": "火星"}, 422, "province"),
        ({"detail": "x"}, 422, "detail"),
        ({"quantity": "两"}, 400, "quantity"),
    ],
)
async def test_bad_orders_get_4xx_naming_the_field(client, db, make_user, body, status, field) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    response = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders", headers=_key(), json={"pool_id": sc.pool_id, **order_body(**body)}
    )
    assert response.status_code == status, response.text
    assert response.json()["fields"][0]["field"] == field
    assert (await client.get(f"/api/live/sessions/{sc.session_id}")).json()["shelf"][0]["remaining"] == 5


async def test_pool_of_another_session_and_ended_session(client, db, make_user, login_api) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    other = await build(db, make_user, shelf_qty=5)
    wrong = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders", headers=_key(), json={"pool_id": other.pool_id, **order_body()}
    )
    assert wrong.status_code == 404 and wrong.json()["code"] == "not_on_shelf"
    headers = await login_api(client, sc.host.phone)
    ended = await client.post(f"/api/live/sessions/{sc.session_id}/end", headers=headers)
    assert ended.status_code == 200 and ended.json()["state"] == "ended"
    late = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders", headers=_key(), json={"pool_id": sc.pool_id, **order_body()}
    )
    assert late.status_code == 409 and late.json()["code"] == "session_not_live"


async def test_another_host_cannot_run_my_session(client, db, make_user, login_api) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    await make_user("host", phone="13600009999")
    stranger = await login_api(client, "13600009999")
    response = await client.post(
        f"/api/live/sessions/{sc.session_id}/pin", headers=stranger, json={"item_id": sc.item_id}
    )
    assert response.status_code == 403
    buyer = await make_user("buyer", phone="13600009998")
    assert buyer.id
    as_buyer = await login_api(client, "13600009998")
    assert (await client.post(f"/api/live/sessions/{sc.session_id}/end", headers=as_buyer)).status_code == 403


async def test_flash_sale_caps_and_window(client, db, make_user, login_api) -> None:
    sc = await build(db, make_user, shelf_qty=10, price_fen=26800)
    headers = await login_api(client, sc.host.phone)
    bad = await client.post(
        f"/api/live/sessions/{sc.session_id}/flash-sales",
        headers=headers,
        json={"item_id": sc.item_id, "deal_price_fen": 19900, "total_cap": 3, "per_buyer_cap": 1, "countdown_s": 5},
    )
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "countdown_s"
    made = await client.post(
        f"/api/live/sessions/{sc.session_id}/flash-sales",
        headers=headers,
        json={"item_id": sc.item_id, "deal_price_fen": 19900, "total_cap": 3, "per_buyer_cap": 1, "countdown_s": 10},
    )
    assert made.status_code == 201
    sale = made.json()["flash_sales"][0]
    assert sale["state"] == "countdown" and made.json()["shelf"][0]["remaining"] == 7
    early = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders", headers=_key(), json={"pool_id": sale["pool_id"], **order_body()}
    )
    assert early.status_code == 409 and early.json()["code"] == "not_open_yet"
    async with db.session() as s:  # let the countdown end rather than sleeping
        from storefront.models import StockPool

        await s.execute(
            sa.update(StockPool).where(StockPool.id == sale["pool_id"]).values(opens_at=utcnow() - timedelta(seconds=1))
        )
    ok = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders", headers=_key(), json={"pool_id": sale["pool_id"], **order_body()}
    )
    assert ok.status_code == 201 and ok.json()["unit_price_fen"] == 19900
    second = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders", headers=_key(), json={"pool_id": sale["pool_id"], **order_body()}
    )
    assert second.status_code == 409 and second.json()["code"] == "per_buyer_cap"


async def test_forged_and_tampered_notifies_are_refused(client, db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    made = (
        await client.post(
            f"/api/live/sessions/{sc.session_id}/orders", headers=_key(), json={"pool_id": sc.pool_id, **order_body()}
        )
    ).json()
    forged = {
        "out_trade_no": made["order_no"],
        "trade_no": "X1",
        "total_amount": "268.00",
        "trade_status": "TRADE_SUCCESS",
        "app_id": "2021000000000000",
        "seller_id": "2088000000000000",
        "sign_type": "RSA2",
        "sign": "bm90IGEgc2lnbg==",
    }
    answer = await client.post("/pay/alipay/notify", data=forged)
    assert answer.status_code == 400 and answer.text == "failure"
    async with db.session() as s:
        assert (await s.scalar(sa.select(Order.status).where(Order.public_no == made["order_no"]))) == "pending_payment"


async def test_fulfilment_and_refund_over_http(client, db, make_user, login_api) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    made = (
        await client.post(
            f"/api/live/sessions/{sc.session_id}/orders", headers=_key(), json={"pool_id": sc.pool_id, **order_body()}
        )
    ).json()
    await pay_in_sandbox(client, made["pay_url"])
    await make_user("admin", phone="13600007777")
    admin = await login_api(client, "13600007777")
    order = (
        await client.get(f"/api/shop/orders/{made['order_no']}", params={"t": made["status_url"].split("t=")[1]})
    ).json()
    packing = await client.get("/api/shop/admin/packing-list", params={"ship_by": order["ship_by"]}, headers=admin)
    assert packing.json()["lines"][0]["quantity"] == 1
    bad = await client.post(
        f"/api/shop/admin/orders/{made['order_no']}/ship",
        headers=admin,
        json={"courier": "顺丰速运", "tracking_no": "??"},
    )
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "tracking_no"
    ok = await client.post(
        f"/api/shop/admin/orders/{made['order_no']}/ship",
        headers=admin,
        json={"courier": "顺丰速运", "tracking_no": "SF1234567890"},
    )
    assert ok.json()["status"] == "shipped"
    t = made["status_url"].split("t=")[1]
    asked = await client.post(
        f"/api/shop/orders/{made['order_no']}/refund",
        params={"t": t},
        json={"phone": "13800000001", "reason": "肉不新鲜"},
    )
    assert asked.status_code == 201
    done = await client.post(f"/api/shop/admin/refunds/{asked.json()['id']}/approve", headers=admin)
    assert done.status_code == 200 and done.json()["status"] == "refunded"
    after = (await client.get(f"/api/shop/orders/{made['order_no']}", params={"t": t})).json()
    assert after["status"] == "refunded"
    # shipped goods do not come back onto the shelf
    assert (await client.get(f"/api/live/sessions/{sc.session_id}")).json()["shelf"][0]["remaining"] == 4
    twice = await client.post(f"/api/shop/admin/refunds/{asked.json()['id']}/approve", headers=admin)
    assert twice.status_code == 409


async def test_order_status_needs_the_link_token(client, db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    made = (
        await client.post(
            f"/api/live/sessions/{sc.session_id}/orders", headers=_key(), json={"pool_id": sc.pool_id, **order_body()}
        )
    ).json()
    assert (await client.get(f"/api/shop/orders/{made['order_no']}", params={"t": "wrong"})).status_code == 404
    page = await client.get(made["status_url"])
    assert page.status_code == 200 and "13800000001" not in page.text and "138****0001" in page.text
    assert urlsplit(made["pay_url"]).path.endswith("/pay")


@pytest.mark.parametrize(
    ("raw", "code", "field"),
    [
        (b'{"pool_id": 1, "quantity": ', "malformed_json", None),
        (b"", "malformed_json", None),
        (b"[1, 2]", "validation_error", None),
        (b'{"quantity": 1}', "validation_error", "pool_id"),
        (None, "validation_error", "unexpected"),  # an unknown field
        ("name", "validation_error", "name"),  # 31 characters: over the column's 30
    ],
)
async def test_an_unreadable_order_body_is_a_400_that_says_what_and_takes_nothing(
    client, db, make_user, raw, code, field
) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    body = {"pool_id": sc.pool_id, **order_body()}
    if raw is None:
        content = json.dumps({**body, "unexpected": 1}).encode()
    elif raw == "name":
        content = json.dumps({**body, "name": "牧" * 31}).encode()
    else:
        content = raw
    response = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders",
        headers={**_key(), "content-type": "application/json"},
        content=content,
    )
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["code"] == code and answer["message"]
    if field is not None:
        assert answer["fields"] == [{"field": field, "message": answer["fields"][0]["message"]}]
        assert not answer["fields"][0]["message"].isascii()  # said in Chinese
    assert (await client.get(f"/api/live/sessions/{sc.session_id}")).json()["shelf"][0]["remaining"] == 5
