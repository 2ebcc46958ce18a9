"""Checking Alipay's async notify, and drawing QR codes for the pay page.

Alipay POSTs the notify form to ``notify_url`` until it reads the plain text ``success``. The check
here proves the form came from Alipay for this merchant; the caller still matches ``out_trade_no``
and ``total_fen`` against its own order, acts only on a paid status, and must be idempotent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import segno

from caoyuan.money import MoneyError
from caoyuan.payments import signing
from caoyuan.payments.amounts import fen_from_text, parse_alipay_time
from caoyuan.payments.client import PAID_STATUSES
from caoyuan.payments.settings import PaymentConfig, get_payment_config
from caoyuan.settings import Settings

ANSWER_OK = "success"  # the exact body Alipay waits for; anything else makes it retry
ANSWER_RETRY = "failure"
# Longest values Alipay documents for the fields we keep (a signed form is still bounded before use).
FIELD_LENGTHS = {
    "out_trade_no": 64,
    "trade_no": 64,
    "trade_status": 32,
    "notify_id": 128,
    "buyer_id": 32,
    "app_id": 32,
    "seller_id": 32,
}


class NotifyRejected(Exception):
    """The notify is not to be believed; ``reason`` is a short code, the message says why."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class PaymentNotice:
    out_trade_no: str
    trade_no: str
    trade_status: str  # WAIT_BUYER_PAY, TRADE_CLOSED, TRADE_SUCCESS, TRADE_FINISHED
    total_fen: int
    app_id: str
    seller_id: str
    notify_id: str
    receipt_fen: int | None = None
    refund_fen: int | None = None  # set on notifies caused by a refund (Alipay's refund_fee)
    buyer_id: str | None = None
    gmt_payment: datetime | None = None
    notify_time: datetime | None = None

    @property
    def paid(self) -> bool:
        """Only these two statuses mean the money arrived."""
        return self.trade_status in PAID_STATUSES


async def verify_notify(params: Mapping[str, str], settings: PaymentConfig | Settings) -> PaymentNotice:
    """Verify the RSA2 signature (Alipay's public key, off the event loop), app_id and seller_id.

    Raises :class:`NotifyRejected` for a missing or wrong signature, another app or seller, or a
    malformed amount. Duplicates verify the same every time: idempotency is the caller's order state.
    """
    config = settings if isinstance(settings, PaymentConfig) else get_payment_config(settings)
    if not config.enabled or config.alipay_public_key is None:
        raise NotifyRejected("payments_off", "在线支付未开启")
    if not params.get("sign"):
        raise NotifyRejected("missing_signature", "通知没有签名")
    if params.get("sign_type", "RSA2") != "RSA2":
        raise NotifyRejected("bad_sign_type", f"不支持的签名类型 {params.get('sign_type')}")
    if not await signing.verify_params(config.alipay_public_key, params, signing.NOTIFY_EXCLUDES):
        raise NotifyRejected("bad_signature", "通知签名无效")
    if params.get("app_id") != config.app_id:
        raise NotifyRejected("wrong_app_id", "通知的 app_id 不是本应用")
    if params.get("seller_id") != config.seller_id:
        raise NotifyRejected("wrong_seller", "通知的 seller_id 不是本商户")
    for field in ("out_trade_no", "trade_no", "trade_status", "total_amount"):
        if not params.get(field):
            raise NotifyRejected("missing_field", f"通知缺少 {field}")
    for field, longest in FIELD_LENGTHS.items():
        if len(params.get(field) or "") > longest:
            raise NotifyRejected("bad_field", f"通知的 {field} 超过 {longest} 个字符")
    return PaymentNotice(
        out_trade_no=params["out_trade_no"],
        trade_no=params["trade_no"],
        trade_status=params["trade_status"],
        total_fen=_amount(params, "total_amount"),
        app_id=params["app_id"],
        seller_id=params["seller_id"],
        notify_id=params.get("notify_id", ""),
        receipt_fen=_amount(params, "receipt_amount") if params.get("receipt_amount") else None,
        refund_fen=_amount(params, "refund_fee") if params.get("refund_fee") else None,
        buyer_id=params.get("buyer_id") or None,
        gmt_payment=parse_alipay_time(params.get("gmt_payment")),
        notify_time=parse_alipay_time(params.get("notify_time")),
    )


def _amount(params: Mapping[str, str], field: str) -> int:
    try:
        return fen_from_text(params[field])
    except MoneyError:
        raise NotifyRejected("bad_amount", f"通知的 {field} 不是有效金额：{params[field][:20]!r}") from None


def qr_svg(text: str, *, scale: int = 6, title: str = "支付二维码") -> str:
    """Inline SVG of a QR code (drawn server-side; it scales with CSS width)."""
    qr = segno.make(text, error="m")
    return qr.svg_inline(scale=scale, border=2, title=title, svgclass="qr", omitsize=True)
