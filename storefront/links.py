"""Links a guest buyer can use without an account: the order number plus an HMAC token."""

from __future__ import annotations

import hashlib
import hmac

from caoyuan.errors import NotFound
from caoyuan.settings import Settings


def status_token(settings: Settings, order_no: str) -> str:
    digest = hmac.new(settings.secret_key.encode(), f"order:{order_no}".encode(), hashlib.sha256).hexdigest()
    return digest[:20]


def check_token(settings: Settings, order_no: str, token: str | None) -> None:
    if not token or not hmac.compare_digest(status_token(settings, order_no), token):
        raise NotFound("没有找到这笔订单（链接不完整或已失效）")


def status_url(settings: Settings, order_no: str) -> str:
    return f"/shop/orders/{order_no}?t={status_token(settings, order_no)}"


def pay_url(settings: Settings, order_no: str) -> str:
    return f"/shop/orders/{order_no}/pay?t={status_token(settings, order_no)}"
