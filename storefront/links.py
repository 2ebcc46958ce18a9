"""Links a guest buyer can use without an account: the order number plus an HMAC token."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Annotated
from urllib.parse import quote

from litestar.params import Parameter

from caoyuan.errors import NotFound
from caoyuan.settings import Settings

ORDER_NO = re.compile(r"^[A-Za-z0-9-]{1,24}$")  # shop_order.public_no: "CY" + date + hex
# Path and query values of an order link, refused (400) before they reach the database.
OrderNoParam = Annotated[str, Parameter(pattern=ORDER_NO.pattern, description="订单号")]
WaitlistTokenParam = Annotated[str, Parameter(pattern=r"^[A-Za-z0-9_-]{1,32}$", description="候补 token")]


def status_token(settings: Settings, order_no: str) -> str:
    # hmac.digest: the one-shot C path (an order's answer carries two links, one token).
    return hmac.digest(settings.secret_key.encode(), f"order:{order_no}".encode(), hashlib.sha256).hex()[:20]


def is_order_no(text: str) -> bool:
    return bool(ORDER_NO.match(text))


def check_token(settings: Settings, order_no: str, token: str | None) -> None:
    # Bytes, not str: compare_digest refuses non-ASCII str (a TypeError, a 500) for ?t=%C3%A9.
    given = (token or "").encode("utf-8", errors="replace")
    if not token or not hmac.compare_digest(status_token(settings, order_no).encode(), given):
        raise NotFound("没有找到这笔订单（链接不完整或已失效）")


def status_url(settings: Settings, order_no: str, token: str | None = None) -> str:
    return f"/shop/orders/{order_no}?t={token or status_token(settings, order_no)}"


def pay_url(settings: Settings, order_no: str, token: str | None = None) -> str:
    return f"/shop/orders/{order_no}/pay?t={token or status_token(settings, order_no)}"


def track_url(tracking_no: str) -> str:
    """Where a buyer follows a parcel: 快递100's public lookup knows every courier we ship with by number alone."""
    return f"https://m.kuaidi100.com/result.jsp?nu={quote(tracking_no, safe='')}"
