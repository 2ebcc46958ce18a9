"""The async Alipay gateway client: build requests with alipay-sdk-python, sign with OpenSSL, send with httpx.

The SDK's request and model classes produce the method name, version and ``biz_content`` exactly as
Alipay expects; the common parameters and the RSA2 signature are added here (off the event loop), and
the answer's signature is checked with Alipay's public key before anything in it is believed.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx
from alipay.aop.api.domain.AlipayTradeCloseModel import AlipayTradeCloseModel
from alipay.aop.api.domain.AlipayTradePrecreateModel import AlipayTradePrecreateModel
from alipay.aop.api.domain.AlipayTradeQueryModel import AlipayTradeQueryModel
from alipay.aop.api.domain.AlipayTradeRefundModel import AlipayTradeRefundModel
from alipay.aop.api.domain.AlipayTradeWapPayModel import AlipayTradeWapPayModel
from alipay.aop.api.request.AlipayTradeCloseRequest import AlipayTradeCloseRequest
from alipay.aop.api.request.AlipayTradePrecreateRequest import AlipayTradePrecreateRequest
from alipay.aop.api.request.AlipayTradeQueryRequest import AlipayTradeQueryRequest
from alipay.aop.api.request.AlipayTradeRefundRequest import AlipayTradeRefundRequest
from alipay.aop.api.request.AlipayTradeWapPayRequest import AlipayTradeWapPayRequest

from caoyuan.db import utcnow
from caoyuan.errors import AppError, KernelCode
from caoyuan.money import MoneyError
from caoyuan.payments import signing
from caoyuan.payments.amounts import alipay_time, fen_from_text, parse_alipay_time, yuan_text
from caoyuan.payments.settings import PaymentConfig
from caoyuan.web.metrics import observe_alipay

log = logging.getLogger("caoyuan.payments")

SUCCESS = "10000"
BUSINESS_FAILED = "40004"
_FORM = {"content-type": "application/x-www-form-urlencoded;charset=utf-8"}
PAID_STATUSES = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})
# The metric's outcome label for our own failure codes (Alipay's refusals are "refused").
_OUTCOMES = {
    "GATEWAY_UNREACHABLE": "unreachable",
    "GATEWAY_HTTP_ERROR": "http_error",
    "BAD_RESPONSE": "bad_response",
    "BAD_RESPONSE_SIGNATURE": "bad_signature",
}
NOT_EXIST = "TRADE_NOT_EXIST"  # query's status when Alipay has no such trade (QR never scanned, URL never opened)


class PaymentError(AppError):
    """Alipay said no, or could not be reached; ``sub_code``/``sub_msg`` are Alipay's own words.

    A business refusal (Alipay code 40004: already paid, refund too large…) is a 409; anything else
    (unreachable, bad answer, our own misconfiguration) is a 502.
    """

    status = 502
    code = KernelCode.PAYMENT_FAILED

    def __init__(self, message: str, *, sub_code: str = "", sub_msg: str = "", gateway_code: str = "") -> None:
        super().__init__(
            message,
            extra={"sub_code": sub_code} if sub_code else None,
            status=409 if gateway_code == BUSINESS_FAILED else None,
        )
        self.sub_code = sub_code
        self.sub_msg = sub_msg
        self.gateway_code = gateway_code


@dataclass(frozen=True, slots=True)
class TradeQuery:
    out_trade_no: str
    status: str  # WAIT_BUYER_PAY, TRADE_CLOSED, TRADE_SUCCESS, TRADE_FINISHED, or TRADE_NOT_EXIST
    total_fen: int | None = None
    trade_no: str | None = None
    paid_at: datetime | None = None
    buyer_id: str | None = None

    @property
    def paid(self) -> bool:
        return self.status in PAID_STATUSES


@dataclass(frozen=True, slots=True)
class RefundResult:
    out_trade_no: str
    trade_no: str
    out_request_no: str
    refunded_fen_total: int  # everything refunded on this trade so far (Alipay's refund_fee)
    fund_change: bool  # False when this out_request_no had already been refunded (a safe retry)


class AlipayGateway:
    """One per process (see :func:`gateway_for`). ``transport`` routes requests elsewhere (tests, sandbox)."""

    def __init__(self, config: PaymentConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        if not config.enabled or config.app_private_key is None or config.alipay_public_key is None:
            raise PaymentError("在线支付未开启（CAOYUAN_PAYMENTS=off）", sub_code="PAYMENTS_OFF")
        self.config = config
        self._http = httpx.AsyncClient(transport=transport, timeout=config.timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AlipayGateway:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------ creating payments

    async def precreate(
        self, out_trade_no: str, total_fen: int, subject: str, *, expires_at: datetime | None = None
    ) -> str:
        """Face-to-face QR (a computer shows it, a phone scans it): returns the ``qr_code`` text."""
        model = AlipayTradePrecreateModel()
        _fill_order(model, out_trade_no, total_fen, subject, expires_at)
        request = AlipayTradePrecreateRequest(biz_model=model)
        request.notify_url = self.config.notify_url
        body = await self._call(request)
        if body.get("out_trade_no") != out_trade_no or not body.get("qr_code"):
            raise PaymentError("支付宝预下单应答不完整", sub_code="BAD_RESPONSE")
        return body["qr_code"]

    async def wap_pay_url(
        self,
        out_trade_no: str,
        total_fen: int,
        subject: str,
        return_url: str | None = None,
        *,
        expires_at: datetime | None = None,
        quit_url: str | None = None,
    ) -> str:
        """Phone-browser payment: a signed GET URL to redirect the buyer to (no network call here)."""
        model = AlipayTradeWapPayModel()
        _fill_order(model, out_trade_no, total_fen, subject, expires_at)
        model.product_code = "QUICK_WAP_WAY"
        if quit_url:
            model.quit_url = quit_url
        request = AlipayTradeWapPayRequest(biz_model=model)
        request.notify_url = self.config.notify_url
        if return_url or self.config.return_url:
            request.return_url = return_url or self.config.return_url
        params = await self._signed(request)
        return f"{_strip_query(self.config.gateway_url)}?{urlencode(params)}"

    # ------------------------------------------------------------ after the fact

    async def query(self, out_trade_no: str) -> TradeQuery:
        """The trade's state at Alipay (for the reconciler); TRADE_NOT_EXIST when Alipay never saw it."""
        model = AlipayTradeQueryModel()
        model.out_trade_no = out_trade_no
        try:
            body = await self._call(AlipayTradeQueryRequest(biz_model=model))
        except PaymentError as exc:
            if exc.sub_code == "ACQ.TRADE_NOT_EXIST":
                return TradeQuery(out_trade_no, NOT_EXIST)
            raise
        return TradeQuery(
            out_trade_no=body.get("out_trade_no", out_trade_no),
            status=body.get("trade_status", ""),
            total_fen=_fen(body.get("total_amount")),
            trade_no=body.get("trade_no"),
            paid_at=parse_alipay_time(body.get("send_pay_date")),
            buyer_id=body.get("buyer_user_id"),
        )

    async def refund(self, out_trade_no: str, refund_fen: int, out_request_no: str, reason: str = "") -> RefundResult:
        """Refund part or all of a paid trade. Retrying with the same ``out_request_no`` never pays twice."""
        _check_fen(refund_fen)
        model = AlipayTradeRefundModel()
        model.out_trade_no = out_trade_no
        model.refund_amount = yuan_text(refund_fen)
        model.out_request_no = out_request_no
        if reason:
            model.refund_reason = reason
        body = await self._call(AlipayTradeRefundRequest(biz_model=model))
        total = _fen(body.get("refund_fee"))
        if total is None:
            raise PaymentError("支付宝退款应答缺少 refund_fee", sub_code="BAD_RESPONSE")
        return RefundResult(
            out_trade_no=body.get("out_trade_no", out_trade_no),
            trade_no=body.get("trade_no", ""),
            out_request_no=out_request_no,
            refunded_fen_total=total,
            fund_change=body.get("fund_change") == "Y",
        )

    async def close(self, out_trade_no: str) -> None:
        """Close an unpaid trade (order expired). A trade Alipay never saw needs no closing.

        Raises PaymentError (sub_code ACQ.TRADE_STATUS_ERROR) when the buyer has already paid: then
        the order must be honoured or refunded, not expired.
        """
        model = AlipayTradeCloseModel()
        model.out_trade_no = out_trade_no
        try:
            await self._call(AlipayTradeCloseRequest(biz_model=model))
        except PaymentError as exc:
            if exc.sub_code != "ACQ.TRADE_NOT_EXIST":
                raise

    # ------------------------------------------------------------ protocol

    async def _signed(self, request: Any) -> dict[str, str]:
        """The SDK's parameters plus the common ones, signed (RSA2) in the crypto pool."""
        params: dict[str, str] = {k: v for k, v in request.get_params().items() if isinstance(v, str) and v}
        params.update(
            app_id=self.config.app_id,
            charset="utf-8",
            format="JSON",
            sign_type="RSA2",
            timestamp=alipay_time(utcnow()),
            version=params.get("version") or "1.0",
        )
        assert self.config.app_private_key is not None
        params["sign"] = await signing.sign_params(self.config.app_private_key, params)
        return params

    async def _call(self, request: Any) -> dict[str, Any]:
        params = await self._signed(request)
        method = params["method"]
        started, outcome = time.perf_counter(), "error"
        try:
            body = await self._send(method, params)
            outcome = "ok"
            return body
        except PaymentError as exc:
            outcome = _OUTCOMES.get(exc.sub_code, "refused" if exc.gateway_code == BUSINESS_FAILED else "failed")
            raise
        finally:
            observe_alipay(method, outcome, time.perf_counter() - started)

    async def _send(self, method: str, params: dict[str, str]) -> dict[str, Any]:
        # Everything goes in the form body (Alipay reads both; a long signed query string costs httpx
        # more to parse than the signature costs to make). The charset stays in the URL, where the
        # gateway looks for it before decoding the body.
        url = f"{_strip_query(self.config.gateway_url)}?charset=utf-8"
        try:
            response = await self._http.post(url, content=urlencode(params).encode("ascii"), headers=_FORM)
        except httpx.HTTPError as exc:
            log.warning("alipay %s: gateway unreachable: %s", method, exc)
            raise PaymentError("暂时无法连接支付宝，请稍后再试", sub_code="GATEWAY_UNREACHABLE") from exc
        if response.status_code != 200:
            raise PaymentError(f"支付宝网关返回 HTTP {response.status_code}", sub_code="GATEWAY_HTTP_ERROR")
        return await self._checked_body(method, response.content.decode("utf-8", errors="replace"))

    async def _checked_body(self, method: str, text: str) -> dict[str, Any]:
        try:
            raw, sign, _key = signing.split_response(text, method)
            body = json.loads(raw)
        except (signing.ResponseShapeError, json.JSONDecodeError) as exc:
            raise PaymentError("支付宝应答格式不对", sub_code="BAD_RESPONSE") from exc
        signed_ok = sign is not None and await signing.verify(self.config.alipay_public_key, raw, sign)  # type: ignore[arg-type]
        if body.get("code") == SUCCESS and not signed_ok:
            # Never believe a success we cannot verify: it could move money on a forged answer.
            raise PaymentError("支付宝应答签名无效", sub_code="BAD_RESPONSE_SIGNATURE")
        if body.get("code") != SUCCESS:
            sub_code, sub_msg = body.get("sub_code", ""), body.get("sub_msg", "") or body.get("msg", "")
            log.info("alipay %s refused: %s %s %s", method, body.get("code"), sub_code, sub_msg)
            raise PaymentError(
                f"支付宝：{sub_msg or '请求失败'}（{sub_code or body.get('code')}）",
                sub_code=sub_code,
                sub_msg=sub_msg,
                gateway_code=str(body.get("code", "")),
            )
        return body


def _fill_order(model: Any, out_trade_no: str, total_fen: int, subject: str, expires_at: datetime | None) -> None:
    _check_fen(total_fen)
    if not out_trade_no or len(out_trade_no) > 64:
        raise ValueError("out_trade_no must be 1–64 characters")
    model.out_trade_no = out_trade_no
    model.total_amount = yuan_text(total_fen)
    model.subject = subject[:256]
    if expires_at is not None:
        model.time_expire = alipay_time(expires_at)


def _check_fen(fen: int) -> None:
    if not isinstance(fen, int) or isinstance(fen, bool) or fen <= 0:
        raise ValueError("amount must be a positive integer number of fen")


def _fen(text: object) -> int | None:
    if not isinstance(text, str):
        return None
    try:
        return fen_from_text(text)
    except MoneyError:
        return None


def _strip_query(url: str) -> str:
    return url.split("?", 1)[0]


# ---------------------------------------------------------------- one gateway per app

_STATE_KEY = "caoyuan_alipay_gateway"


def gateway_for(app: Any) -> AlipayGateway:
    """The app's gateway, made on first use.

    In sandbox mode the gateway lives inside this same app, so requests go to it in-process
    (``httpx.ASGITransport``): no loopback HTTP, and it works behind any proxy or in tests.
    """
    gateway = app.state.get(_STATE_KEY)
    if gateway is None:
        from caoyuan.payments.settings import get_payment_config

        config = get_payment_config(app.state.settings)
        transport = None
        if config.mode == "sandbox" and config.gateway_url.startswith(config.public_base_url + "/"):
            transport = httpx.ASGITransport(app=app)
        gateway = AlipayGateway(config, transport=transport)
        app.state[_STATE_KEY] = gateway
    return gateway


async def close_gateway(app: Any) -> None:
    """At shutdown: close the gateway's HTTP client (its pooled connections), if one was made."""
    gateway = app.state.get(_STATE_KEY)
    if gateway is not None:
        del app.state[_STATE_KEY]
        await gateway.aclose()
