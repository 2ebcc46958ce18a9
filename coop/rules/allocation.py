"""Exact splits for the distribution, identical to caoyuan.money.allocate_detailed.

``allocate_detailed`` is the project's one definition of a split (floor of the exact share, leftover fen to
the largest remainders, ties by key). Building a Fraction per party makes it take seconds for 100,000
members, so large integer splits take an integer path that computes the very same result — the property
tests in tests/test_coop_allocation.py prove the two agree on every input they try.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from caoyuan.money import allocate_detailed

FAST_FROM = 2_000  # below this many parties the kernel's function itself is fast enough


@dataclass(frozen=True, slots=True)
class Split:
    pool: int
    total_weight: int | Fraction
    keys: list[Hashable]
    weights: list[int | Fraction]
    parts: list[int]
    adjustments: list[int]  # 0 or 1 fen handed out by largest remainder

    @property
    def amounts(self) -> dict[Hashable, int]:
        return dict(zip(self.keys, self.parts, strict=True))

    def exact(self, i: int) -> Fraction:
        return Fraction(self.pool) * Fraction(self.weights[i]) / Fraction(self.total_weight)


def split(pool: int, weights: Sequence[tuple[Hashable, int | Fraction]], *, fast_from: int = FAST_FROM) -> Split:
    return split_columns(pool, [k for k, _ in weights], [w for _, w in weights], fast_from=fast_from)


def split_columns(pool: int, keys: list, weights: list, *, fast_from: int = FAST_FROM) -> Split:
    """The same split with keys and weights as two parallel lists (no per-party tuples for 100,000 members)."""
    if len(keys) >= fast_from and _integer_case(pool, keys, weights):
        parts, adjustments, total = _integer_split(pool, keys, weights)
        return Split(pool, total, keys, weights, parts, adjustments)
    shares = allocate_detailed(pool, list(zip(keys, weights, strict=True)))
    total = sum((Fraction(w) for w in weights), Fraction(0))
    return Split(pool, total, keys, weights, [s.amount for s in shares], [s.adjustment for s in shares])


def _integer_case(pool: int, keys: list, values: list) -> bool:
    # type checks through map/set stay in C: a few milliseconds for 100,000 parties
    return (
        type(pool) is int
        and pool >= 0
        and len(keys) == len(values) > 0
        and set(map(type, keys)) == {int}
        and set(map(type, values)) == {int}
        and min(values) >= 0
        and sum(values) > 0
        and len(set(keys)) == len(keys)
    )


def _integer_split(pool: int, keys: list[int], weights: list[int]) -> tuple[list[int], list[int], int]:
    total = sum(weights)
    products = [pool * w for w in weights]
    floors = [x // total for x in products]
    leftover = pool - sum(floors)
    adjustments = [0] * len(weights)
    if leftover:
        # remainders over the common denominator ``total``; the ``leftover`` largest get one fen each
        remainders = [x - f * total for x, f in zip(products, floors, strict=True)]
        threshold = sorted(remainders, reverse=True)[leftover - 1]
        above = [i for i, r in enumerate(remainders) if r > threshold]
        tied = sorted((i for i, r in enumerate(remainders) if r == threshold), key=keys.__getitem__)
        for i in above + tied[: leftover - len(above)]:  # ties by key (member number)
            adjustments[i] = 1
            floors[i] += 1
    return floors, adjustments, total
