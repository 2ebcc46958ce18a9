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
    keys = [k for k, _ in weights]
    values = [w for _, w in weights]
    if len(keys) >= fast_from and _integer_case(pool, keys, values):
        parts, adjustments, total = _integer_split(pool, keys, values)  # type: ignore[arg-type]
        return Split(pool, total, keys, values, parts, adjustments)
    shares = allocate_detailed(pool, list(weights))
    total = sum((Fraction(w) for w in values), Fraction(0))
    return Split(pool, total, keys, values, [s.amount for s in shares], [s.adjustment for s in shares])


def _integer_case(pool: int, keys: list, values: list) -> bool:
    return (isinstance(pool, int) and pool >= 0 and all(type(k) is int for k in keys)
            and all(type(w) is int and w >= 0 for w in values) and sum(values) > 0
            and len(set(keys)) == len(keys))


def _integer_split(pool: int, keys: list[int], weights: list[int]) -> tuple[list[int], list[int], int]:
    total = sum(weights)
    floors, remainders = [], []
    for w in weights:
        q, r = divmod(pool * w, total)
        floors.append(q)
        remainders.append(-r)  # the remainder over the common denominator ``total``, negated for sorting
    leftover = pool - sum(floors)
    adjustments = [0] * len(weights)
    if leftover:
        order = sorted(range(len(keys)), key=keys.__getitem__)  # ties by key …
        order.sort(key=remainders.__getitem__)  # … kept by the stable sort on the largest remainder
        for i in order[:leftover]:
            adjustments[i] = 1
            floors[i] += 1
    return floors, adjustments, total
