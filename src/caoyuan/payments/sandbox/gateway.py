"""``gateway.do``: the pretend Alipay's one endpoint, speaking Alipay's request and response protocol."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from litestar import Controller, HttpMethod, Request, Response, route
from litestar.response import Redirect

from caoyuan.db import utcnow
from caoyuan.deps import AppSettings, Db
from caoyuan.payments import signing
from caoyuan.payments.amounts import ALIPAY_TIME, yuan_text
from caoyuan.payments.sandbox import trades
from caoyuan.payments.sandbox.pages import render_result, sandbox_config, ticket_key
from caoyuan.payments.sandbox.protocol import PayTicket, Refusal, encode_ticket, expiry, invalid, missing
from caoyuan.payments.settings import SANDBOX_PATH, PaymentConfig

REQUIRED = ("app_id", "method", "charset", "sign_type", "timestamp", "version", "sign")
MERCHANT_METHODS = {
    "alipay.trade.query": trades.query,
    "alipay.trade.refund": trades.refund,
    "alipay.trade.close": trades.close,
}


class SandboxGateway(Controller):
    include_in_schema = False

    @route(
        "/gateway.do", http_method=[HttpMethod.GET, HttpMethod.POST], status_code=200, opt={"exclude_from_csrf": True}
    )
    async def gateway(self, request: Request, db: Db, settings: AppSettings) -> Response:
        config = sandbox_config(settings)
        params = await _params(request)
        method = params.get("method", "")
        now = utcnow()
        try:
            biz = await _checked(config, params, now)
            if method == "alipay.trade.wap.pay":
                return Redirect(await _wap_pay(db, config, params, biz, now), status_code=303)
            if method == "alipay.trade.precreate":
                body = await _precreate(db, config, params, biz, now)
            elif method in MERCHANT_METHODS:
                body = await MERCHANT_METHODS[method](db, config.app_id, biz, now)
            else:
                raise invalid("isv.invalid-method", "不存在的方法名")
        except Refusal as refusal:
            await db.rollback()  # a refused call changes nothing
            if method == "alipay.trade.wap.pay":  # the buyer's browser is here: show a page, not JSON
                return render_result(request, "error", status=400, message=f"{refusal.sub_msg}（{refusal.sub_code}）")
            known = method in MERCHANT_METHODS or method == "alipay.trade.precreate"
            return await _answer(config, method if known else "error", refusal.body())  # error → error_response
        return await _answer(config, method, body)


async def _params(request: Request) -> dict[str, str]:
    """Query string and form body together (the SDK puts common parameters in one, biz_content in the other)."""
    params = dict(parse_qsl(request.scope["query_string"].decode("ascii", "replace"), keep_blank_values=True))
    if request.method == "POST":
        body = (await request.body()).decode("utf-8", "replace")
        params.update(parse_qsl(body, keep_blank_values=True))
    return params


async def _checked(config: PaymentConfig, params: dict[str, str], now: datetime) -> dict[str, Any]:
    for name in REQUIRED:
        if not params.get(name):
            raise missing(name)
    if params["app_id"] != config.app_id:
        raise invalid("isv.invalid-app-id", "无效的AppID参数")
    if params["sign_type"] != "RSA2":
        raise invalid("isv.invalid-signature-type", "无效的签名类型")
    if params["charset"].lower() != "utf-8":
        raise invalid("isv.invalid-charset", "字符集错误")
    try:
        datetime.strptime(params["timestamp"], ALIPAY_TIME)
    except ValueError:
        raise invalid("isv.invalid-timestamp", "非法的时间戳参数") from None
    assert config.sandbox is not None
    if not await signing.verify_params(config.sandbox.app_public_key, params):
        raise invalid("isv.invalid-signature", "验签出错，请检查签名字符串或签名私钥与应用公钥是否匹配")
    try:
        biz = json.loads(params.get("biz_content") or "null")
    except json.JSONDecodeError:
        biz = None
    if not isinstance(biz, dict):
        raise missing("biz_content")
    return biz


async def _ticket(
    db: Db, config: PaymentConfig, params: dict[str, str], biz: dict[str, Any], now: datetime, product: str
) -> str:
    """Check an order and hand back the pay page's address for it (the trade is made when it is opened)."""
    out_trade_no = trades.out_trade_no_of(biz)
    total_fen = trades.amount_of(biz, "total_amount")
    subject = trades.subject_of(biz)
    closes = expiry(biz, now)
    await trades.check_can_create(db, config.app_id, out_trade_no, total_fen, now)
    ticket = PayTicket(
        a=config.app_id,
        o=out_trade_no,
        t=yuan_text(total_fen),
        s=subject,
        n=params.get("notify_url", ""),
        r=params.get("return_url", ""),
        x=int(closes.timestamp()),
        p=product,
    )
    return f"{config.public_base_url}{SANDBOX_PATH}/pay/{encode_ticket(ticket, ticket_key(config))}"


async def _precreate(
    db: Db, config: PaymentConfig, params: dict[str, str], biz: dict[str, Any], now: datetime
) -> dict[str, str]:
    qr_code = await _ticket(db, config, params, biz, now, "QR")
    return {"code": "10000", "msg": "Success", "out_trade_no": biz["out_trade_no"], "qr_code": qr_code}


async def _wap_pay(db: Db, config: PaymentConfig, params: dict[str, str], biz: dict[str, Any], now: datetime) -> str:
    if biz.get("product_code", "QUICK_WAP_WAY") != "QUICK_WAP_WAY":
        raise invalid("isv.invalid-parameter", "product_code 应为 QUICK_WAP_WAY")
    return await _ticket(db, config, params, biz, now, "WAP")


async def _answer(config: PaymentConfig, method: str, body: dict[str, str]) -> Response:
    """``{"<method>_response": {...}, "sign": "..."}``, signed over the body's exact text."""
    assert config.sandbox is not None
    signature = await signing.sign(config.sandbox.alipay_private_key, signing.response_content(body))
    return Response(signing.signed_response(method, body, signature), media_type="application/json; charset=utf-8")
