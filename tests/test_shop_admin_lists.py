"""The shop admin API's lists (orders by status, refunds with their order numbers) and a refund refused."""

from __future__ import annotations

import uuid

from tests.alipay import pay_in_sandbox
from tests.factories.live import build
from tests.factories.shop import order_body


async def _place(client, session_id: int, pool_id: int, phone: str) -> dict:  # type: ignore[no-untyped-def]
    made = await client.post(
        f"/api/live/sessions/{session_id}/orders",
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"pool_id": pool_id, **order_body(phone=phone)},
    )
    assert made.status_code == 201, made.text
    return made.json()


async def test_admin_lists_orders_and_refunds_and_rejects_one(client, db, make_user, login_api) -> None:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user, shelf_qty=5)
    paid = await _place(client, sc.session_id, sc.pool_id, "13800000001")
    unpaid = await _place(client, sc.session_id, sc.pool_id, "13800000002")
    await pay_in_sandbox(client, paid["pay_url"])
    t = paid["status_url"].split("t=")[1]
    asked = await client.post(
        f"/api/shop/orders/{paid['order_no']}/refund",
        params={"t": t},
        json={"phone": "13800000001", "reason": "不要了"},
    )
    assert asked.status_code == 201, asked.text
    await make_user("admin", phone="13600004445")
    admin = await login_api(client, "13600004445")

    every = (await client.get("/api/shop/admin/orders", headers=admin)).json()
    assert [o["order_no"] for o in every] == [unpaid["order_no"], paid["order_no"]]  # newest first
    pending = (await client.get("/api/shop/admin/orders", params={"status": "pending_payment"}, headers=admin)).json()
    assert [o["order_no"] for o in pending] == [unpaid["order_no"]]
    refunds = (await client.get("/api/shop/admin/refunds", headers=admin)).json()
    assert [(r["id"], r["order_no"]) for r in refunds] == [(asked.json()["id"], paid["order_no"])]

    rejected = await client.post(f"/api/shop/admin/refunds/{asked.json()['id']}/reject", headers=admin)
    assert rejected.status_code == 200 and rejected.json()["order_no"] == paid["order_no"]
    assert (await client.get("/api/shop/admin/refunds", params={"status": "requested"}, headers=admin)).json() == []
