"""Money, basis points and the exact allocation: properties that must hold for every input."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caoyuan.money import MoneyError, allocate, allocate_detailed, apply_bp, format_bp, format_fen, parse_fen


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("12.5", 1250),
        ("¥1,234.56", 123456),
        ("1234", 123400),
        ("0.01", 1),
        ("￥ 8", 800),
        ("30元", 3000),
        ("-5.05", -505),
    ],
)
def test_parse_fen(text: str, fen: int) -> None:
    assert parse_fen(text) == fen


@pytest.mark.parametrize("text", ["", "abc", "1.234", "1,23.4.5", "12.", ".5x", "1e3"])
def test_parse_fen_rejects(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_fen(text)


def test_parse_fen_refuses_bare_int() -> None:
    with pytest.raises(MoneyError):
        parse_fen(12)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fen", "text"), [(123456, "¥1,234.56"), (0, "¥0.00"), (5, "¥0.05"), (-505, "-¥5.05"), (72000000, "¥720,000.00")]
)
def test_format_fen(fen: int, text: str) -> None:
    assert format_fen(fen) == text


def test_format_fen_refuses_float() -> None:
    with pytest.raises(TypeError):
        format_fen(1.5)  # type: ignore[arg-type]


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_format_then_parse_round_trips(fen: int) -> None:
    assert parse_fen(format_fen(fen)) == fen


def test_basis_points() -> None:
    assert format_bp(6000) == "60%"
    assert format_bp(625) == "6.25%"
    assert format_bp(1) == "0.01%"
    assert apply_bp(1001, 6000) == 600  # floor; the odd fen stays in the pool


def test_allocate_simple_and_tie_break_by_key() -> None:
    assert allocate(100, {"a": 1, "b": 1, "c": 1}) == {"a": 34, "b": 33, "c": 33}
    # same weights, keys given in another order: still the smallest key gets the leftover fen
    assert allocate(100, [(3, 1), (1, 1), (2, 1)]) == {3: 33, 1: 34, 2: 33}


def test_allocate_largest_remainder_wins() -> None:
    # exact shares 33.33.., 66.66..: the larger remainder (member 2) gets the fen
    assert allocate(100, {1: 1, 2: 2}) == {1: 33, 2: 67}


def test_allocate_records_each_adjustment() -> None:
    shares = allocate_detailed(10, {1: 1, 2: 1, 3: 1})
    assert [s.adjustment for s in shares] == [1, 0, 0]
    assert shares[0].exact == Fraction(10, 3)


def test_allocate_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        allocate(-1, {1: 1})
    with pytest.raises(ValueError):
        allocate(10, {1: 0, 2: 0})
    with pytest.raises(ValueError):
        allocate(10, {})
    with pytest.raises(ValueError):
        allocate(10, {1: -1, 2: 2})
    with pytest.raises(TypeError):
        allocate(10.0, {1: 1})  # type: ignore[arg-type]
    assert allocate(0, {}) == {}


weights_strategy = st.dictionaries(
    st.integers(min_value=1, max_value=10**6),
    st.one_of(
        st.integers(min_value=0, max_value=10**9), st.fractions(min_value=0, max_value=10**6, max_denominator=10**4)
    ),
    min_size=1,
    max_size=60,
).filter(lambda w: sum(w.values()) > 0)


@settings(max_examples=300)
@given(st.integers(min_value=0, max_value=10**13), weights_strategy)
def test_allocation_properties(pool: int, weights: dict[int, int | Fraction]) -> None:
    result = allocate(pool, weights)
    total = sum(Fraction(w) for w in weights.values())
    assert sum(result.values()) == pool  # exact to the fen
    assert set(result) == set(weights)
    for key, amount in result.items():
        exact = pool * Fraction(weights[key]) / total
        floor = exact.numerator // exact.denominator
        assert amount in (floor, floor + 1)  # the floor, or the floor plus one leftover fen
        assert abs(amount - exact) < 1
        if weights[key] == 0:
            assert amount == 0


@given(st.integers(min_value=0, max_value=10**9), weights_strategy, st.randoms())
def test_allocation_ignores_input_order(pool: int, weights: dict[int, int], rnd) -> None:  # type: ignore[no-untyped-def]
    items = list(weights.items())
    rnd.shuffle(items)
    assert allocate(pool, items) == allocate(pool, weights)


@given(st.integers(min_value=0, max_value=10**9), weights_strategy)
def test_allocation_is_monotone_in_weight(pool: int, weights: dict[int, int]) -> None:
    result = allocate(pool, weights)
    ordered = sorted(weights, key=lambda k: Fraction(weights[k]))
    for smaller, larger in zip(ordered, ordered[1:], strict=False):
        if Fraction(weights[smaller]) < Fraction(weights[larger]):
            assert result[smaller] <= result[larger]
