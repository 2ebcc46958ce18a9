"""Pure storefront rules: addresses, shipping fees, totals, ship-by dates. No I/O."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from caoyuan.clock import BEIJING

MAX_QUANTITY = 99

PROVINCES = (
    "北京市",
    "天津市",
    "上海市",
    "重庆市",
    "河北省",
    "山西省",
    "辽宁省",
    "吉林省",
    "黑龙江省",
    "江苏省",
    "浙江省",
    "安徽省",
    "福建省",
    "江西省",
    "山东省",
    "河南省",
    "湖北省",
    "湖南省",
    "广东省",
    "海南省",
    "四川省",
    "贵州省",
    "云南省",
    "陕西省",
    "甘肃省",
    "青海省",
    "台湾省",
    "内蒙古自治区",
    "广西壮族自治区",
    "西藏自治区",
    "宁夏回族自治区",
    "新疆维吾尔自治区",
    "香港特别行政区",
    "澳门特别行政区",
)
# Couriers from the mainland do not deliver fresh meat to these.
NOT_SHIPPED_TO = frozenset({"台湾省", "香港特别行政区", "澳门特别行政区"})
_SHORT = {
    p.removesuffix("省").removesuffix("市").removesuffix("自治区").removesuffix("特别行政区"): p for p in PROVINCES
}
_SHORT.update(
    {"内蒙古": "内蒙古自治区", "广西": "广西壮族自治区", "宁夏": "宁夏回族自治区", "新疆": "新疆维吾尔自治区"}
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f<>]")


class RuleError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, repr=False)
class Address:
    province: str
    city: str
    county: str
    detail: str

    def __repr__(self) -> str:
        # What the generated repr wrote (stored request digests include it), without its recursion guard,
        # which was most of the digest's cost on the order route.
        return (
            f"Address(province={self.province!r}, city={self.city!r}, county={self.county!r}, detail={self.detail!r})"
        )


def normalize_province(text: str) -> str:
    value = (text or "").strip()
    if value in PROVINCES:
        return value
    if value in _SHORT:
        return _SHORT[value]
    raise RuleError(f"「{value[:20]}」不是有效的省份，请填写如“内蒙古自治区”", "province")


def validate_address(province: str, city: str, county: str, detail: str) -> Address:
    province = normalize_province(province)
    if province in NOT_SHIPPED_TO:
        raise RuleError("生鲜暂不发往港澳台地区", "province")
    # Checked in this order (city, county, detail): the first bad field is the one the buyer is shown.
    return Address(
        province,
        _address_part(city, "city", 2, 30, "市"),
        _address_part(county, "county", 2, 30, "区/县/旗"),
        _address_part(detail, "detail", 5, 120, "详细地址"),
    )


def _address_part(value: str, field: str, low: int, high: int, label: str) -> str:  # noqa: PLR0913
    value = (value or "").strip()
    if _CONTROL.search(value):
        raise RuleError(f"{label}里有不允许的字符", field)
    if not low <= len(value) <= high:
        raise RuleError(f"请填写{label}（{low}–{high} 个字）", field)
    return value


def validate_name(name: str) -> str:
    value = (name or "").strip()
    if not 1 <= len(value) <= 30 or _CONTROL.search(value):
        raise RuleError("请填写收货人姓名（1–30 个字）", "name")
    return value


def validate_quantity(quantity: int, cap: int | None = None) -> int:
    if quantity <= 0:
        raise RuleError("购买数量至少为 1", "quantity")
    limit = min(MAX_QUANTITY, cap) if cap else MAX_QUANTITY
    if quantity > limit:
        raise RuleError(f"每单最多购买 {limit} 件", "quantity")
    return quantity


def shipping_fee(kind: str, flat_fen: int, region_fees: dict[str, int], province: str) -> int:
    """Free, a fixed fee per order, or a fee by province (falling back to the flat fee)."""
    if kind == "free":
        return 0
    if kind == "fixed":
        return flat_fen
    return region_fees.get(province, flat_fen)


def ship_by(paid_at: datetime, cutoff_local: time) -> date:
    """今天拍明天发: paid before the cut-off (Beijing time) ships tomorrow, after it the day after."""
    local = paid_at.astimezone(BEIJING)
    days = 1 if local.time() < cutoff_local else 2
    return local.date() + timedelta(days=days)


def request_digest(*parts: object) -> str:
    """Fingerprint of an order request: a reused Idempotency-Key with another body is refused."""
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
