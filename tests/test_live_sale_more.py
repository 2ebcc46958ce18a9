"""More of the live sale over HTTP: images, tracking CSV import, analytics, the expiry sweeper closing
Alipay trades, and the reconciler settling a payment whose notify was lost."""

import io
import json
import re
import uuid
from datetime import timedelta

import sqlalchemy as sa
from PIL import Image

from caoyuan.db import utcnow
from caoyuan.payments import gateway_for
from caoyuan.payments.sandbox import sandbox_runtime
from storefront.models import Order
from storefront.services.reconcile import reconcile, sweep
from tests.factories.live import build
from tests.factories.shop import order_body


def _same_loop_gateway(settings, db):  # type: ignore[no-untyped-def]
    """The test client runs the app on a loop of its own; background rounds are called here on the test's
    loop, so they get an app (and gateway) over the test's own engine."""
    from caoyuan.app import create_app

    return gateway_for(create_app(settings, database=db))


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def _place(client, sc, phone: str = "13800000001", quantity: int = 1) -> dict:  # type: ignore[no-untyped-def]
    made = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders",
        headers=_key(),
        json={"pool_id": sc.pool_id, **order_body(phone=phone, quantity=quantity)},
    )
    assert made.status_code == 201, made.text
    return made.json()


async def _open_cashier_and_pay(client, pay_url: str) -> None:  # type: ignore[no-untyped-def]
    cashier = await client.get(pay_url, follow_redirects=True, headers={"user-agent": "iPhone Mobile"})
    action = re.search(r'<form method="post" action="([^"]+)"', cashier.text).group(1)
    await client.post(
        action,
        data={"action": "pay"},
        headers={"x-csrftoken": client.cookies.get("caoyuan_csrf", "")},
        follow_redirects=False,
    )
    await sandbox_runtime(client.app).drain(10)


async def test_image_upload_is_resized_served_and_checked(client, db, make_user, login_api) -> None:
    sc = await build(db, make_user)
    await make_user("admin", phone="13600005555")
    admin = await login_api(client, "13600005555")
    products = (await client.get("/api/shop/products/")).json()
    product_id = products[0]["id"]
    picture = io.BytesIO()
    Image.new("RGB", (3000, 2000), (200, 30, 30)).save(picture, "PNG")
    uploaded = await client.post(
        f"/api/shop/admin/products/{product_id}/images",
        headers=admin,
        files={"file": ("leg.png", picture.getvalue(), "image/png")},
    )
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert (body["width"], body["height"]) == (1200, 800)
    served = await client.get(body["url"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(served.content)).size == (1200, 800)
    assert (await client.get("/api/shop/products/")).json()[0]["images"] == [body["url"]]
    junk = await client.post(
        f"/api/shop/admin/products/{product_id}/images",
        headers=admin,
        files={"file": ("x.png", b"not an image", "image/png")},
    )
    assert junk.status_code == 422 and junk.json()["fields"][0]["field"] == "file"
    assert (await client.get("/media/../../etc/passwd")).status_code in (404, 400)
    assert sc.sku_id


async def test_tracking_csv_all_or_nothing(client, db, make_user, login_api) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    orders = [await _place(client, sc, phone=f"1380000000{n}") for n in range(1, 3)]
    for made in orders:
        await _open_cashier_and_pay(client, made["pay_url"])
    await make_user("admin", phone="13600006666")
    admin = await login_api(client, "13600006666")
    bad = f"order_no,courier,tracking_no\n{orders[0]['order_no']},顺丰速运,SF1111111111\nCY000000NOPE,顺丰速运,SF2222222222\n"
    refused = await client.post("/api/shop/admin/tracking-import", headers=admin, json={"csv": bad})
    assert refused.json()["shipped"] == [] and refused.json()["problems"][0]["line"] == 3
    async with db.session() as s:
        assert (await s.scalar(sa.select(Order.status).where(Order.public_no == orders[0]["order_no"]))) == "paid"
    good = "order_no,courier,tracking_no\n" + "".join(
        f"{o['order_no']},中通快递,ZT{n}2345678901\n" for n, o in enumerate(orders)
    )
    done = await client.post("/api/shop/admin/tracking-import", headers=admin, json={"csv": good})
    assert sorted(done.json()["shipped"]) == sorted(o["order_no"] for o in orders)


async def test_session_stats_count_gmv_at_payment(client, db, make_user, login_api) -> None:
    sc = await build(db, make_user, shelf_qty=5, price_fen=10000)
    paid = await _place(client, sc, phone="13800000001", quantity=2)
    await _place(client, sc, phone="13800000002")
    await _open_cashier_and_pay(client, paid["pay_url"])
    headers = await login_api(client, sc.host.phone)
    stats = (await client.get(f"/api/live/sessions/{sc.session_id}/stats", headers=headers)).json()
    assert (stats["gmv_fen"], stats["orders"], stats["paid_orders"], stats["buyers"]) == (20000, 2, 1, 1)
    assert stats["paid_rate_bp"] == 5000 and stats["by_product"][0]["quantity"] == 2
    buyer = await make_user("buyer", phone="13600001234")
    assert buyer.id
    refused = await client.get(
        f"/api/live/sessions/{sc.session_id}/stats", headers=await login_api(client, "13600001234")
    )
    assert refused.status_code == 403


async def test_sweeper_expires_and_closes_the_trade(client, db, make_user, settings) -> None:
    sc = await build(db, make_user, shelf_qty=3)
    made = await _place(client, sc)
    opened = await client.get(made["pay_url"], follow_redirects=True, headers={"user-agent": "iPhone Mobile"})
    assert "确认付款" in opened.text  # the buyer opened the cashier: the trade exists at Alipay now
    async with db.session() as s:
        await s.execute(
            sa.update(Order)
            .where(Order.public_no == made["order_no"])
            .values(expires_at=utcnow() - timedelta(minutes=1), created_at=utcnow() - timedelta(minutes=16))
        )
    gateway = _same_loop_gateway(settings, db)
    assert await sweep(db, gateway) == [made["order_no"]]
    async with db.session() as s:
        await s.execute(
            sa.update(Order)
            .where(Order.public_no == made["order_no"])
            .values(closed_at=utcnow() - timedelta(minutes=2))
        )
    await sweep(db, gateway)
    async with db.session() as s:
        order = await s.scalar(sa.select(Order).where(Order.public_no == made["order_no"]))
    assert order.status == "expired" and order.trade_closed
    assert (await gateway.query(made["order_no"])).status == "TRADE_CLOSED"
    assert (await client.get(f"/api/live/sessions/{sc.session_id}")).json()["shelf"][0]["remaining"] == 3


async def test_reconciler_settles_a_payment_whose_notify_was_lost(client, db, make_user, settings) -> None:
    sc = await build(db, make_user, shelf_qty=3)
    made = await _place(client, sc)

    async def lost(url: str, form: dict[str, str]) -> str:
        raise ConnectionError("the notify never arrives")

    runtime = sandbox_runtime(client.app)
    runtime.send, runtime.delays = lost, [0]
    await _open_cashier_and_pay(client, made["pay_url"].replace("/pay?", "/pay?method=wap&"))
    async with db.session() as s:
        assert (await s.scalar(sa.select(Order.status).where(Order.public_no == made["order_no"]))) == "pending_payment"
        await s.execute(
            sa.update(Order)
            .where(Order.public_no == made["order_no"])
            .values(created_at=utcnow() - timedelta(minutes=3))
        )
    assert await reconcile(db, _same_loop_gateway(settings, db)) == 1
    async with db.session() as s:
        assert (await s.scalar(sa.select(Order.status).where(Order.public_no == made["order_no"]))) == "paid"


async def test_each_paid_order_event_carries_the_sessions_running_gmv(client, db, make_user) -> None:
    """Streaming owns the figure (its feed enricher); storefront's order_paid event only names the order."""
    from caoyuan.feed import events_after
    from streaming.services.access import feed_stream

    sc = await build(db, make_user, shelf_qty=5, price_fen=10000)
    first = await _place(client, sc, phone="13800000001", quantity=2)
    await _place(client, sc, phone="13800000002")  # placed, never paid: not in the GMV
    second = await _place(client, sc, phone="13800000003")
    await _open_cashier_and_pay(client, first["pay_url"])
    await _open_cashier_and_pay(client, second["pay_url"])
    async with db.session() as s:
        events = await events_after(s, feed_stream(sc.session_id), 0)
    paid = [json.loads(e.payload) for e in events if e.kind == "order_paid"]
    assert [(p["order_no"], p["gmv_fen"]) for p in paid] == [(first["order_no"], 20000), (second["order_no"], 30000)]
    others = [json.loads(e.payload) for e in events if e.kind != "order_paid"]
    assert all("gmv_fen" not in payload for payload in others)
