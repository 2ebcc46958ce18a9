"""Money as integer fen, basis points, and the one exact allocation used for every split.

Money is never a float: amounts are ``int`` fen end to end; text is parsed with ``Decimal``.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

FEN_PER_YUAN = 100
BP_WHOLE = 10_000  # 10000 basis points = 100 %

_MONEY_TEXT = re.compile(r"^[+-]?\d+(\.\d{1,2})?$")


class MoneyError(ValueError):
    """Text that is not an amount of money in 元 with at most two decimals."""


def parse_fen(text: str | int) -> int:
    """'12.5' → 1250, '¥1,234.56' → 123456, '1234' → 123400 (元 in, fen out)."""
    if isinstance(text, int):
        raise MoneyError("pass amounts in 元 as text; integers are ambiguous (元 or 分?)")
    cleaned = text.strip().replace("¥", "").replace("￥", "").replace(",", "").replace("，", "")
    cleaned = cleaned.removesuffix("元").strip()
    if not _MONEY_TEXT.match(cleaned):
        raise MoneyError(f"「{text}」不是有效的金额（元，最多两位小数）")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - regex already guards
        raise MoneyError(f"「{text}」不是有效的金额") from exc
    return int(value * FEN_PER_YUAN)


def format_fen(fen: int, symbol: str = "¥") -> str:
    """123456 → '¥1,234.56'; -5 → '-¥0.05'."""
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError("money must be integer fen")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{symbol}{yuan:,}.{cents:02d}"


def yuan(amount: int | str) -> int:
    """Whole 元 to fen for readable constants: yuan(30) == 3000."""
    return parse_fen(str(amount))


def format_bp(bp: int) -> str:
    """6000 → '60%'; 625 → '6.25%'."""
    whole, rest = divmod(bp, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"


def apply_bp(fen: int, bp: int) -> int:
    """Share of an amount at a rate, rounded down to the fen (the remainder stays in the pool)."""
    return fen * bp // BP_WHOLE


@dataclass(frozen=True, slots=True)
class Share:
    """One part of an exact split: the floor of the exact share plus any leftover fen handed to it."""

    key: Hashable
    amount: int
    exact: Fraction
    adjustment: int  # 0 or 1 fen (rounding adjustment recorded for each party)


def allocate(pool: int, weights: Mapping[K, int | Fraction] | Sequence[tuple[K, int | Fraction]]) -> dict[K, int]:
    """Split an integer pool by exact weights. The parts always sum to ``pool``.

    Each part is the floor of its exact share; the leftover units go one each to the
    largest remainders, ties broken by the key's natural order (e.g. member number).
    """
    return {share.key: share.amount for share in allocate_detailed(pool, weights)}  # type: ignore[misc]


def allocate_detailed(
    pool: int, weights: Mapping[K, int | Fraction] | Sequence[tuple[K, int | Fraction]]
) -> list[Share]:
    """Like :func:`allocate`, keeping each party's exact share and rounding adjustment."""
    if not isinstance(pool, int) or isinstance(pool, bool):
        raise TypeError("pool must be an integer number of fen")
    if pool < 0:
        raise ValueError("pool must not be negative")
    items = list(weights.items() if isinstance(weights, Mapping) else weights)
    keys = [k for k, _ in items]
    if len(set(keys)) != len(keys):
        raise ValueError("each key may appear once")
    exact_weights = [Fraction(w) for _, w in items]
    if any(w < 0 for w in exact_weights):
        raise ValueError("weights must not be negative")
    total = sum(exact_weights, Fraction(0))
    if not items:
        if pool:
            raise ValueError("cannot split a non-zero pool among nobody")
        return []
    if total == 0:
        if pool:
            raise ValueError("cannot split a non-zero pool when every weight is zero")
        return [Share(k, 0, Fraction(0), 0) for k in keys]
    exact = [pool * w / total for w in exact_weights]
    floors = [e.numerator // e.denominator for e in exact]
    leftover = pool - sum(floors)
    # Largest remainder first; ties by key so the result never depends on input order.
    order = sorted(range(len(items)), key=lambda i: (-(exact[i] - floors[i]), _sort_key(keys[i])))
    bonus = set(order[:leftover])
    return [
        Share(keys[i], floors[i] + (1 if i in bonus else 0), exact[i], 1 if i in bonus else 0)
        for i in range(len(items))
    ]


def _sort_key(key: Hashable) -> tuple[int, object]:
    # Numbers sort numerically, everything else by text: stable across runs and processes.
    if isinstance(key, int | float | Fraction | Decimal):
        return (0, key)
    if isinstance(key, tuple):
        return (1, tuple(_sort_key(k) for k in key))
    return (2, str(key))
