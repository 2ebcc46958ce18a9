"""Payment faults with real processes. "Alipay" is a second caoyuan process running the sandbox
(CAOYUAN_PAYMENTS=sandbox); the shop node talks to it as to the real gateway (CAOYUAN_PAYMENTS=alipay,
CAOYUAN_ALIPAY_GATEWAY_URL pointing at it, the sandbox's keys), so taking it down is Alipay unreachable.

(c) Alipay unreachable for a while: the pay step says so and writes nothing, orders wait, and after
    Alipay is back the reconciler settles the paid ones — each once, its books posted once.
(d) A notify that cannot be delivered while the shop node is down is retried by Alipay after the node
    restarts; and when the sandbox itself restarts (its retries live in memory and die with it), the
    restarted node's reconciler settles the order from the trade Alipay holds: nothing is lost.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from caoyuan.db import Database, utcnow
from caoyuan.payments.client import AlipayGateway
from caoyuan.payments.keys import ensure_sandbox_keys
from caoyuan.payments.sandbox.models import SandboxTrade
from caoyuan.payments.settings import SANDBOX_APP_ID, SANDBOX_SELLER_ID, AlipaySettings, load_payment_config
from caoyuan.settings import load_settings
from coop.models.ledger import Posting
from storefront.models import Order, PaymentAttempt
from storefront.services.reconcile import reconcile
from tests.browser import free_port, start_server, stop_server
from tests.factories.live import build
from tests.factories.shop import order_body

pytestmark = pytest.mark.postgres_only


# The sandbox's notify tries: every 2 s for a minute, rather than the default 2, 7, 22, 52, 112 s after the
# payment, so a retry meets the restarted node within seconds of its start instead of at the next slot.
NOTIFY_DELAYS = ",".join(["0"] + ["2"] * 29)


@dataclass
class Payments:
    """The shop node and the Alipay stand-in, each startable, killable and restartable."""

    database_url: str
    folder: Path
    shop_port: int = field(default_factory=free_port)
    alipay_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def shop(self) -> str:
        return f"http://127.0.0.1:{self.shop_port}"

    @property
    def alipay(self) -> str:
        return f"http://127.0.0.1:{self.alipay_port}"

    def _common(self) -> dict[str, str]:
        # No drain at the end: these processes are killed or torn down, never rolled (5 s each otherwise).
        return {
            "CAOYUAN_DATABASE_URL": self.database_url,
            "CAOYUAN_SECRET_KEY": "p" * 40,
            "CAOYUAN_SHUTDOWN_DRAIN_S": "0",
        }

    def shop_env(self, background: bool = False, notify_url: str = "") -> dict[str, str]:
        keys = ensure_sandbox_keys(self.folder / "keys")
        return {
            **({"CAOYUAN_ALIPAY_NOTIFY_URL": notify_url} if notify_url else {}),
            **self._common(),
            "CAOYUAN_PUBLIC_BASE_URL": self.shop,
            "CAOYUAN_BACKGROUND_TASKS": "1" if background else "0",
            "CAOYUAN_PAYMENTS": "alipay",
            "CAOYUAN_ALIPAY_APP_ID": SANDBOX_APP_ID,
            "CAOYUAN_ALIPAY_SELLER_ID": SANDBOX_SELLER_ID,
            "CAOYUAN_ALIPAY_APP_PRIVATE_KEY": f"@{keys.app_private}",
            "CAOYUAN_ALIPAY_ALIPAY_PUBLIC_KEY": f"@{keys.alipay_public}",
            "CAOYUAN_ALIPAY_GATEWAY_URL": f"{self.alipay}/sandbox/alipay/gateway.do",
            "CAOYUAN_ALIPAY_TIMEOUT": "3",
        }

    def start_shop(self, background: bool = False, notify_url: str = "") -> None:
        log = self.folder / f"shop-{len(self.processes)}.log"
        self.processes["shop"] = start_server(self.shop_env(background, notify_url), self.shop_port, log)

    def start_alipay(self) -> None:
        env = {
            **self._common(),
            "CAOYUAN_PUBLIC_BASE_URL": self.alipay,
            "CAOYUAN_BACKGROUND_TASKS": "0",
            "CAOYUAN_PAYMENTS": "sandbox",
            "CAOYUAN_ALIPAY_SANDBOX_KEY_DIR": str(self.folder / "keys"),
            "CAOYUAN_ALIPAY_SANDBOX_NOTIFY_DELAYS": NOTIFY_DELAYS,
        }
        log = self.folder / f"alipay-{len(self.processes)}.log"
        self.processes["alipay"] = start_server(env, self.alipay_port, log)

    def start_both(self, background: bool = False, notify_url: str = "") -> None:
        """The shop and Alipay side by side (each start is mostly importing the app)."""
        with ThreadPoolExecutor(2) as pool:
            for started in [pool.submit(self.start_shop, background, notify_url), pool.submit(self.start_alipay)]:
                started.result()

    def kill(self, name: str) -> None:
        self.processes[name].kill()  # SIGKILL: no drain, in-memory work is lost
        self.processes[name].wait(10)

    def gateway(self) -> AlipayGateway:
        """The shop's gateway client for a reconciler round run from the test (same settings as the node)."""
        env = self.shop_env()
        settings = load_settings(
            database_url=self.database_url, secret_key="p" * 40, payments="alipay", public_base_url=self.shop
        )
        alipay = AlipaySettings(
            **{k.removeprefix("CAOYUAN_ALIPAY_").lower(): v for k, v in env.items() if "ALIPAY_" in k}
        )
        return AlipayGateway(load_payment_config(settings, alipay))


@pytest.fixture
def payments(database_url: str, tmp_path: Path) -> Iterator[Payments]:
    made = Payments(database_url, tmp_path)
    ensure_sandbox_keys(tmp_path / "keys")
    try:
        yield made
    finally:
        for process in made.processes.values():
            if process.poll() is None:
                stop_server(process)


async def place(base: str, sc, phone: str) -> dict:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(timeout=15) as client:
        made = await client.post(
            f"{base}/api/live/sessions/{sc.session_id}/orders",
            headers={"Idempotency-Key": f"key-{phone}"},
            json={"pool_id": sc.pool_id, **order_body(phone=phone)},
        )
    assert made.status_code == 201, made.text
    return {**made.json(), "phone": phone}


async def pay_step(base: str, order: dict, method: str = "wap") -> httpx.Response:
    """The buyer's 去付款: WAP is a pay URL signed here; QR (precreate) asks Alipay for a code."""
    token = order["status_url"].split("t=")[1]
    async with httpx.AsyncClient(timeout=15) as client:
        return await client.post(
            f"{base}/api/shop/orders/{order['order_no']}/pay",
            params={"t": token},
            json={"phone": order["phone"], "method": method},
        )


async def pay_at_alipay(redirect_url: str) -> None:
    """Follow the pay URL to the sandbox cashier and press 确认付款, as the buyer's phone would."""
    async with httpx.AsyncClient(timeout=15, follow_redirects=True) as client:
        cashier = await client.get(redirect_url, headers={"user-agent": "Mozilla/5.0 (iPhone) Mobile"})
        assert cashier.status_code == 200, cashier.text[:500]
        action = re.search(r'<form method="post" action="([^"]+)"', cashier.text).group(1)  # type: ignore[union-attr]
        paid = await client.post(
            str(cashier.url.join(action)),
            data={"action": "pay"},
            headers={"x-csrftoken": client.cookies.get("caoyuan_csrf", "")},
            follow_redirects=False,
        )
    assert paid.status_code in (200, 303), paid.text[:500]


async def order_row(db: Database, order_no: str) -> Order:
    async with db.session() as s:
        order = await s.scalar(sa.select(Order).where(Order.public_no == order_no))
    assert order is not None
    return order


async def settled_counts(db: Database, order: Order) -> tuple[int, int]:
    """(payments recorded as applied, books postings) for one order."""
    async with db.session() as s:
        payments = await s.scalar(
            sa.select(sa.func.count())
            .select_from(PaymentAttempt)
            .where(PaymentAttempt.order_id == order.id, PaymentAttempt.outcome == "paid")
        )
        postings = await s.scalar(
            sa.select(sa.func.count()).select_from(Posting).where(Posting.reference == f"shop-order:{order.id}:paid")
        )
    return payments or 0, postings or 0


async def backdate(db: Database, order_nos: list[str]) -> None:
    """The outage lasted a few minutes: the orders are past the reconciler's quiet period."""
    async with db.session() as s:
        await s.execute(
            sa.update(Order).where(Order.public_no.in_(order_nos)).values(created_at=utcnow() - timedelta(minutes=3))
        )


async def test_alipay_unreachable_orders_wait_and_the_reconciler_settles_them(
    payments: Payments, db, make_user
) -> None:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user, shelf_qty=10)
    # Alipay cannot reach us either while the link is down: its notifies go nowhere (a dead port).
    payments.start_both(notify_url=f"http://127.0.0.1:{free_port()}/pay/alipay/notify")
    before = [await place(payments.shop, sc, f"1370000{i:04d}") for i in range(2)]
    urls = []
    for order in before:
        answer = await pay_step(payments.shop, order)
        assert answer.status_code == 200, answer.text
        urls.append(answer.json()["redirect_url"])
    for url in urls:  # both buyers pay at Alipay …
        await pay_at_alipay(url)
    payments.kill("alipay")  # … and then Alipay drops off the network, before any notify got through

    during = [await place(payments.shop, sc, f"1370001{i:04d}") for i in range(3)]  # orders still taken
    for order in during:
        answer = await pay_step(payments.shop, order, "qr")  # precreate: the node must reach Alipay
        assert answer.status_code == 502, answer.text  # a clear "cannot reach Alipay", never a 500
        assert answer.json()["message"] == "暂时无法连接支付宝，请稍后再试"
    everyone = [o["order_no"] for o in before + during]
    await backdate(db, everyone)
    async with payments.gateway() as gateway:
        assert await reconcile(db, gateway) == 0  # a round during the outage: queries fail, nothing changes
    async with db.session() as s:
        trades = await s.scalar(
            sa.select(sa.func.count()).select_from(SandboxTrade).where(SandboxTrade.out_trade_no.in_(everyone))
        )
    assert trades == 2  # the failed pay steps opened no trade at Alipay
    for order_no in everyone:
        order = await order_row(db, order_no)
        assert (order.status, order.trade_no) == ("pending_payment", "")
        assert await settled_counts(db, order) == (0, 0)

    payments.start_alipay()  # Alipay is back
    async with payments.gateway() as gateway:
        rounds = await asyncio.gather(reconcile(db, gateway), reconcile(db, gateway))  # two nodes' rounds at once
        assert sum(rounds) == 2
        assert await reconcile(db, gateway) == 0  # a later round finds nothing left to do
    for order in before:
        row = await order_row(db, order["order_no"])
        assert row.status == "paid" and row.trade_no
        assert await settled_counts(db, row) == (1, 1)  # paid once, posted to the books once
    for order in during:
        row = await order_row(db, order["order_no"])
        assert row.status == "pending_payment"  # never paid: still waiting, not lost
        assert await settled_counts(db, row) == (0, 0)
    retry = await pay_step(payments.shop, during[0], "qr")  # and the buyer's retry of the pay step now works
    assert retry.status_code == 200 and retry.json()["qr_code"], retry.text


async def notify_state(db: Database, order_no: str) -> tuple[str, int]:
    async with db.session() as s:
        row = (
            await s.execute(
                sa.select(SandboxTrade.notify_status, SandboxTrade.notify_attempts).where(
                    SandboxTrade.out_trade_no == order_no
                )
            )
        ).one()
    return row.notify_status, row.notify_attempts


async def until(check, seconds: float) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(seconds):
        while not await check():
            await asyncio.sleep(0.3)


async def test_notifies_missed_while_the_node_is_down_are_not_lost(payments: Payments, db, make_user) -> None:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user, shelf_qty=10)
    payments.start_both()
    first, second = [await place(payments.shop, sc, f"1370002{i:04d}") for i in range(2)]
    urls = []
    for order in (first, second):
        answer = await pay_step(payments.shop, order)
        assert answer.status_code == 200, answer.text
        urls.append(answer.json()["redirect_url"])

    # 1. The shop node is down when the buyer pays: Alipay's first notify fails; it tries again later,
    #    and a retry after the node is back settles the order.
    payments.kill("shop")
    await pay_at_alipay(urls[0])

    async def first_try_failed() -> bool:
        return await notify_state(db, first["order_no"]) >= ("pending", 1)

    await until(first_try_failed, 10)
    payments.start_shop()

    async def first_paid() -> bool:
        return (await order_row(db, first["order_no"])).status == "paid"

    await until(first_paid, 58)  # the sandbox retries every 2 s for 58 s (NOTIFY_DELAYS)
    status, attempts = await notify_state(db, first["order_no"])
    assert status == "delivered" and attempts >= 2
    assert await settled_counts(db, await order_row(db, first["order_no"])) == (1, 1)

    # 2. Worse: the node is down and then the sandbox itself dies, taking its in-memory retries with it.
    #    The trade it holds is paid; the restarted node's reconciler asks for it and settles the order.
    payments.kill("shop")
    await pay_at_alipay(urls[1])

    async def second_try_failed() -> bool:
        return await notify_state(db, second["order_no"]) >= ("pending", 1)

    await until(second_try_failed, 10)
    payments.kill("alipay")
    assert (await order_row(db, second["order_no"])).status == "pending_payment"
    await backdate(db, [second["order_no"]])  # both were down for minutes: past the quiet period
    payments.start_alipay()  # first: the shop's reconciler asks it as soon as the shop starts
    payments.start_shop(background=True)  # its reconciler's first round runs as it starts

    async def second_paid() -> bool:
        return (await order_row(db, second["order_no"])).status == "paid"

    await until(second_paid, 60)
    assert (await notify_state(db, second["order_no"]))[0] == "pending"  # the retry really was lost
    row = await order_row(db, second["order_no"])
    assert row.trade_no and await settled_counts(db, row) == (1, 1)
    assert await settled_counts(db, await order_row(db, first["order_no"])) == (1, 1)
