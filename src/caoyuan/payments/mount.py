"""What the kernel app mounts for payments, checked when the app is made."""

from __future__ import annotations

from typing import Any

from caoyuan.payments.settings import get_payment_config
from caoyuan.settings import Settings


def payment_routes(settings: Settings) -> list[Any]:
    """Check the Alipay settings now (a bad one raises SettingsError naming the variable), and return
    the routes to mount: the sandbox at /sandbox/alipay when CAOYUAN_PAYMENTS=sandbox, else none."""
    if get_payment_config(settings).mode != "sandbox":
        return []
    from caoyuan.payments.sandbox import sandbox_routes

    return sandbox_routes()
