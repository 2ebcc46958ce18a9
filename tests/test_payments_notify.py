"""Async notify verification, QR drawing, and payment settings (sandbox keys, errors naming the variable)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from alipay.aop.api.util.SignatureUtils import get_sign_content, sign_with_rsa2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from caoyuan.payments import NotifyRejected, load_payment_config, qr_svg, verify_notify
from caoyuan.payments.keys import ensure_sandbox_keys, load_private_key, load_public_key, private_pem_pkcs1, public_pem
from caoyuan.payments.settings import AlipaySettings
from caoyuan.payments.signing import NOTIFY_EXCLUDES
from caoyuan.settings import SettingsError, load_settings
from tests.alipay import ALIPAY, APP, CONFIG, signed_notify


async def test_a_genuine_notify_is_believed() -> None:
    notice = await verify_notify(signed_notify(), CONFIG)
    assert (notice.out_trade_no, notice.total_fen, notice.trade_status, notice.paid) == (
        "CY20261121-0001",
        12850,
        "TRADE_SUCCESS",
        True,
    )
    assert notice.gmt_payment is not None and notice.gmt_payment.utcoffset().total_seconds() == 0
    assert notice.gmt_payment.hour == 12  # 20:01 Beijing is 12:01 UTC
    assert await verify_notify(signed_notify(), CONFIG) == notice  # a duplicate verifies the same


async def test_a_notify_signed_by_the_sdk_is_believed() -> None:
    form = signed_notify()
    form["sign"] = sign_with_rsa2(
        private_pem_pkcs1(ALIPAY),
        get_sign_content({k: v for k, v in form.items() if k not in NOTIFY_EXCLUDES}),
        "utf-8",
    )
    assert (await verify_notify(form, CONFIG)).total_fen == 12850


async def test_only_paid_statuses_count_as_paid() -> None:
    for status, paid in (("WAIT_BUYER_PAY", False), ("TRADE_CLOSED", False), ("TRADE_FINISHED", True)):
        assert (await verify_notify(signed_notify(trade_status=status), CONFIG)).paid is paid


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda f: f.update(total_amount="1.00"), "bad_signature"),  # amount changed after signing
        (lambda f: f.pop("sign"), "missing_signature"),
        (lambda f: f.update(sign=""), "missing_signature"),
        (lambda f: f.update(sign_type="RSA"), "bad_sign_type"),
        (lambda f: f.update(sign=f["sign"][:-8] + "AAAAAAA="), "bad_signature"),
        (lambda f: f.update(extra_field="x"), "bad_signature"),
    ],
)
async def test_tampered_notifies_are_rejected(tamper, reason: str) -> None:  # type: ignore[no-untyped-def]
    form = signed_notify()
    tamper(form)
    with pytest.raises(NotifyRejected) as caught:
        await verify_notify(form, CONFIG)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        (lambda: signed_notify(APP), "bad_signature"),  # signed, but not by Alipay
        (lambda: signed_notify(app_id="2021000000000999"), "wrong_app_id"),  # genuine, for another app
        (lambda: signed_notify(seller_id="2088000000000999"), "wrong_seller"),  # genuine, for another merchant
        (lambda: signed_notify(total_amount="12.345"), "bad_amount"),
        (lambda: signed_notify(total_amount="1,000.00"), "bad_amount"),
        (lambda: signed_notify(out_trade_no=""), "missing_field"),
    ],
)
async def test_genuine_but_wrong_notifies_are_rejected(form, reason: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotifyRejected) as caught:
        await verify_notify(form(), CONFIG)
    assert caught.value.reason == reason


def test_qr_svg_is_inline_svg_that_grows_with_the_text() -> None:
    short, long = qr_svg("https://qr.alipay.com/bax01"), qr_svg("https://qr.alipay.com/" + "x" * 200)
    assert short.startswith("<svg") and "支付二维码" in short and "<?xml" not in short
    assert len(long) > len(short)


# ---------------------------------------------------------------- settings


def _kernel(mode: str):  # type: ignore[no-untyped-def]
    return load_settings(
        environment="test", secret_key="t" * 40, payments=mode, public_base_url="https://coop.example.cn/"
    )


def test_sandbox_mode_generates_keys_once_and_points_at_itself(tmp_path: Path) -> None:
    first = load_payment_config(_kernel("sandbox"), AlipaySettings(sandbox_key_dir=tmp_path))
    again = load_payment_config(_kernel("sandbox"), AlipaySettings(sandbox_key_dir=tmp_path))
    assert first.gateway_url == "https://coop.example.cn/sandbox/alipay/gateway.do"
    assert first.notify_url == "https://coop.example.cn/pay/alipay/notify"
    assert first.app_private_key.private_numbers() == again.app_private_key.private_numbers()  # type: ignore[union-attr]
    assert first.sandbox is not None
    # The two pairs are real pairs, and different from each other.
    assert first.sandbox.app_public_key.public_numbers() == first.app_private_key.public_key().public_numbers()  # type: ignore[union-attr]
    assert first.alipay_public_key.public_numbers() == first.sandbox.alipay_private_key.public_key().public_numbers()  # type: ignore[union-attr]
    assert first.alipay_public_key.public_numbers() != first.sandbox.app_public_key.public_numbers()  # type: ignore[union-attr]
    assert (tmp_path / "app_private_key.pem").read_text().startswith("-----BEGIN RSA PRIVATE KEY-----")  # PKCS#1
    assert (tmp_path / "app_private_key.pem").stat().st_mode & 0o077 == 0


def _make_keys(directory: str) -> str:
    files = ensure_sandbox_keys(Path(directory))
    return files.app_public.read_text() + files.alipay_public.read_text()


def test_processes_starting_together_agree_on_one_key_pair(tmp_path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.map(_make_keys, [str(tmp_path)] * 4)
    assert len(set(results)) == 1


def test_alipay_mode_names_the_missing_or_bad_variable(tmp_path: Path) -> None:
    good = dict(
        app_id="2021004100000001",
        seller_id="2088123412341234",
        app_private_key=private_pem_pkcs1(APP),
        alipay_public_key=public_pem(ALIPAY.public_key()),
    )
    config = load_payment_config(_kernel("alipay"), AlipaySettings(**good))
    assert config.gateway_url == "https://openapi.alipay.com/gateway.do" and config.sandbox is None
    for name, value in (
        ("app_id", ""),
        ("app_id", "abc"),
        ("seller_id", "12345"),
        ("app_private_key", ""),
        ("app_private_key", "-----BEGIN RSA PRIVATE KEY-----\nnope\n-----END RSA PRIVATE KEY-----"),
        ("alipay_public_key", "@/no/such/file.pem"),
        ("gateway_url", "ftp://x"),
        ("notify_url", "pay/notify"),
    ):
        with pytest.raises(SettingsError, match=f"CAOYUAN_ALIPAY_{name.upper()}"):
            load_payment_config(_kernel("alipay"), AlipaySettings(**{**good, name: value}))


def test_keys_load_from_pem_pkcs8_bare_base64_and_files(tmp_path: Path) -> None:
    pkcs8 = APP.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    spki = APP.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    import base64

    (tmp_path / "k.pem").write_text(private_pem_pkcs1(APP))
    expected = APP.private_numbers()
    for text in (private_pem_pkcs1(APP), base64.b64encode(pkcs8).decode(), f"@{tmp_path / 'k.pem'}"):
        assert load_private_key(text).private_numbers() == expected
    assert load_public_key(base64.b64encode(spki).decode()).public_numbers() == APP.public_key().public_numbers()
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ValueError, match="2048"):
        load_private_key(private_pem_pkcs1(small))


def test_off_mode_has_no_gateway() -> None:
    from caoyuan.payments import AlipayGateway, PaymentError

    config = load_payment_config(_kernel("off"), AlipaySettings())
    assert not config.enabled
    with pytest.raises(PaymentError):
        AlipayGateway(config)


def test_the_app_will_not_start_with_bad_alipay_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from caoyuan.app import create_app
    from caoyuan.db import create_database

    monkeypatch.setenv("CAOYUAN_ALIPAY_APP_ID", "2021004100000001")
    monkeypatch.setenv("CAOYUAN_ALIPAY_SELLER_ID", "2088123412341234")
    with pytest.raises(SettingsError, match="CAOYUAN_ALIPAY_APP_PRIVATE_KEY"):
        create_app(_kernel("alipay"), database=create_database("sqlite+aiosqlite:///:memory:"))
