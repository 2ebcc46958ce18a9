"""A signed notify with absurd values is refused or ignored, never a 500 (issue 9, item 3)."""

from __future__ import annotations

import pytest

from caoyuan.payments import NotifyRejected, verify_notify
from caoyuan.payments.amounts import fen_from_text, parse_alipay_time
from caoyuan.payments.settings import get_payment_config
from caoyuan.payments.signing import NOTIFY_EXCLUDES, canonical, sign_now
from tests.alipay import CONFIG, signed_notify


async def test_a_payment_time_in_year_0001_is_ignored_not_a_crash() -> None:
    notice = await verify_notify(
        signed_notify(gmt_payment="0001-01-01 00:00:00", notify_time="9999-12-31 23:59:59"), CONFIG
    )
    assert notice.gmt_payment is None and notice.notify_time is None
    assert notice.total_fen == 12850
    assert parse_alipay_time("2026-11-21 20:01:00") is not None
    assert parse_alipay_time("1999-12-31 23:59:59") is None and parse_alipay_time("2101-01-01 00:00:00") is None


@pytest.mark.parametrize(
    "changes",
    [
        {"total_amount": "99999999999999999999.99"},
        {"total_amount": "100000000.01"},
        {"receipt_amount": "1" + "0" * 40},
        {"refund_fee": "123456789012.00"},
        {"out_trade_no": "CY" + "9" * 200},
        {"trade_no": "2026" * 40},
        {"notify_id": "n" * 1000},
    ],
)
async def test_absurd_amounts_and_numbers_are_refused(changes: dict[str, str]) -> None:
    with pytest.raises(NotifyRejected) as caught:
        await verify_notify(signed_notify(**changes), CONFIG)
    assert caught.value.reason in ("bad_amount", "bad_field")


def test_alipay_amounts_stop_at_one_hundred_million_yuan() -> None:
    assert fen_from_text("100000000.00") == 10_000_000_000
    assert fen_from_text("0.01") == 1


async def test_the_notify_route_answers_failure_not_500(client, settings) -> None:  # type: ignore[no-untyped-def]
    config = get_payment_config(settings)
    assert config.sandbox is not None
    base = {
        "notify_time": "0001-01-01 00:00:00",
        "notify_type": "trade_status_sync",
        "notify_id": "n1",
        "app_id": config.app_id,
        "seller_id": config.seller_id,
        "charset": "utf-8",
        "version": "1.0",
        "sign_type": "RSA2",
        "trade_no": "2026112122001400001234567890",
        "out_trade_no": "CY20261121-0001",
        "total_amount": "128.50",
        "trade_status": "TRADE_SUCCESS",
        "gmt_payment": "0001-01-01 00:00:00",
    }
    for changes in ({}, {"total_amount": "9" * 15 + ".99"}, {"out_trade_no": "CY" + "1" * 300}):
        form = {**base, **changes}
        form["sign"] = sign_now(config.sandbox.alipay_private_key, canonical(form, NOTIFY_EXCLUDES))
        answer = await client.post("/pay/alipay/notify", data=form)
        assert 400 <= answer.status_code < 500, (changes, answer.status_code, answer.text)
        assert answer.text != "success"
