"""The sandbox's async notify: Alipay's form, signed with its key, POSTed until the merchant says ``success``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import sqlalchemy as sa

from caoyuan.db import Database, utcnow
from caoyuan.payments import signing
from caoyuan.payments.amounts import alipay_time, yuan_text
from caoyuan.payments.sandbox.models import SandboxTrade
from caoyuan.payments.settings import PaymentConfig, get_payment_config

log = logging.getLogger("caoyuan.payments.sandbox")

# (url, form) → the body the merchant answered; raising counts as a failed attempt.
NotifySender = Callable[[str, dict[str, str]], Awaitable[str]]

# Real Alipay retries for 25 hours; the sandbox is bounded: by default 7 tries over about four minutes.
DEFAULT_DELAYS: tuple[float, ...] = (0, 2, 5, 15, 30, 60, 120)


async def notify_form(trade: SandboxTrade, config: PaymentConfig, now: datetime) -> dict[str, str]:
    """The trade_status_sync form, with Alipay's field names, signed without sign/sign_type."""
    assert config.sandbox is not None and trade.paid_at is not None
    form = {
        "notify_time": alipay_time(now),
        "notify_type": "trade_status_sync",
        "notify_id": trade.notify_id,
        "app_id": trade.app_id,
        "auth_app_id": trade.app_id,
        "charset": "utf-8",
        "version": "1.0",
        "sign_type": "RSA2",
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "total_amount": yuan_text(trade.total_fen),
        "receipt_amount": yuan_text(trade.total_fen),
        "buyer_pay_amount": yuan_text(trade.total_fen),
        "buyer_id": trade.buyer_id,
        "seller_id": config.seller_id,
        "trade_status": trade.status,
        "gmt_create": alipay_time(trade.created_at),
        "gmt_payment": alipay_time(trade.paid_at),
        "subject": trade.subject,
    }
    form["sign"] = await signing.sign_params(config.sandbox.alipay_private_key, form, signing.NOTIFY_EXCLUDES)
    return form


async def return_params(trade: SandboxTrade, config: PaymentConfig, now: datetime) -> dict[str, str]:
    """What Alipay appends to return_url when it sends the buyer back (signed like a notify)."""
    assert config.sandbox is not None
    params = {
        "charset": "utf-8",
        "method": "alipay.trade.wap.pay.return",
        "out_trade_no": trade.out_trade_no,
        "trade_no": trade.trade_no,
        "total_amount": yuan_text(trade.total_fen),
        "seller_id": config.seller_id,
        "app_id": trade.app_id,
        "auth_app_id": trade.app_id,
        "version": "1.0",
        "sign_type": "RSA2",
        "timestamp": alipay_time(now),
    }
    params["sign"] = await signing.sign_params(config.sandbox.alipay_private_key, params, signing.NOTIFY_EXCLUDES)
    return params


def http_sender(app: Any, public_base_url: str) -> NotifySender:
    """POST the form. Notify URLs on this same app go in-process; others over the network."""
    local = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), timeout=15)
    remote = httpx.AsyncClient(timeout=15)

    async def send(url: str, form: dict[str, str]) -> str:
        client = local if url.startswith(public_base_url + "/") else remote
        response = await client.post(url, data=form)
        return response.text if response.status_code == 200 else f"HTTP {response.status_code}"

    return send


@dataclass
class SandboxRuntime:
    """Per app: who delivers notifies, how often to retry, and the deliveries still running."""

    send: NotifySender
    delays: Sequence[float] = DEFAULT_DELAYS
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def deliver_later(self, database: Database, config: PaymentConfig, trade_id: int) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(database, config, trade_id))
        self.tasks.add(task)  # held until done, so it is not garbage-collected mid-flight
        task.add_done_callback(self.tasks.discard)

    async def drain(self, within_s: float = 30.0) -> bool:
        """Wait until no delivery is under way; False on timeout. Polls, so it works from any loop
        (Litestar's AsyncTestClient runs the app on a loop of its own)."""
        deadline = asyncio.get_running_loop().time() + within_s
        while self.tasks:
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.005)
        return True

    async def _deliver(self, database: Database, config: PaymentConfig, trade_id: int) -> None:
        delays = list(self.delays)
        for attempt, delay in enumerate(delays, start=1):
            await asyncio.sleep(delay)
            async with database.session() as session:
                trade = await session.get(SandboxTrade, trade_id)
                if trade is None or not trade.notify_url:
                    return
                form = await notify_form(trade, config, utcnow())
            try:
                answer = (await self.send(trade.notify_url, form)).strip()
                error = "" if answer == "success" else f"answered {answer[:80]!r}"
            except Exception as exc:  # noqa: BLE001 - any failure is one failed attempt, retried
                error = f"{type(exc).__name__}: {exc}"[:300]
            last = attempt == len(delays)
            status = "delivered" if not error else ("failed" if last else "pending")
            async with database.session() as session:
                await session.execute(
                    sa.update(SandboxTrade)
                    .where(SandboxTrade.id == trade_id)
                    .values(notify_attempts=attempt, notify_status=status, notify_error=error)
                )
            if not error:
                return
            log.info("sandbox notify %s attempt %d/%d: %s", trade.out_trade_no, attempt, len(delays), error)


_STATE_KEY = "caoyuan_alipay_sandbox"


def sandbox_runtime(app: Any) -> SandboxRuntime:
    """The app's sandbox runtime, made on first use. Tests replace ``.send`` and ``.delays`` on it."""
    runtime = app.state.get(_STATE_KEY)
    if runtime is None:
        settings = app.state.settings
        side = get_payment_config(settings).sandbox
        runtime = SandboxRuntime(
            send=http_sender(app, settings.public_base_url),
            delays=side.notify_delays if side else DEFAULT_DELAYS,  # CAOYUAN_ALIPAY_SANDBOX_NOTIFY_DELAYS
        )
        app.state[_STATE_KEY] = runtime
    return runtime
