"""What the kernel app mounts for payments, checked when the app is made."""

from __future__ import annotations

from typing import Any

from caoyuan.payments.settings import get_payment_config
from caoyuan.settings import Settings


def payment_routes(settings: Settings) -> list[Any]:
    """Check the Alipay settings now (a bad one raises SettingsError naming the variable), and return
    the routes to mount: Alipay's notify (/pay/alipay/notify) unless CAOYUAN_PAYMENTS=off, and the
    sandbox at /sandbox/alipay when CAOYUAN_PAYMENTS=sandbox."""
    mode = get_payment_config(settings).mode
    if mode == "off":
        return []
    from caoyuan.payments.dispatch import alipay_notify

    if mode != "sandbox":
        return [alipay_notify]
    from caoyuan.payments.sandbox import sandbox_routes

    return [alipay_notify, *sandbox_routes()]
