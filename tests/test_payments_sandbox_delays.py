"""The sandbox's notify schedule comes from CAOYUAN_ALIPAY_SANDBOX_NOTIFY_DELAYS, bounded where it enters."""

from __future__ import annotations

import pytest

from caoyuan.app import create_app
from caoyuan.payments.sandbox import sandbox_runtime
from caoyuan.payments.settings import get_payment_config, parse_notify_delays
from caoyuan.settings import SettingsError


def test_delays_are_parsed_and_bounded() -> None:
    assert parse_notify_delays("0,2,5") == (0.0, 2.0, 5.0)
    assert parse_notify_delays(" 0 , 1.5 ") == (0.0, 1.5)
    for bad in ("", "x", "0,,2", "-1", "3601", "nan", "inf", ",".join(["1"] * 31)):
        with pytest.raises(SettingsError, match="CAOYUAN_ALIPAY_SANDBOX_NOTIFY_DELAYS"):
            parse_notify_delays(bad)


def test_the_runtime_follows_the_setting(settings, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CAOYUAN_ALIPAY_SANDBOX_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CAOYUAN_ALIPAY_SANDBOX_NOTIFY_DELAYS", "0,3,3")
    get_payment_config.cache_clear()
    try:
        assert sandbox_runtime(create_app(settings)).delays == (0.0, 3.0, 3.0)
        monkeypatch.delenv("CAOYUAN_ALIPAY_SANDBOX_NOTIFY_DELAYS")
        get_payment_config.cache_clear()
        assert sandbox_runtime(create_app(settings)).delays == (0, 2, 5, 15, 30, 60, 120)  # the default
    finally:
        get_payment_config.cache_clear()
