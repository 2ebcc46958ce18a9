"""The intake's per-order helpers that were made cheaper stay what they were: same digests, same numbers,
same refusals, and the session-less draft carries exactly the columns the ORM order would."""

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy.orm import configure_mappers

from caoyuan.db.metadata import load_all_models
from storefront import rules
from storefront.services.intake_sql import DEFAULTED, ORDER_PARAMS, plain
from storefront.services.place_order import OrderRequest, new_order, new_public_no, request_digest, validate


def _request(**changes: object) -> OrderRequest:
    values: dict = {
        "pool_id": 7,
        "quantity": 2,
        "phone": "138 0013 8000",
        "name": "张三丰",
        "province": "内蒙古",
        "city": "鄂尔多斯市",
        "county": "鄂托克旗",
        "detail": "乌兰镇团结路 8 号",
        "idempotency_key": "k" * 20,
        "live_session_id": 3,
    }
    values.update(changes)
    return OrderRequest(**values)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"detail": 'it\'s "quoted" \\ 路 8 号'},
        {"waitlist_token": "tok_123", "live_session_id": None},
        {"county": "新城区", "quantity": 5},
    ],
)
def test_the_digest_is_the_rules_digest_of_the_same_parts(changes: dict) -> None:
    req = _request(**changes)
    clean = validate(req)
    parts = (req.pool_id, req.quantity, clean["phone"], clean["name"], clean["address"])
    assert request_digest(req, clean) == rules.request_digest(*parts, req.live_session_id, req.waitlist_token)
    # Stored digests were made with the generated dataclass repr of the address: the written one is the same.
    generated = dataclasses.make_dataclass("Address", ["province", "city", "county", "detail"], frozen=True)
    address = clean["address"]
    assert repr(address) == repr(generated(address.province, address.city, address.county, address.detail))


def test_order_numbers_carry_the_utc_day_and_ten_random_hex_digits() -> None:
    first = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
    numbers = {new_public_no(first) for _ in range(50)}
    assert len(numbers) == 50 and all(re.fullmatch(r"CY261130[0-9A-F]{10}", n) for n in numbers)
    assert new_public_no(first + timedelta(minutes=2)).startswith("CY261201")


@pytest.mark.parametrize(
    ("city", "county", "detail", "field"),
    [("鄂", "鄂", "短", "city"), ("鄂尔多斯市", "<b>", "短", "county"), ("鄂尔多斯市", "鄂托克旗", "短", "detail")],
)
def test_the_first_bad_address_part_is_the_one_refused(city: str, county: str, detail: str, field: str) -> None:
    with pytest.raises(rules.RuleError) as refused:
        rules.validate_address("内蒙古", city, county, detail)
    assert refused.value.field == field


def test_a_draft_carries_the_columns_an_orm_order_would() -> None:
    load_all_models()
    configure_mappers()  # the ORM order's attributes, as in a running app
    req = _request()
    clean = validate(req)
    ctx = SimpleNamespace(
        id=7, price_fen=12800, remaining=50, open=True, opens_at=None, closes_at=None, per_buyer_cap=None,
        sku_id=3, sku_name="后腿 2.5kg", product_name="羊肉", cooperative_id=1, supplier_member_id=2,
        shipping_kind="fixed", shipping_fen=1000, region_fee=None, quota_used=None,
    )  # fmt: skip
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    digest = request_digest(req, clean)
    orm, _ = new_order(req, clean, digest, ctx, now, timedelta(minutes=15), checked=True)
    draft, sku = new_order(req, clean, digest, ctx, now, timedelta(minutes=15), checked=True, draft=True)
    assert sku == "羊肉 后腿 2.5kg"
    for _, column in ORDER_PARAMS:
        if column != "public_no":  # random per order
            assert getattr(draft, column) == getattr(orm, column), column
    assert draft.total_fen == 2 * 12800 + 1000 and draft.expires_at == now + timedelta(minutes=15)
    for column, default in DEFAULTED.items():  # what the batch statement writes without being sent
        assert plain(getattr(draft, column)) == plain(default), column
