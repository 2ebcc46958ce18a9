"""Reading form fields into typed values; a bad field is a BadInput naming it."""

from __future__ import annotations

from datetime import date

from caoyuan.area import AreaError, parse_mu
from caoyuan.errors import BadInput
from caoyuan.money import MoneyError, parse_fen


def text(data: dict[str, str], name: str, default: str = "") -> str:
    return str(data.get(name, default) or default).strip()


def fen(data: dict[str, str], name: str, label: str = "金额") -> int:
    try:
        return parse_fen(text(data, name))
    except MoneyError as exc:
        raise BadInput(f"{label}：{exc}", field=name) from None


def optional_fen(data: dict[str, str], name: str, label: str = "金额") -> int | None:
    return fen(data, name, label) if text(data, name) else None


def mu(data: dict[str, str], name: str) -> int:
    try:
        return parse_mu(text(data, name))
    except AreaError as exc:
        raise BadInput(str(exc), field=name) from None


def integer(data: dict[str, str], name: str, label: str, default: int | None = None) -> int:
    raw = text(data, name)
    if not raw and default is not None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadInput(f"{label}应为整数", field=name) from None


def day(data: dict[str, str], name: str, label: str = "日期", default: date | None = None) -> date:
    raw = text(data, name)
    if not raw and default is not None:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadInput(f"{label}应写成 2025-12-31", field=name) from None


def optional_day(data: dict[str, str], name: str, label: str = "日期") -> date | None:
    return day(data, name, label) if text(data, name) else None


def percent_bp(data: dict[str, str], name: str, label: str) -> int:
    """'60' or '60%' or '6.5' → basis points."""
    raw = text(data, name).removesuffix("%")
    try:
        return parse_fen(raw) if raw else 0  # two decimals of a percent = basis points
    except MoneyError:
        raise BadInput(f"{label}应为百分数，例如 60 或 6.5", field=name) from None
