"""The fulfilment desk and the shop admin API reach only the orders, refunds and products of the cooperatives an
admin keeps (issue 10): village B's accountant neither sees nor handles village A's buyers, by page or by API."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from coop import access
from storefront.models import Order
from tests.alipay import pay_in_sandbox
from tests.factories.coop import make_cooperative
from tests.factories.live import build
from tests.factories.shop import order_body


async def _paid_order_with_refund(client, sc) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    made = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders",
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"pool_id": sc.pool_id, **order_body(phone="13800000001")},
    )
    assert made.status_code == 201, made.text
    order = made.json()
    await pay_in_sandbox(client, order["pay_url"])
    asked = await client.post(
        f"/api/shop/orders/{order['order_no']}/refund",
        params={"t": order["status_url"].split("t=")[1]},
        json={"phone": "13800000001", "reason": "不要了"},
    )
    assert asked.status_code == 201, asked.text
    return order["order_no"], asked.json()["id"]


async def test_village_b_cannot_reach_village_a_orders(client, db, make_user, login_api, login_page) -> None:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user, shelf_qty=5)
    order_no, refund_id = await _paid_order_with_refund(client, sc)
    keeper_b = await make_user("admin", phone="13600004446", name="B村会计")
    install = await make_user("admin", phone="13600004447")
    async with db.session() as s:
        village_b, _ = await make_cooperative(s, members=1, name="八道岭村合作社")
        await access.grant(s, keeper_b.phone, village_b.id)  # type: ignore[arg-type]
        day = (await s.scalars(select(Order.ship_by).where(Order.public_no == order_no))).one()
        await s.commit()

    b = await login_api(client, keeper_b.phone)
    assert (await client.get("/api/shop/admin/orders", headers=b)).json() == []
    assert (await client.get("/api/shop/admin/refunds", headers=b)).json() == []
    packing = (await client.get("/api/shop/admin/packing-list", params={"ship_by": str(day)}, headers=b)).json()
    assert packing["orders"] == [] and packing["lines"] == []
    for action in ("pack", "complete"):
        assert (await client.post(f"/api/shop/admin/orders/{order_no}/{action}", headers=b)).status_code == 404
    ship = {"courier": "顺丰速运", "tracking_no": "SF1234567890"}
    assert (await client.post(f"/api/shop/admin/orders/{order_no}/ship", json=ship, headers=b)).status_code == 404
    imported = await client.post(
        "/api/shop/admin/tracking-import",
        json={"csv": f"order_no,courier,tracking_no\n{order_no},顺丰速运,SF1234567890\n"},
        headers=b,
    )
    assert imported.json()["shipped"] == [] and "没有订单" in imported.json()["problems"][0]["reason"]
    for decision in ("reject", "approve"):
        refused = await client.post(f"/api/shop/admin/refunds/{refund_id}/{decision}", headers=b)
        assert refused.status_code == 404, refused.text
    assert (
        await client.patch(f"/api/shop/admin/skus/{sc.sku_id}", json={"add_stock": 5}, headers=b)
    ).status_code == 404
    made = await client.post(
        "/api/shop/admin/products", json={"name": "冒名羊肉", "cooperative_id": sc.coop_id}, headers=b
    )
    assert made.status_code == 422 and made.json()["fields"][0]["field"] == "cooperative_id"

    # the desk page: nothing of village A on it, and its forms refuse A's order
    await login_page(client, keeper_b.phone)
    desk = await client.get("/shop/admin/", params={"ship_by": str(day)})
    assert desk.status_code == 200 and order_no not in desk.text
    shipped = await client.post(
        "/shop/admin/ship",
        data={"order_no": order_no, "action": "pack"},
        headers={"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""},
        follow_redirects=False,
    )
    assert shipped.status_code in (302, 303) and "error" in shipped.headers["location"]
    async with db.session() as s:
        order = (await s.scalars(select(Order).where(Order.public_no == order_no))).one()
    assert order.status == "refund_requested" and order.packed_at is None  # nothing happened to A's order

    # the install's admin (no grants) still runs every village's desk
    everyone = await login_api(client, install.phone)
    assert [o["order_no"] for o in (await client.get("/api/shop/admin/orders", headers=everyone)).json()] == [order_no]
    rejected = await client.post(f"/api/shop/admin/refunds/{refund_id}/reject", headers=everyone)
    assert rejected.status_code == 200 and rejected.json()["order_no"] == order_no
