"""Pure parts of the pretend Alipay: refusals in Alipay's codes, pay-page tokens, expiry, trade numbers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from caoyuan.payments.amounts import BEIJING, alipay_time

DEFAULT_TIMEOUT = timedelta(hours=2)  # like Alipay's QR default when the merchant gives none
MAX_TIMEOUT = timedelta(days=15)


class Refusal(Exception):
    """An answer with a non-10000 code (Alipay's public codes, sub_codes and Chinese sub_msg)."""

    def __init__(self, code: str, msg: str, sub_code: str, sub_msg: str) -> None:
        super().__init__(f"{code} {sub_code}: {sub_msg}")
        self.code, self.msg, self.sub_code, self.sub_msg = code, msg, sub_code, sub_msg

    def body(self) -> dict[str, str]:
        return {"code": self.code, "msg": self.msg, "sub_code": self.sub_code, "sub_msg": self.sub_msg}


def missing(name: str) -> Refusal:
    return Refusal("40001", "Missing Required Arguments", f"isv.missing-{name.replace('_', '-')}", f"缺少参数 {name}")


def invalid(sub_code: str, sub_msg: str) -> Refusal:
    return Refusal("40002", "Invalid Arguments", sub_code, sub_msg)


def business(sub_code: str, sub_msg: str) -> Refusal:
    return Refusal("40004", "Business Failed", sub_code, sub_msg)


# ---------------------------------------------------------------- pay-page tokens


@dataclass(frozen=True)
class PayTicket:
    """What a QR code or WAP link carries to the pay page. Alipay makes the trade when it is opened."""

    a: str  # app_id
    o: str  # out_trade_no
    t: str  # total_amount, 元 text
    s: str  # subject
    n: str  # notify_url
    r: str  # return_url
    x: int  # expiry, seconds since the epoch
    p: str  # product: QR or WAP


def token_key(alipay_private_key: rsa.RSAPrivateKey) -> bytes:
    """A MAC key only the sandbox knows, derived from its private key (same in every worker)."""
    der = alipay_private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return hashlib.sha256(b"caoyuan-sandbox-pay-ticket\0" + der).digest()


def encode_ticket(ticket: PayTicket, key: bytes) -> str:
    payload = json.dumps(asdict(ticket), ensure_ascii=False, separators=(",", ":")).encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()[:16]
    return f"{_b64(payload)}.{_b64(mac)}"


def decode_ticket(token: str, key: bytes) -> PayTicket | None:
    """The ticket, or None when the token was not made by this sandbox (or was altered)."""
    try:
        payload_text, mac_text = token.split(".", 1)
        payload, mac = _unb64(payload_text), _unb64(mac_text)
    except ValueError:
        return None
    if not hmac.compare_digest(mac, hmac.new(key, payload, hashlib.sha256).digest()[:16]):
        return None
    try:
        return PayTicket(**json.loads(payload))
    except (ValueError, TypeError):
        return None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ---------------------------------------------------------------- expiry and numbers

_RELATIVE = re.compile(r"^(\d+)([mhd])$")


def expiry(biz: dict[str, object], now: datetime) -> datetime:
    """When an unpaid trade closes: time_expire (Beijing time) or timeout_express ("30m", "2h", "1d")."""
    time_expire = biz.get("time_expire")
    if isinstance(time_expire, str) and time_expire:
        try:
            moment = datetime.strptime(time_expire, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
        except ValueError:
            raise invalid("isv.invalid-parameter", "time_expire 格式应为 yyyy-MM-dd HH:mm:ss") from None
        if moment <= now:
            raise business("ACQ.TRADE_HAS_CLOSE", "交易已过期")
        return min(moment, now + MAX_TIMEOUT)
    timeout = biz.get("timeout_express")
    if isinstance(timeout, str) and timeout:
        match = _RELATIVE.match(timeout)
        if not match or int(match[1]) == 0:
            raise invalid("isv.invalid-parameter", "timeout_express 取值如 30m、2h、1d")
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match[2]]
        return now + min(timedelta(**{unit: int(match[1])}), MAX_TIMEOUT)
    return now + DEFAULT_TIMEOUT


def new_trade_no(now: datetime) -> str:
    """28 digits like Alipay's: the Beijing date, a channel code, then random digits."""
    return alipay_time(now)[:10].replace("-", "") + "22001" + "".join(secrets.choice("0123456789") for _ in range(15))


SANDBOX_BUYER_ID = "2088000000000002"
SANDBOX_BUYER_LOGON = "139****0000"
