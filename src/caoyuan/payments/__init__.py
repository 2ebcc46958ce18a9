"""Kernel payments: Alipay (支付宝) through alipay-sdk-python, signed with OpenSSL, plus an in-project sandbox.

Public API (everything a domain needs)::

    from caoyuan.payments import gateway_for, verify_notify, NotifyRejected, PaymentError, qr_svg

    gateway = gateway_for(request.app)          # one AlipayGateway per app (sandbox: in-process)
    qr_code = await gateway.precreate(out_trade_no, total_fen, subject, expires_at=...)   # computer: show QR
    svg = qr_svg(qr_code)                       # inline SVG for the page
    url = await gateway.wap_pay_url(out_trade_no, total_fen, subject, return_url, expires_at=...)  # phone
    trade = await gateway.query(out_trade_no)   # TradeQuery(status, total_fen, trade_no, paid_at); .paid
                                                # status TRADE_NOT_EXIST: the buyer never opened it
    result = await gateway.refund(out_trade_no, refund_fen, out_request_no, reason)  # RefundResult;
                                                # same out_request_no again → fund_change False
    await gateway.close(out_trade_no)           # unpaid trade expired (never-seen trades are fine);
                                                # PaymentError(sub_code ACQ.TRADE_STATUS_ERROR) if paid

    notice = await verify_notify(form, settings)  # PaymentNotice, or raises NotifyRejected
    # caller: match notice.out_trade_no / notice.total_fen to the order, act only if notice.paid
    # (TRADE_SUCCESS / TRADE_FINISHED), idempotently, then answer the plain text "success".

Every gateway method raises PaymentError (an AppError: 409 for Alipay's business refusals, 502 for
an unreachable or unverifiable gateway) carrying Alipay's ``sub_code`` and ``sub_msg``.
Amounts are int fen throughout; Alipay's "12.34" text is made and read with caoyuan.money.
Mode: ``CAOYUAN_PAYMENTS`` = sandbox (default) | alipay | off; Alipay settings: ``CAOYUAN_ALIPAY_*``
(see :mod:`caoyuan.payments.settings`). RSA runs in a small thread pool, never on the event loop.
Do not hold a database write transaction open across refund/close (on SQLite the sandbox, which
writes its own tables, would wait for your lock): commit first, then call Alipay. Creating a
payment (precreate, wap_pay_url) writes nothing, so it is safe mid-transaction.
"""

from caoyuan.payments.client import (
    NOT_EXIST,
    PAID_STATUSES,
    AlipayGateway,
    PaymentError,
    RefundResult,
    TradeQuery,
    close_gateway,
    gateway_for,
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
    "close_gateway",
    "qr_svg",
    "verify_notify",
]
