"""Alipay settings (prefix ``CAOYUAN_ALIPAY_``), resolved with the kernel's ``CAOYUAN_PAYMENTS`` mode.

* ``sandbox`` (the demo's default): the in-project gateway at ``{public_base_url}/sandbox/alipay/gateway.do``
  with key pairs generated once into ``CAOYUAN_ALIPAY_SANDBOX_KEY_DIR``; no merchant account needed.
* ``alipay``: the real gateway; app id, seller id and both keys are required and checked at start.
* ``off``: no online payment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from caoyuan.payments.keys import BadKey, ensure_sandbox_keys, load_private_key, load_public_key
from caoyuan.settings import Settings, SettingsError

ALIPAY_GATEWAY = "https://openapi.alipay.com/gateway.do"
SANDBOX_PATH = "/sandbox/alipay"
NOTIFY_PATH = "/pay/alipay/notify"
# Shaped like real ids (16 digits; seller ids start with 2088) so validation code sees realistic values.
SANDBOX_APP_ID = "9021000000000001"
SANDBOX_SELLER_ID = "2088000000000001"

_APP_ID = re.compile(r"^\d{16}$")
_SELLER_ID = re.compile(r"^2088\d{12}$")


class AlipaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAOYUAN_ALIPAY_", extra="ignore", frozen=True)

    app_id: str = ""
    seller_id: str = Field(default="", description="the merchant's PID (2088…), checked on every notify")
    app_private_key: str = Field(default="", description="PEM text, bare base64, or @/path/to/key.pem")
    alipay_public_key: str = Field(default="", description="PEM text, bare base64, or @/path/to/key.pem")
    gateway_url: str = ALIPAY_GATEWAY
    notify_url: str = Field(default="", description="default {CAOYUAN_PUBLIC_BASE_URL}/pay/alipay/notify")
    return_url: str = ""
    sandbox_key_dir: Path = Path("./var/alipay-sandbox")
    # Seconds before each try of the sandbox's notify (the first is usually 0): "0,2,5,15,30,60,120".
    sandbox_notify_delays: str = Field(default="0,2,5,15,30,60,120", max_length=200)
    timeout: float = Field(default=10.0, gt=0, le=120, description="seconds per gateway call")


MAX_NOTIFY_TRIES = 30
MAX_NOTIFY_DELAY_S = 3600


def parse_notify_delays(text: str) -> tuple[float, ...]:
    """'0,2,5' → (0.0, 2.0, 5.0): 1 to 30 tries, each 0 to 3600 s after the one before."""
    try:
        delays = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise SettingsError("bad setting — CAOYUAN_ALIPAY_SANDBOX_NOTIFY_DELAYS: comma-separated seconds") from None
    if not 1 <= len(delays) <= MAX_NOTIFY_TRIES or not all(0 <= d <= MAX_NOTIFY_DELAY_S for d in delays):
        raise SettingsError(
            f"bad setting — CAOYUAN_ALIPAY_SANDBOX_NOTIFY_DELAYS: 1 to {MAX_NOTIFY_TRIES} delays, "
            f"each 0 to {MAX_NOTIFY_DELAY_S} seconds"
        )
    return delays


@dataclass(frozen=True)
class SandboxSide:
    """What the pretend Alipay holds: the app's public key (to check requests) and its own private key."""

    app_public_key: rsa.RSAPublicKey
    alipay_private_key: rsa.RSAPrivateKey
    key_dir: Path
    ticket_key: bytes = b""  # MAC key for pay-page links, derived from alipay_private_key
    notify_delays: tuple[float, ...] = (0, 2, 5, 15, 30, 60, 120)


@dataclass(frozen=True)
class PaymentConfig:
    """Everything the gateway client, notify check and sandbox need, already parsed and checked."""

    mode: Literal["sandbox", "alipay", "off"]
    app_id: str = ""
    seller_id: str = ""
    app_private_key: rsa.RSAPrivateKey | None = None
    alipay_public_key: rsa.RSAPublicKey | None = None
    gateway_url: str = ALIPAY_GATEWAY
    notify_url: str = ""
    return_url: str = ""
    timeout: float = 10.0
    public_base_url: str = ""
    sandbox: SandboxSide | None = None

    @property
    def enabled(self) -> bool:
        return self.mode != "off"


def load_payment_config(settings: Settings, alipay: AlipaySettings | None = None) -> PaymentConfig:
    """Resolve and check the payment settings; a bad one raises SettingsError naming the variable."""
    if alipay is None:
        try:
            alipay = AlipaySettings()
        except ValidationError as exc:
            problems = [f"CAOYUAN_ALIPAY_{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()]
            raise SettingsError("bad setting — " + "; ".join(problems)) from None
    base = settings.public_base_url
    common = dict(
        notify_url=alipay.notify_url or f"{base}{NOTIFY_PATH}",
        return_url=alipay.return_url,
        timeout=alipay.timeout,
        public_base_url=base,
    )
    for name in ("notify_url", "return_url"):
        if common[name] and not str(common[name]).startswith(("http://", "https://")):
            raise SettingsError(f"bad setting — CAOYUAN_ALIPAY_{name.upper()}: must be an http(s) URL")
    if settings.payments == "off":
        return PaymentConfig(mode="off", **common)  # type: ignore[arg-type]
    if settings.payments == "sandbox":
        return _sandbox_config(alipay, base, common)
    return _alipay_config(alipay, common)


def _sandbox_config(alipay: AlipaySettings, base: str, common: dict) -> PaymentConfig:
    try:
        files = ensure_sandbox_keys(alipay.sandbox_key_dir)
        app_private = load_private_key(f"@{files.app_private}")
        alipay_private = load_private_key(f"@{files.alipay_private}")
        side = SandboxSide(
            app_public_key=load_public_key(f"@{files.app_public}"),
            alipay_private_key=alipay_private,
            key_dir=alipay.sandbox_key_dir,
            ticket_key=_ticket_key(alipay_private),
            notify_delays=parse_notify_delays(alipay.sandbox_notify_delays),
        )
        alipay_public = load_public_key(f"@{files.alipay_public}")
    except (OSError, BadKey) as exc:
        raise SettingsError(f"bad setting — CAOYUAN_ALIPAY_SANDBOX_KEY_DIR: {exc}") from None
    return PaymentConfig(
        mode="sandbox",
        app_id=alipay.app_id or SANDBOX_APP_ID,
        seller_id=alipay.seller_id or SANDBOX_SELLER_ID,
        app_private_key=app_private,
        alipay_public_key=alipay_public,
        gateway_url=f"{base}{SANDBOX_PATH}/gateway.do",
        sandbox=side,
        **common,
    )


def _ticket_key(alipay_private: rsa.RSAPrivateKey) -> bytes:
    from caoyuan.payments.sandbox.protocol import token_key

    return token_key(alipay_private)


def _alipay_config(alipay: AlipaySettings, common: dict) -> PaymentConfig:
    def bad(name: str, why: str) -> SettingsError:
        return SettingsError(f"bad setting — CAOYUAN_ALIPAY_{name}: {why} (needed when CAOYUAN_PAYMENTS=alipay)")

    if not _APP_ID.match(alipay.app_id):
        raise bad("APP_ID", "must be the 16-digit app id from open.alipay.com")
    if not _SELLER_ID.match(alipay.seller_id):
        raise bad("SELLER_ID", "must be the merchant PID, 16 digits starting with 2088")
    if not alipay.gateway_url.startswith(("https://", "http://")):
        raise bad("GATEWAY_URL", "must be an http(s) URL")
    keys = {}
    for name, loader in (("app_private_key", load_private_key), ("alipay_public_key", load_public_key)):
        value = getattr(alipay, name)
        if not value:
            raise bad(name.upper(), "missing")
        try:
            keys[name] = loader(value)
        except BadKey as exc:
            raise bad(name.upper(), str(exc)) from None
    return PaymentConfig(
        mode="alipay",
        app_id=alipay.app_id,
        seller_id=alipay.seller_id,
        gateway_url=alipay.gateway_url,
        **keys,
        **common,
    )


@lru_cache(maxsize=8)
def get_payment_config(settings: Settings) -> PaymentConfig:
    """The process's payment config for these kernel settings (read from the environment once)."""
    return load_payment_config(settings)
