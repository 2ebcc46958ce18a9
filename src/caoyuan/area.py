"""Area in 亩 (mu), exact to hundredths. Stored as integer hundredths of a mu."""

from __future__ import annotations

import re
from decimal import Decimal

_MU_TEXT = re.compile(r"^\d+(\.\d{1,2})?$")


class AreaError(ValueError):
    """Text that is not an area in 亩 with at most two decimals."""


def parse_mu(text: str) -> int:
    """'11' → 1100, '3.25' → 325, '0.5亩' → 50 (hundredths of a mu)."""
    cleaned = str(text).strip().removesuffix("亩").strip()
    if not _MU_TEXT.match(cleaned):
        raise AreaError(f"「{text}」不是有效的面积（亩，最多两位小数）")
    return int(Decimal(cleaned) * 100)


def format_mu(hundredths: int) -> str:
    """1100 → '11.00 亩'."""
    whole, rest = divmod(hundredths, 100)
    return f"{whole:,}.{rest:02d} 亩"
