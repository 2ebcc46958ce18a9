"""Reading the live pages' form fields: whole numbers, ids and yuan amounts, each bounded where it enters."""

from __future__ import annotations

from caoyuan.bounds import COUNT_MAX, ID_MAX
from caoyuan.errors import BadInput
from caoyuan.money import MoneyError, format_fen, parse_fen
from storefront.schemas import PRICE_MAX_FEN


def int_field(data: dict[str, str], name: str, label: str) -> int:
    """A whole number from a form, ASCII digits only, within ±COUNT_MAX (the rules then say what fits)."""
    text = data.get(name, "").strip()
    try:
        value = int(text) if text.isascii() and len(text) <= 12 else None
    except ValueError:
        value = None
    if value is None or abs(value) > COUNT_MAX:
        raise BadInput(f"请填写{label}（整数）", field=name)
    return value


def id_field(data: dict[str, str], name: str, label: str) -> int:
    value = id_or_none(data.get(name, ""))
    if value is None:
        raise BadInput(f"请选择{label}", field=name)
    return value


def id_or_none(text: str) -> int | None:
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    value = int(text)
    return value if 1 <= value <= ID_MAX else None


def fen_field(data: dict[str, str], name: str, label: str) -> int:
    try:
        value = parse_fen(data.get(name, "")[:20])
    except MoneyError:
        raise BadInput(f"请填写{label}（元，最多两位小数）", field=name) from None
    if value > PRICE_MAX_FEN:
        raise BadInput(f"{label}不能超过 {format_fen(PRICE_MAX_FEN)}", field=name)
    return value
