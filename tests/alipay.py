"""Alipay as the tests meet it: the sandbox cashier pressed from a phone, notifies signed again with the
sandbox's 'Alipay' key, and a production-mode config with keys of the tests' own for verifying notifies."""

from __future__ import annotations

import re

from cryptography.hazmat.primitives.asymmetric import rsa

from caoyuan.payments import gateway_for, signing
from caoyuan.payments.sandbox import sandbox_runtime
from caoyuan.payments.settings import PaymentConfig
from caoyuan.payments.signing import NOTIFY_EXCLUDES, canonical, sign_now

NOTIFY = "/pay/alipay/notify"
PHONE_UA = {"user-agent": "Mozilla/5.0 (iPhone) Mobile"}

ALIPAY = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # plays Alipay's key
APP = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # plays the merchant's key
CONFIG = PaymentConfig(
    mode="alipay",
    app_id="2021000000000007",
    seller_id="2088000000000007",
    app_private_key=APP,
    alipay_public_key=ALIPAY.public_key(),
)


async def press_pay(client, pay_page: str):  # type: ignore[no-untyped-def]
    """Open the pay link on a phone, follow it to the sandbox cashier and press 确认付款."""
    cashier = await client.get(pay_page, follow_redirects=True, headers=PHONE_UA)
    assert cashier.status_code == 200, cashier.text[:500]
    action = re.search(r'<form method="post" action="([^"]+)"', cashier.text).group(1)
    csrf = re.search(r'name="_csrf_token" value="([^"]*)"', cashier.text)
    data = {"action": "pay", **({"_csrf_token": csrf.group(1)} if csrf else {})}
    paid = await client.post(
        action, data=data, headers={"x-csrftoken": client.cookies.get("caoyuan_csrf", "")}, follow_redirects=False
    )
    assert paid.status_code in (200, 303), paid.text[:500]
    return paid


async def pay_in_sandbox(client, pay_url: str) -> None:  # type: ignore[no-untyped-def]
    """Press 确认付款 and wait until the sandbox has delivered its notify to the app."""
    await press_pay(client, pay_url)
    assert await sandbox_runtime(client.app).drain(10)


async def resigned(client, form: dict[str, str], **changes: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The sandbox's notify with fields changed, signed again with the sandbox's 'Alipay' key."""
    form = {k: v for k, v in form.items() if k != "sign"} | changes
    key = gateway_for(client.app).config.sandbox.alipay_private_key
    return form | {"sign": await signing.sign_params(key, form, signing.NOTIFY_EXCLUDES)}


def signed_notify(key: rsa.RSAPrivateKey = ALIPAY, **changes: str) -> dict[str, str]:
    """A paid notify for ``CONFIG``'s merchant (CY20261121-0001, ¥128.50), signed by ``key``."""
    form = {
        "notify_time": "2026-11-21 20:01:02",
        "notify_type": "trade_status_sync",
        "notify_id": "n1",
        "app_id": CONFIG.app_id,
        "charset": "utf-8",
        "version": "1.0",
        "sign_type": "RSA2",
        "trade_no": "2026112122001400001234567890",
        "out_trade_no": "CY20261121-0001",
        "total_amount": "128.50",
        "receipt_amount": "128.50",
        "buyer_id": "2088000000000002",
        "seller_id": CONFIG.seller_id,
        "trade_status": "TRADE_SUCCESS",
        "gmt_create": "2026-11-21 20:00:00",
        "gmt_payment": "2026-11-21 20:01:00",
        "subject": "草原羊肉 2 斤",
    }
    form.update(changes)
    form["sign"] = sign_now(key, canonical(form, NOTIFY_EXCLUDES))
    return form
