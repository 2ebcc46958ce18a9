"""A refund is a state driven until Alipay confirms it: a failed call (a timeout, an answer lost on the way
back) is recorded, retried with the same out_request_no, paid back exactly once, and only then booked."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import unquote

import httpx
import sqlalchemy as sa

from caoyuan import clock
from caoyuan.db import utcnow
from caoyuan.payments import gateway_for
from caoyuan.payments.sandbox import sandbox_runtime
from caoyuan.payments.sandbox.models import SandboxRefund, SandboxTrade
from coop.models import MemberVolume, Posting
from storefront.models import Order, PaymentAttempt, Refund
from storefront.services import expire_orders, refund_drive
from tests.factories.live import build
from tests.factories.shop import order_body

PHONE_UA = {"user-agent": "Mozilla/5.0 (iPhone) Mobile"}


class FlakyAlipay(httpx.AsyncBaseTransport):
    """Between us and the sandbox: the next refund calls fail as told, then calls pass through.

    ``timeout``: the call never reaches Alipay. ``lost``: Alipay refunds, but its answer never comes back.
    ``refuse``: Alipay answers with a business refusal (unsigned, as Alipay's error answers may be)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, failures: list[str]) -> None:
        self.inner, self.failures, self.refund_calls = inner, failures, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if b"method=alipay.trade.refund" not in request.content:
            return await self.inner.handle_async_request(request)
        self.refund_calls += 1
        failure = self.failures.pop(0) if self.failures else None
        if failure == "timeout":
            raise httpx.ConnectTimeout("alipay did not answer", request=request)
        if failure == "refuse":
            body = (
                '{"alipay_trade_refund_response":{"code":"40004","msg":"Business Failed",'
                '"sub_code":"ACQ.SYSTEM_ERROR","sub_msg":"系统繁忙"}}'
            )
            return httpx.Response(200, content=body.encode(), request=request)
        response = await self.inner.handle_async_request(request)
        if failure == "lost":
            await response.aread()
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


def make_flaky(app, failures: list[str]) -> FlakyAlipay:  # type: ignore[no-untyped-def]
    gateway = gateway_for(app)
    flaky = FlakyAlipay(gateway._http._transport, failures)  # noqa: SLF001 - the test's man in the middle
    gateway._http = httpx.AsyncClient(transport=flaky, timeout=gateway.config.timeout)  # noqa: SLF001
    return flaky


def same_loop_gateway(settings, db):  # type: ignore[no-untyped-def]
    """The reconciler runs on the test's loop: an app (and sandbox gateway) over the test's own engine."""
    from caoyuan.app import create_app

    return gateway_for(create_app(settings, database=db))


async def _place(client, session_id: int, pool_id: int, phone: str) -> dict:  # type: ignore[no-untyped-def]
    made = await client.post(
        f"/api/live/sessions/{session_id}/orders",
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"pool_id": pool_id, **order_body(phone=phone)},
    )
    assert made.status_code == 201, made.text
    return made.json()


async def _press_pay(client, cashier_html: str) -> None:  # type: ignore[no-untyped-def]
    action = re.search(r'<form method="post" action="([^"]+)"', cashier_html).group(1)  # type: ignore[union-attr]
    csrf = re.search(r'name="_csrf_token" value="([^"]*)"', cashier_html)
    data = {"action": "pay", **({"_csrf_token": csrf.group(1)} if csrf else {})}
    paid = await client.post(
        action, data=data, headers={"x-csrftoken": client.cookies.get("caoyuan_csrf", "")}, follow_redirects=False
    )
    assert paid.status_code in (200, 303), paid.text[:300]
    assert await sandbox_runtime(client.app).drain(10)


async def _late_payment(client, db, make_user) -> tuple[object, dict]:  # type: ignore[no-untyped-def]
    """A buyer opens the cashier, the order expires, another buyer takes the last unit, then the first pays."""
    sc = await build(db, make_user, shelf_qty=1)
    late = await _place(client, sc.session_id, sc.pool_id, "13800000001")
    cashier = await client.get(late["pay_url"], follow_redirects=True, headers=PHONE_UA)
    assert cashier.status_code == 200 and "确认付款" in cashier.text
    async with db.session() as s:
        await s.execute(
            sa.update(Order)
            .where(Order.public_no == late["order_no"])
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    async with db.session() as s:
        assert await expire_orders.expire_due(s) == [late["order_no"]]
    await _place(client, sc.session_id, sc.pool_id, "13800000002")  # the unit is gone
    await _press_pay(client, cashier.text)
    return sc, late


async def _state(db, order_no: str) -> tuple[Order, Refund, SandboxTrade, int]:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        order = await s.scalar(sa.select(Order).where(Order.public_no == order_no))
        made = await s.scalar(sa.select(Refund).where(Refund.order_id == order.id))  # type: ignore[union-attr]
        trade = await s.scalar(sa.select(SandboxTrade).where(SandboxTrade.out_trade_no == order_no))
        paid_back = await s.scalar(
            sa.select(sa.func.count()).select_from(SandboxRefund).where(SandboxRefund.trade_id == trade.id)
        )  # type: ignore[union-attr]
        return order, made, trade, paid_back  # type: ignore[return-value]


async def _books(db, order_id: int, member_id: int) -> tuple[list[str], int]:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        kinds = list(
            await s.scalars(
                sa.select(Posting.kind).where(Posting.reference.like(f"shop-order:{order_id}:%")).order_by(Posting.id)
            )
        )
        volume = await s.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(MemberVolume.amount_fen), 0)).where(
                MemberVolume.member_id == member_id
            )
        )
    return kinds, int(volume or 0)


async def test_late_payment_refund_that_timed_out_is_retried_until_alipay_confirms(
    client, db, make_user, settings
) -> None:
    flaky = make_flaky(client.app, ["timeout"])
    sc, late = await _late_payment(client, db, make_user)
    order, made, trade, paid_back = await _state(db, late["order_no"])
    # The notify settled the late payment and tried to give the money back; the call timed out.
    assert flaky.refund_calls == 1 and paid_back == 0 and trade.refunded_fen == 0
    assert order.status == "expired" and order.trade_no
    assert (made.kind, made.status, made.attempts) == ("late_payment", "refunding", 1)
    assert "GATEWAY_UNREACHABLE" in made.last_error and made.next_attempt_at > utcnow()
    assert made.out_request_no == f"{late['order_no']}-LATE"
    assert await _books(db, order.id, sc.supplier_id) == ([], 0)  # nothing booked while the money is in flight
    page = await client.get(late["status_url"])
    assert "退款中（原路退回支付宝" in page.text  # the buyer sees the money is on its way back

    gateway = same_loop_gateway(settings, db)
    assert await refund_drive.drive_due(db, gateway) == 0  # not due yet: the reconciler waits its turn
    with clock.frozen_at(utcnow() + timedelta(minutes=2)):
        assert await refund_drive.drive_due(db, gateway) == 1
    order, made, trade, paid_back = await _state(db, late["order_no"])
    assert (made.status, made.attempts, made.last_error, made.next_attempt_at) == ("refunded", 2, "", None)
    assert order.status == "refunded" and order.refunded_at is not None
    assert (trade.refunded_fen, paid_back) == (order.total_fen, 1)
    kinds, volume = await _books(db, order.id, sc.supplier_id)
    assert kinds == ["live_sale", "live_refund"] and volume == 0  # in and out again; the member's volume nets to 0
    # A repeated notify stays a duplicate and moves no money.
    with clock.frozen_at(utcnow() + timedelta(hours=3)):
        assert await refund_drive.drive_due(db, gateway) == 0
    async with db.session() as s:
        outcomes = list(await s.scalars(sa.select(PaymentAttempt.outcome).where(PaymentAttempt.order_id == order.id)))
    assert outcomes == ["refund_needed"]


async def test_a_refund_whose_answer_was_lost_is_confirmed_not_paid_twice(client, db, make_user, settings) -> None:
    make_flaky(client.app, ["lost"])
    sc, late = await _late_payment(client, db, make_user)
    order, made, trade, paid_back = await _state(db, late["order_no"])
    assert (trade.refunded_fen, paid_back) == (order.total_fen, 1)  # Alipay did pay the buyer back…
    assert (made.status, made.attempts) == ("refunding", 1) and made.last_error  # …but we never heard
    with clock.frozen_at(utcnow() + timedelta(minutes=2)):
        assert await refund_drive.drive_due(db, same_loop_gateway(settings, db)) == 1
    order, made, trade, paid_back = await _state(db, late["order_no"])
    assert made.status == "refunded" and order.status == "refunded"
    assert (trade.refunded_fen, paid_back) == (order.total_fen, 1)  # the same out_request_no: refunded once
    assert (await _books(db, order.id, sc.supplier_id))[0] == ["live_sale", "live_refund"]


async def test_desk_shows_a_failing_refund_and_retries_it_now(client, db, make_user, login_api, login_page) -> None:
    flaky = make_flaky(client.app, ["refuse", "timeout"])
    sc = await build(db, make_user, shelf_qty=5)
    made = await _place(client, sc.session_id, sc.pool_id, "13800000001")
    cashier = await client.get(made["pay_url"], follow_redirects=True, headers=PHONE_UA)
    await _press_pay(client, cashier.text)
    t = made["status_url"].split("t=")[1]
    asked = await client.post(
        f"/api/shop/orders/{made['order_no']}/refund",
        params={"t": t},
        json={"phone": "13800000001", "reason": "肉不新鲜"},
    )
    assert asked.status_code == 201, asked.text
    refund_id = asked.json()["id"]
    await make_user("admin", phone="13600004444")
    admin = await login_api(client, "13600004444")

    approved = await client.post(f"/api/shop/admin/refunds/{refund_id}/approve", headers=admin)
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["status"], body["attempts"]) == ("refunding", 1) and "ACQ.SYSTEM_ERROR" in body["last_error"]
    assert body["next_attempt_at"]

    await login_page(client, "13600004444")
    desk = await client.get("/shop/admin/")
    assert desk.status_code == 200 and desk.text.count('value="retry"') == 1 and desk.text.count("立即重试") == 1
    assert desk.text.count("ACQ.SYSTEM_ERROR") == 1 and '<span class="chip">退款中</span>' in desk.text
    csrf = client.cookies.get("caoyuan_csrf", "")
    again = await client.post(
        f"/shop/admin/refunds/{refund_id}",
        data={"decision": "retry", "_csrf_token": csrf},
        headers={"x-csrftoken": csrf},
        follow_redirects=False,
    )
    assert again.status_code == 303 and "GATEWAY_UNREACHABLE" in unquote(again.headers["location"])  # shown
    retried = await client.post(f"/api/shop/admin/refunds/{refund_id}/retry", headers=admin)
    assert retried.json()["status"] == "refunded" and retried.json()["attempts"] == 3
    assert flaky.refund_calls == 3
    status = await client.get(f"/api/shop/orders/{made['order_no']}", params={"t": t})
    assert status.json()["status"] == "refunded"
    assert (await client.post(f"/api/shop/admin/refunds/{refund_id}/retry", headers=admin)).status_code == 409
    kinds, volume = await _books(db, (await _state(db, made["order_no"]))[0].id, sc.supplier_id)
    assert kinds == ["live_sale", "live_refund"] and volume == 0
