"""Reading form fields into typed values; a bad field is a BadInput naming it."""

from __future__ import annotations

from datetime import date

from caoyuan.area import AreaError, parse_mu
from caoyuan.bounds import COUNT_MAX, FEN_MAX, ID_MAX, check_day
from caoyuan.errors import BadInput
from caoyuan.money import MoneyError, parse_fen
from coop.rules.charter import Terms


def text(data: dict[str, str], name: str, default: str = "", limit: int = 500) -> str:
    """A text field, refused past ``limit`` characters (no column is longer)."""
    value = str(data.get(name, default) or default).strip()
    if len(value) > limit:
        raise BadInput(f"最多 {limit} 个字", field=name)
    return value


def fen(data: dict[str, str], name: str, label: str = "金额") -> int:
    try:
        value = parse_fen(text(data, name)[:30])
    except MoneyError as exc:
        raise BadInput(f"{label}：{exc}", field=name) from None
    if abs(value) > FEN_MAX:
        raise BadInput(f"{label}太大了", field=name)
    return value


def optional_fen(data: dict[str, str], name: str, label: str = "金额") -> int | None:
    return fen(data, name, label) if text(data, name) else None


def mu(data: dict[str, str], name: str) -> int:
    try:
        return parse_mu(text(data, name)[:30])
    except AreaError as exc:
        raise BadInput(str(exc), field=name) from None


def integer(
    data: dict[str, str], name: str, label: str, default: int | None = None, lo: int = 0, hi: int = COUNT_MAX
) -> int:
    """A whole number within lo..hi (counts by default), refused at the field otherwise."""
    raw = text(data, name)
    if not raw and default is not None:
        return default
    try:
        value = int(raw) if len(raw) <= 20 else None
    except ValueError:
        value = None
    if value is None:
        raise BadInput(f"{label}应为整数", field=name)
    if not lo <= value <= hi:
        raise BadInput(f"{label}应在 {lo} 到 {hi} 之间", field=name)
    return value


def ident(data: dict[str, str], name: str, label: str) -> int:
    """An id chosen from a list on the page (a row's id: 1 … 2^31 − 1)."""
    return integer(data, name, label, lo=1, hi=ID_MAX)


def day(data: dict[str, str], name: str, label: str = "日期", default: date | None = None) -> date:
    raw = text(data, name)
    if not raw and default is not None:
        return default
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise BadInput(f"{label}应写成 2025-12-31", field=name) from None
    check_day(value, name, label)
    return value


def optional_day(data: dict[str, str], name: str, label: str = "日期") -> date | None:
    return day(data, name, label) if text(data, name) else None


def percent_bp(data: dict[str, str], name: str, label: str) -> int:
    """'60' or '60%' or '6.5' → basis points."""
    raw = text(data, name).removesuffix("%")
    try:
        value = parse_fen(raw[:30]) if raw else 0  # two decimals of a percent = basis points
    except MoneyError:
        raise BadInput(f"{label}应为百分数，例如 60 或 6.5", field=name) from None
    if not 0 <= value <= 10_000:
        raise BadInput(f"{label}应在 0 到 100% 之间", field=name)
    return value


def charter_terms(data: dict[str, str], policy: str | None = None) -> Terms:
    """The charter form (coop/_charter_fields.html) as Terms; ``policy`` when the page fixes it (founding)."""
    collective = percent_bp(data, "collective_share", "集体股比例")
    return Terms(
        share_price_fen=fen(data, "share_price", "每股金额"),
        land_value_per_mu_fen=fen(data, "land_value_per_mu", "每亩折价"),
        labour_value_per_day_fen=fen(data, "labour_value_per_day", "每个劳动日折价"),
        reserve_rate_bp=percent_bp(data, "reserve_rate", "公积金比例"),
        policy=policy or text(data, "policy"),
        patronage_rate_bp=percent_bp(data, "patronage_rate", "按交易量返还比例"),
        live_sale_commission_bp=percent_bp(data, "commission", "直播佣金比例"),
        machinery_development_bp=percent_bp(data, "machinery_development", "农机收入发展比例"),
        member_share_bp=10000 - collective,
        collective_share_bp=collective,
        redemption_allowed=data.get("redemption_allowed") == "on",
        redemption_lock_months=integer(data, "redemption_lock_months", "退股锁定月数", 12),
        split_machinery_pool=data.get("split_machinery_pool") == "on",
        capital_basis=text(data, "capital_basis", "record_date"),
        representatives=integer(data, "representatives", "成员代表人数", 0),
        reserve_before_pool=data.get("reserve_before_pool") == "on",
    )
