"""The distribution's split is exact, deterministic, and identical to caoyuan.money.allocate_detailed."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from caoyuan.money import allocate_detailed
from coop.rules.allocation import split

weights = st.lists(st.integers(0, 10**9), min_size=1, max_size=60).filter(lambda ws: sum(ws) > 0)


@given(st.integers(0, 10**12), weights, st.randoms())
def test_integer_path_matches_the_kernel_split(pool: int, ws: list[int], rnd: random.Random) -> None:
    keys = rnd.sample(range(1, 10**6), len(ws))  # member numbers in any order
    pairs = list(zip(keys, ws, strict=True))
    fast = split(pool, pairs, fast_from=0)
    kernel = allocate_detailed(pool, pairs)
    assert fast.parts == [s.amount for s in kernel]
    assert fast.adjustments == [s.adjustment for s in kernel]
    assert sum(fast.parts) == pool
    assert all(fast.exact(i) == kernel[i].exact for i in range(len(ws)))


@given(st.integers(0, 10**10), weights)
def test_parts_are_floor_or_floor_plus_one_and_order_does_not_matter(pool: int, ws: list[int]) -> None:
    pairs = list(enumerate(ws, start=1))
    result = split(pool, pairs, fast_from=0)
    total = sum(ws)
    for part, w, adj in zip(result.parts, ws, result.adjustments, strict=True):
        assert part == pool * w // total + adj and adj in (0, 1)
    assert split(pool, list(reversed(pairs)), fast_from=0).amounts == result.amounts


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10**11), st.integers(1, 3))
def test_ties_go_to_the_lower_member_number(pool: int, weight: int) -> None:
    pairs = [(no, weight) for no in range(5000, 0, -1)]
    result = split(pool, pairs)
    expected_extra = pool % 5000
    got = sorted(k for k, adj in zip(result.keys, result.adjustments, strict=True) if adj)
    assert got == list(range(1, expected_extra + 1))
