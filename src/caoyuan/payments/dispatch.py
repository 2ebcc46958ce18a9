"""POST /pay/alipay/notify: one verified notify, handed to the domain that owns its out_trade_no.

Domains register ``Domain.payment_handlers = {"CY": "storefront.payments:on_alipay_paid"}``: an
out_trade_no prefix → a dotted ``module:function``. The handler gets the request's session, the
verified :class:`PaymentNotice` (always a paid status) and the :class:`NotifyContext` (the database and
the gateway), and either returns (settled, a duplicate, or nothing to do: Alipay gets ``success``) or
raises :class:`caoyuan.errors.AppError` (Alipay gets ``failure`` with HTTP 400 and retries). A handler
that must call Alipay once its work is committed (a refund) registers it with
:func:`caoyuan.db.after_commit`; the dispatcher commits, which runs it, then answers.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from litestar import Request, Response, post
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import Database, commit
from caoyuan.deps import AppDatabase, Db
from caoyuan.domains import installed_domains
from caoyuan.errors import AppError
from caoyuan.payments.client import AlipayGateway, gateway_for
from caoyuan.payments.notify import ANSWER_OK, ANSWER_RETRY, NotifyRejected, PaymentNotice, verify_notify
from caoyuan.payments.settings import NOTIFY_PATH

log = logging.getLogger("caoyuan.payments.dispatch")


@dataclass(frozen=True)
class NotifyContext:
    """What a handler may need for work after the commit (a refund manages its own sessions)."""

    database: Database
    gateway: AlipayGateway


Handler = Callable[[AsyncSession, PaymentNotice, NotifyContext], Awaitable[None]]


def registered_handlers() -> dict[str, str]:
    """Every installed domain's prefix → handler path; a prefix claimed twice is a packaging error."""
    found: dict[str, str] = {}
    for domain in installed_domains():
        for prefix, target in domain.payment_handlers.items():
            if prefix in found and found[prefix] != target:
                raise RuntimeError(f"out_trade_no prefix {prefix!r} is claimed by two handlers")
            found[prefix] = target
    return found


def handler_path_for(out_trade_no: str, handlers: Iterable[tuple[str, str]]) -> str | None:
    """The handler of the longest prefix that out_trade_no starts with (so "CYX" can sit beside "CY")."""
    matching = [(prefix, target) for prefix, target in handlers if prefix and out_trade_no.startswith(prefix)]
    return max(matching, key=lambda pair: len(pair[0]))[1] if matching else None


@lru_cache(maxsize=64)
def load_handler(path: str) -> Handler:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def find_handler(out_trade_no: str) -> Handler | None:
    path = handler_path_for(out_trade_no, registered_handlers().items())
    return load_handler(path) if path else None


@post(NOTIFY_PATH, status_code=200, summary="支付宝异步通知（RSA2 验签，按订单号前缀交给业务）", tags=["payments"])
async def alipay_notify(request: Request, db: Db, database: AppDatabase) -> Response[str]:
    params = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    gateway = gateway_for(request.app)
    try:
        notice = await verify_notify(params, gateway.config)
    except NotifyRejected as exc:
        return reply(ANSWER_RETRY, 400, exc.reason)
    if not notice.paid:
        return reply(ANSWER_OK)  # WAIT_BUYER_PAY / TRADE_CLOSED: nothing to do
    handler = find_handler(notice.out_trade_no)
    if handler is None:
        log.warning("notify for unknown out_trade_no %s", notice.out_trade_no)
        return reply(ANSWER_RETRY, 400, "unknown_prefix")
    try:
        await handler(db, notice, NotifyContext(database, gateway))
    except AppError as exc:
        await db.rollback()
        return reply(ANSWER_RETRY, 400, exc.code)
    await commit(db)  # and its after-commit work, e.g. a refund: Alipay is called only after our commit
    return reply(ANSWER_OK)


def reply(text: str, status: int = 200, reason: str = "") -> Response[str]:
    headers = {"x-notify-reason": reason} if reason else None
    return Response(text, status_code=status, media_type="text/plain", headers=headers)
