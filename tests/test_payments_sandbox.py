"""The sandbox end to end, in-process, on both databases: the real wire protocol with generated keys."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import rsa

from caoyuan.db import Database, utcnow
from caoyuan.payments import (
    NOT_EXIST,
    AlipayGateway,
    PaymentError,
    PaymentNotice,
    gateway_for,
    get_payment_config,
    signing,
    verify_notify,
)
from caoyuan.payments.sandbox import sandbox_runtime
from caoyuan.payments.sandbox.app import create_sandbox_app
from caoyuan.payments.sandbox.models import SandboxTrade

BASE = "http://testserver.local"


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return tmp_path_factory.mktemp("alipay-sandbox")


@dataclasses.dataclass
class Sandbox:
    app: object
    http: httpx.AsyncClient
    gateway: AlipayGateway
    db: Database
    inbox: list[PaymentNotice]
    answers: list[str]  # what the test receiver answers, in turn; then "success"

    @property
    def config(self):  # type: ignore[no-untyped-def]
        return self.gateway.config

    async def open(self, url: str) -> tuple[httpx.Response, str]:
        page = await self.http.get(url.removeprefix(BASE))
        match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        return page, match[1] if match else self.http.cookies.get("caoyuan_csrf", "")

    async def press(self, url: str, action: str = "pay") -> httpx.Response:
        page, csrf = await self.open(url)
        return await self.http.post(url.removeprefix(BASE), data={"_csrf_token": csrf, "action": action})

    async def delivered(self) -> list[PaymentNotice]:
        assert await sandbox_runtime(self.app).drain()
        return self.inbox

    async def trade(self, out_trade_no: str) -> SandboxTrade:
        async with self.db.session() as s:
            return (await s.scalars(sa.select(SandboxTrade).where(SandboxTrade.out_trade_no == out_trade_no))).one()


@pytest.fixture
async def sandbox(settings, db: Database, key_dir, monkeypatch) -> AsyncIterator[Sandbox]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CAOYUAN_ALIPAY_SANDBOX_KEY_DIR", str(key_dir))
    get_payment_config.cache_clear()
    app = create_sandbox_app(settings, db)
    inbox: list[PaymentNotice] = []
    answers: list[str] = []

    async def receiver(url: str, form: dict[str, str]) -> str:
        # The merchant's side of the wire: verify, record, answer.
        assert url == f"{BASE}/pay/alipay/notify"
        inbox.append(await verify_notify(form, settings))
        answer = answers.pop(0) if answers else "success"
        if answer == "raise":
            raise httpx.ConnectError("merchant down")
        return answer

    runtime = sandbox_runtime(app)
    runtime.send, runtime.delays = receiver, (0, 0, 0, 0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        yield Sandbox(app, http, gateway_for(app), db, inbox, answers)
    await runtime.drain()
    get_payment_config.cache_clear()


async def test_qr_payment_end_to_end(sandbox: Sandbox) -> None:
    qr = await sandbox.gateway.precreate("CY-1001", 1234, "草原羊肉 2 斤")
    assert qr.startswith(f"{BASE}/sandbox/alipay/pay/")
    assert (await sandbox.gateway.query("CY-1001")).status == NOT_EXIST  # nobody has scanned yet

    page, csrf = await sandbox.open(qr)
    assert page.status_code == 200 and csrf
    assert "¥12.34" in page.text and "草原羊肉 2 斤" in page.text and "确认付款" in page.text and "<svg" in page.text
    waiting = await sandbox.gateway.query("CY-1001")
    assert (waiting.status, waiting.total_fen, waiting.paid) == ("WAIT_BUYER_PAY", 1234, False)

    done = await sandbox.press(qr)
    assert done.status_code == 200 and "支付成功" in done.text
    [notice] = await sandbox.delivered()
    assert (notice.out_trade_no, notice.total_fen, notice.trade_status, notice.trade_no) == (
        "CY-1001",
        1234,
        "TRADE_SUCCESS",
        waiting.trade_no,
    )
    assert notice.seller_id == sandbox.config.seller_id and notice.gmt_payment is not None

    paid = await sandbox.gateway.query("CY-1001")
    assert (paid.status, paid.paid, paid.total_fen) == ("TRADE_SUCCESS", True, 1234) and paid.paid_at is not None
    trade = await sandbox.trade("CY-1001")
    assert (trade.notify_status, trade.notify_attempts) == ("delivered", 1)

    again = await sandbox.press(qr)  # paying twice is impossible, and sends no second notify
    assert "支付成功" in again.text
    assert len(await sandbox.delivered()) == 1


async def test_notify_is_retried_until_the_merchant_says_success(sandbox: Sandbox) -> None:
    sandbox.answers.extend(["failure", "raise", "<html>500</html>"])
    qr = await sandbox.gateway.precreate("CY-1002", 990, "酸奶")
    await sandbox.press(qr)
    notices = await sandbox.delivered()
    assert len(notices) == 4 and len({n.notify_id for n in notices}) == 1  # the same notify, redelivered
    trade = await sandbox.trade("CY-1002")
    assert (trade.notify_status, trade.notify_attempts, trade.notify_error) == ("delivered", 4, "")


async def test_notify_retries_are_bounded(sandbox: Sandbox) -> None:
    sandbox.answers.extend(["failure"] * 10)
    await sandbox.press(await sandbox.gateway.precreate("CY-1003", 100, "奶茶"))
    assert len(await sandbox.delivered()) == 4  # len(delays)
    trade = await sandbox.trade("CY-1003")
    assert (trade.notify_status, trade.notify_attempts, trade.status) == ("failed", 4, "TRADE_SUCCESS")
    assert "failure" in trade.notify_error


async def test_wap_pay_redirects_to_the_cashier_and_back_with_signed_params(sandbox: Sandbox) -> None:
    url = await sandbox.gateway.wap_pay_url("CY-2001", 52000, "整羊一只", f"{BASE}/shop/orders/2001")
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == sandbox.config.gateway_url
    assert params["method"] == "alipay.trade.wap.pay" and '"total_amount":"520.00"' in params["biz_content"]
    assert signing.verify_now(sandbox.config.sandbox.app_public_key, signing.canonical(params), params["sign"])

    redirect = await sandbox.http.get(url.removeprefix(BASE))
    assert redirect.status_code == 303
    cashier = redirect.headers["location"]
    back = await sandbox.press(cashier)
    assert back.status_code == 303
    target = urlsplit(back.headers["location"])
    assert target.path == "/shop/orders/2001"
    returned = dict(parse_qsl(target.query))
    assert returned["out_trade_no"] == "CY-2001" and returned["total_amount"] == "520.00"
    assert await signing.verify_params(sandbox.config.alipay_public_key, returned, signing.NOTIFY_EXCLUDES)
    [notice] = await sandbox.delivered()
    assert notice.total_fen == 52000


async def test_cancel_leaves_the_trade_payable(sandbox: Sandbox) -> None:
    qr = await sandbox.gateway.precreate("CY-2002", 300, "奶皮子")
    cancelled = await sandbox.press(qr, action="cancel")
    assert "已取消付款" in cancelled.text
    assert (await sandbox.gateway.query("CY-2002")).status == "WAIT_BUYER_PAY"
    assert "支付成功" in (await sandbox.press(qr)).text


async def test_refunds_are_idempotent_and_never_exceed_the_payment(sandbox: Sandbox) -> None:
    with pytest.raises(PaymentError) as not_there:
        await sandbox.gateway.refund("CY-3001", 100, "R0", "")
    assert not_there.value.sub_code == "ACQ.TRADE_NOT_EXIST"
    qr = await sandbox.gateway.precreate("CY-3001", 1234, "牛肉干")
    await sandbox.open(qr)
    with pytest.raises(PaymentError) as unpaid:
        await sandbox.gateway.refund("CY-3001", 100, "R0", "")
    assert unpaid.value.sub_code == "ACQ.TRADE_STATUS_ERROR"
    await sandbox.press(qr)

    first = await sandbox.gateway.refund("CY-3001", 300, "R1", "少发一袋")
    assert (first.refunded_fen_total, first.fund_change) == (300, True)
    retry = await sandbox.gateway.refund("CY-3001", 300, "R1", "少发一袋")
    assert (retry.refunded_fen_total, retry.fund_change) == (300, False)
    with pytest.raises(PaymentError) as discordant:
        await sandbox.gateway.refund("CY-3001", 400, "R1", "")
    assert discordant.value.sub_code == "ACQ.DISCORDANT_REPEAT_REQUEST"
    with pytest.raises(PaymentError) as too_much:
        await sandbox.gateway.refund("CY-3001", 935, "R2", "")
    assert too_much.value.sub_code == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL" and too_much.value.status == 409
    assert (await sandbox.gateway.query("CY-3001")).status == "TRADE_SUCCESS"
    rest = await sandbox.gateway.refund("CY-3001", 934, "R2", "")
    assert (rest.refunded_fen_total, rest.fund_change) == (1234, True)
    assert (await sandbox.gateway.query("CY-3001")).status == "TRADE_CLOSED"  # fully refunded
    assert (await sandbox.trade("CY-3001")).refunded_fen == 1234


async def test_close_an_unpaid_trade_and_refuse_to_close_a_paid_one(sandbox: Sandbox) -> None:
    qr = await sandbox.gateway.precreate("CY-4001", 500, "黄油")
    await sandbox.open(qr)
    await sandbox.gateway.close("CY-4001")
    await sandbox.gateway.close("CY-4001")  # closing twice is fine
    assert (await sandbox.gateway.query("CY-4001")).status == "TRADE_CLOSED"
    assert "交易已关闭" in (await sandbox.press(qr)).text
    assert await sandbox.delivered() == []
    with pytest.raises(PaymentError) as reopened:
        await sandbox.gateway.precreate("CY-4001", 500, "黄油")
    assert reopened.value.sub_code == "ACQ.TRADE_HAS_CLOSE"

    paid_qr = await sandbox.gateway.precreate("CY-4002", 500, "黄油")
    await sandbox.press(paid_qr)
    with pytest.raises(PaymentError) as paid:
        await sandbox.gateway.close("CY-4002")
    assert paid.value.sub_code == "ACQ.TRADE_STATUS_ERROR"
    with pytest.raises(PaymentError) as again:
        await sandbox.gateway.precreate("CY-4002", 500, "黄油")
    assert again.value.sub_code == "ACQ.TRADE_HAS_SUCCESS"


async def test_a_code_closed_before_anyone_scanned_it_cannot_be_paid(sandbox: Sandbox) -> None:
    qr = await sandbox.gateway.precreate("CY-4003", 800, "奶豆腐")
    await sandbox.gateway.close("CY-4003")
    assert "交易已关闭" in (await sandbox.press(qr)).text
    assert (await sandbox.gateway.query("CY-4003")).status == "TRADE_CLOSED"
    assert await sandbox.delivered() == []


async def test_time_runs_out(sandbox: Sandbox) -> None:
    qr = await sandbox.gateway.precreate("CY-5001", 100, "奶茶", expires_at=utcnow() + timedelta(minutes=5))
    await sandbox.open(qr)
    async with sandbox.db.session() as s:  # five minutes pass
        await s.execute(
            sa.update(SandboxTrade)
            .where(SandboxTrade.out_trade_no == "CY-5001")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert (await sandbox.gateway.query("CY-5001")).status == "TRADE_CLOSED"
    assert "交易已关闭" in (await sandbox.press(qr)).text
    with pytest.raises(PaymentError) as past:
        await sandbox.gateway.precreate("CY-5002", 100, "奶茶", expires_at=utcnow() - timedelta(minutes=1))
    assert past.value.sub_code == "ACQ.TRADE_HAS_CLOSE"


async def test_changed_amount_for_the_same_order_is_refused(sandbox: Sandbox) -> None:
    first = await sandbox.gateway.precreate("CY-6001", 1000, "羊排")
    cheaper = await sandbox.gateway.precreate("CY-6001", 1, "羊排")  # nobody has scanned: Alipay cannot tell yet
    await sandbox.open(first)
    refused, _ = await sandbox.open(cheaper)
    assert refused.status_code == 409 and "交易信息不一致" in refused.text
    assert "交易信息不一致" in (await sandbox.press(cheaper)).text
    assert (await sandbox.trade("CY-6001")).status == "WAIT_BUYER_PAY"
    with pytest.raises(PaymentError) as changed:
        await sandbox.gateway.precreate("CY-6001", 1, "羊排")
    assert changed.value.sub_code == "ACQ.CONTEXT_INCONSISTENT"
    assert await sandbox.gateway.precreate("CY-6001", 1000, "羊排")  # asking again for the same is fine


async def test_the_gateway_refuses_requests_it_cannot_verify(sandbox: Sandbox) -> None:
    transport = httpx.ASGITransport(app=sandbox.app)  # type: ignore[arg-type]
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    async with AlipayGateway(
        dataclasses.replace(sandbox.config, app_private_key=stranger), transport=transport
    ) as forged:
        with pytest.raises(PaymentError) as bad_sign:
            await forged.precreate("CY-7001", 100, "x")
    assert bad_sign.value.sub_code == "isv.invalid-signature" and bad_sign.value.status == 502
    async with AlipayGateway(
        dataclasses.replace(sandbox.config, app_id="9021000000000999"), transport=transport
    ) as other_app:
        with pytest.raises(PaymentError) as bad_app:
            await other_app.query("CY-7001")
    assert bad_app.value.sub_code == "isv.invalid-app-id"

    url = await sandbox.gateway.wap_pay_url("CY-7002", 100, "x")
    tampered = await sandbox.http.get(url.removeprefix(BASE).replace("%221.00%22", "%220.01%22"))
    assert tampered.status_code == 400 and "验签出错" in tampered.text
    raw = await sandbox.http.post("/sandbox/alipay/gateway.do", data={"method": "alipay.trade.query"})
    assert raw.json()["alipay_trade_query_response"]["sub_code"] == "isv.missing-app-id"


async def test_a_forged_or_garbled_answer_is_not_believed(sandbox: Sandbox) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body = {
        "code": "10000",
        "msg": "Success",
        "out_trade_no": "CY-8001",
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "1.00",
        "trade_no": "1",
    }

    def forged(request: httpx.Request) -> httpx.Response:
        sig = signing.sign_now(stranger, signing.response_content(body))
        return httpx.Response(200, text=signing.signed_response("alipay.trade.query", body, sig))

    async with AlipayGateway(sandbox.config, transport=httpx.MockTransport(forged)) as gateway:
        with pytest.raises(PaymentError) as caught:
            await gateway.query("CY-8001")
    assert caught.value.sub_code == "BAD_RESPONSE_SIGNATURE"
    for status, text in ((200, "<html>系统繁忙</html>"), (502, "bad gateway")):
        async with AlipayGateway(
            sandbox.config, transport=httpx.MockTransport(lambda r, s=status, t=text: httpx.Response(s, text=t))
        ) as gateway:
            with pytest.raises(PaymentError):
                await gateway.query("CY-8001")


async def test_a_tampered_or_unknown_pay_link_is_refused(sandbox: Sandbox) -> None:
    qr = await sandbox.gateway.precreate("CY-9001", 100, "x")
    payload, mac = qr.rsplit("/", 1)[1].split(".")
    assert (await sandbox.http.get(f"/sandbox/alipay/pay/{payload[:-2]}AA.{mac}")).status_code == 404
    assert (await sandbox.http.get("/sandbox/alipay/pay/nonsense")).status_code == 404


@pytest.mark.postgres_only
async def test_concurrent_refunds_never_pass_the_paid_amount(sandbox: Sandbox) -> None:
    await sandbox.press(await sandbox.gateway.precreate("CY-9101", 1234, "羊肉"))
    outcomes = await asyncio.gather(
        *(sandbox.gateway.refund("CY-9101", 300, f"R{i}", "") for i in range(8)), return_exceptions=True
    )
    done = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, PaymentError)]
    assert len(done) == 4 and len(refused) == 4
    assert {e.sub_code for e in refused} == {"ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"}
    assert (await sandbox.trade("CY-9101")).refunded_fen == 1200


@pytest.mark.postgres_only
async def test_concurrent_retries_of_one_refund_move_money_once(sandbox: Sandbox) -> None:
    await sandbox.press(await sandbox.gateway.precreate("CY-9102", 1000, "羊肉"))
    results = await asyncio.gather(*(sandbox.gateway.refund("CY-9102", 250, "SAME", "") for _ in range(6)))
    assert sum(r.fund_change for r in results) == 1
    assert {r.refunded_fen_total for r in results} == {250}
    assert (await sandbox.trade("CY-9102")).refunded_fen == 250


@pytest.mark.postgres_only
async def test_concurrent_confirms_pay_once_and_notify_once(sandbox: Sandbox) -> None:
    qr = await sandbox.gateway.precreate("CY-9103", 700, "羊肉")
    _, csrf = await sandbox.open(qr)
    pages = await asyncio.gather(
        *(sandbox.http.post(qr.removeprefix(BASE), data={"_csrf_token": csrf, "action": "pay"}) for _ in range(5))
    )
    assert all("支付成功" in p.text for p in pages)
    assert len(await sandbox.delivered()) == 1


async def test_the_kernel_app_mounts_the_sandbox(client) -> None:  # type: ignore[no-untyped-def]
    answer = await client.post("/sandbox/alipay/gateway.do", data={"method": "alipay.trade.close"})
    assert answer.status_code == 200
    assert answer.json()["alipay_trade_close_response"]["sub_code"] == "isv.missing-app-id"
    assert (await client.get("/sandbox/alipay/pay/nonsense")).status_code == 404
