"""Kernel payments: Alipay (支付宝) through alipay-sdk-python, signed with OpenSSL, plus an in-project sandbox.

Public API (everything a domain needs)::

    from caoyuan.payments import gateway_for, verify_notify, NotifyRejected, PaymentError, qr_svg

    gateway = gateway_for(request.app)          # one AlipayGateway per app (sandbox: in-process)
    qr_code = await gateway.precreate(out_trade_no, total_fen, subject, expires_at=...)   # computer: show QR
    svg = qr_svg(qr_code)                       # inline SVG for the page
    url = await gateway.wap_pay_url(out_trade_no, total_fen, subject, return_url, expires_at=...)  # phone
    trade = await gateway.query(out_trade_no)   # TradeQuery(status, total_fen, trade_no, paid_at); .paid
    result = await gateway.refund(out_trade_no, refund_fen, out_request_no, reason)  # RefundResult
    await gateway.close(out_trade_no)           # unpaid trade expired; PaymentError if already paid

    notice = await verify_notify(form, settings)  # PaymentNotice, or raises NotifyRejected
    # caller: match notice.out_trade_no / notice.total_fen to the order, act only if notice.paid
    # (TRADE_SUCCESS / TRADE_FINISHED), idempotently, then answer the plain text "success".

Amounts are int fen throughout; Alipay's "12.34" text is made and read with caoyuan.money.
Mode: ``CAOYUAN_PAYMENTS`` = sandbox (default) | alipay | off; Alipay settings: ``CAOYUAN_ALIPAY_*``
(see :mod:`caoyuan.payments.settings`). RSA runs in a small thread pool, never on the event loop.
Do not hold a database write transaction open across a gateway call (on SQLite the sandbox would
wait for your lock): commit the order first, then call Alipay.
"""

from caoyuan.payments.client import (
    NOT_EXIST,
    PAID_STATUSES,
    AlipayGateway,
    PaymentError,
    RefundResult,
    TradeQuery,
    gateway_for,
    provide_gateway,
)
from caoyuan.payments.notify import ANSWER_OK, ANSWER_RETRY, NotifyRejected, PaymentNotice, qr_svg, verify_notify
from caoyuan.payments.settings import AlipaySettings, PaymentConfig, get_payment_config, load_payment_config

__all__ = [
    "ANSWER_OK",
    "ANSWER_RETRY",
    "NOT_EXIST",
    "PAID_STATUSES",
    "AlipayGateway",
    "AlipaySettings",
    "NotifyRejected",
    "PaymentConfig",
    "PaymentError",
    "PaymentNotice",
    "RefundResult",
    "TradeQuery",
    "gateway_for",
    "get_payment_config",
    "load_payment_config",
    "provide_gateway",
    "qr_svg",
    "verify_notify",
]
