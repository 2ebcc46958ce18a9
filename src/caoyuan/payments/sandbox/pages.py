"""The sandbox cashier: the page a scanned QR code or a WAP link opens, with 确认付款 / 取消.

It stands in for Alipay's own site, so it has its own plain layout rather than Caoyuan's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect
from litestar.utils.scope.state import ScopeState

from caoyuan.db import utcnow
from caoyuan.deps import AppDatabase, AppSettings, Db
from caoyuan.errors import NotFound
from caoyuan.money import format_fen
from caoyuan.payments.notify import qr_svg
from caoyuan.payments.sandbox import trades
from caoyuan.payments.sandbox.delivery import return_params, sandbox_runtime
from caoyuan.payments.sandbox.protocol import PayTicket, decode_ticket
from caoyuan.payments.settings import SANDBOX_PATH, PaymentConfig, get_payment_config
from caoyuan.settings import Settings

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)
_templates.filters["fen"] = format_fen


def sandbox_config(settings: Settings) -> PaymentConfig:
    config = get_payment_config(settings)
    if config.mode != "sandbox" or config.sandbox is None:
        raise NotFound("支付宝沙箱未开启（CAOYUAN_PAYMENTS=sandbox 时才有）")
    return config


def ticket_key(config: PaymentConfig) -> bytes:
    assert config.sandbox is not None and config.sandbox.ticket_key
    return config.sandbox.ticket_key


def render_result(request: Request, state: str, *, status: int = 200, **context: Any) -> Response:
    csrf = ScopeState.from_scope(request.scope).csrf_token
    html = _templates.get_template("cashier.html").render(state=state, csrf_token=csrf or "", **context)
    return Response(html, status_code=status, media_type=MediaType.HTML)


class SandboxCashier(Controller):
    path = "/pay"
    include_in_schema = False

    @get("/{token:str}")
    async def show(self, request: Request, db: Db, settings: AppSettings, token: FromPath[str]) -> Response:
        config = sandbox_config(settings)
        ticket = decode_ticket(token, ticket_key(config))
        if ticket is None:
            return render_result(request, "invalid", status=404)
        trade = await trades.open_from_ticket(db, ticket, utcnow())
        return _page(request, config, ticket, trade, token)

    @post("/{token:str}", status_code=200)
    async def act(
        self,
        request: Request,
        db: Db,
        database: AppDatabase,
        settings: AppSettings,
        token: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response:
        config = sandbox_config(settings)
        ticket = decode_ticket(token, ticket_key(config))
        if ticket is None:
            return render_result(request, "invalid", status=404)
        now = utcnow()
        trade = await trades.open_from_ticket(db, ticket, now)
        if data.get("action") != "pay" or trade is None:
            return render_result(request, "cancelled" if trade else "expired", ticket=ticket)
        if not _same_order(trade, ticket) or not await trades.pay(db, trade, now):
            return _page(request, config, ticket, await trades.find(db, ticket.a, ticket.o), token)
        await db.commit()  # the notify must find the paid trade in the database
        trade = await trades.find(db, ticket.a, ticket.o)
        assert trade is not None and trade.id is not None
        if trade.notify_url:
            sandbox_runtime(request.app).deliver_later(database, config, trade.id)
        if trade.return_url:
            params = await return_params(trade, config, now)
            joiner = "&" if "?" in trade.return_url else "?"
            return Redirect(f"{trade.return_url}{joiner}{urlencode(params)}", status_code=303)
        return render_result(request, "paid", ticket=ticket, trade=trade)


def _page(
    request: Request, config: PaymentConfig, ticket: PayTicket, trade: trades.SandboxTrade | None, token: str
) -> Response:
    if trade is None:
        return render_result(request, "expired", status=410, ticket=ticket)
    if trade.status == trades.CLOSED:
        return render_result(request, "closed", ticket=ticket, trade=trade)
    if trade.status != trades.WAITING:
        return render_result(request, "paid", ticket=ticket, trade=trade)
    if not _same_order(trade, ticket):
        return render_result(request, "error", status=409, message="交易信息不一致：同一订单号的金额变了")
    url = f"{config.public_base_url}{SANDBOX_PATH}/pay/{token}"
    return render_result(
        request,
        "pay",
        ticket=ticket,
        trade=trade,
        action=f"{SANDBOX_PATH}/pay/{token}",
        qr=qr_svg(url, title="用手机扫码付款"),
    )


def _same_order(trade: trades.SandboxTrade, ticket: PayTicket) -> bool:
    """An older code for the same order number at another amount must not pay this trade."""
    return trade.total_fen == trades.fen_from_text(ticket.t)
