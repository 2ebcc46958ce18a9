"""The distribution pipeline (pure): exact to the fen, ≥ 60 % by volume, deterministic, explained."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop.rules.charter import Terms
from coop.rules.distribution import DistributionError, Members, plan
from coop.rules.explain import member_lines, percent


@st.composite
def members(draw, min_size: int = 1):  # type: ignore[no-untyped-def]
    n = draw(st.integers(min_size, 40))
    m = Members()
    nos = draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n, unique=True))
    for i, no in enumerate(sorted(nos)):
        m.ids.append(i + 1)
        m.nos.append(no)
        m.volume.append(draw(st.integers(0, 10**8)))
        m.capital.append(draw(st.integers(0, 10**8)))
        m.reserve_base.append(draw(st.integers(0, 10**6)))
        m.subsidy.append(draw(st.integers(0, 10**6)))
        m.shares.append(draw(st.integers(0, 10**4)))
    return m


farmer_terms = st.builds(
    Terms,
    reserve_rate_bp=st.integers(0, 10000),
    patronage_rate_bp=st.integers(6000, 10000),
    machinery_development_bp=st.integers(0, 10000),
    split_machinery_pool=st.booleans(),
)


@given(farmer_terms, st.integers(-(10**9), 10**11), st.integers(0, 10**9), st.integers(0, 10**10), members())
def test_farmer_pipeline_is_exact_and_gives_volume_at_least_sixty_percent(terms, surplus, loss, machinery, m) -> None:  # type: ignore[no-untyped-def]
    if sum(m.volume) == 0 or sum(m.remainder_weights()) == 0:
        m.volume[0] += 1
        m.capital[0] += 1
    p = plan(terms, surplus, loss, machinery, m)
    if surplus <= 0:
        assert p.paid_out == 0 and p.reserve == 0
        return
    assert p.loss_cover + p.reserve + p.pool_development + p.pool_assistance + p.distributable == surplus
    assert p.patronage + p.remainder == p.distributable
    assert p.patronage * 10000 >= p.distributable * terms.patronage_rate_bp >= p.distributable * 6000
    assert sum(p.patronage_parts) == p.patronage and sum(p.remainder_parts) == p.remainder
    assert sum(p.reserve_parts) in (0, p.reserve)
    for parts, adj, weights, pool in (
        (p.patronage_parts, p.patronage_adj, m.volume, p.patronage),
        (p.remainder_parts, p.remainder_adj, m.remainder_weights(), p.remainder),
    ):
        total = sum(weights)
        for part, a, w in zip(parts, adj, weights, strict=True):
            assert a in (0, 1) and part == (pool * w // total if total else 0) + a


@given(st.integers(0, 5999))
def test_a_farmer_policy_below_sixty_percent_is_refused(rate: int) -> None:
    m = Members([1], [1], [100], [100], [0], [0], [1])
    with pytest.raises(DistributionError, match="60%"):
        plan(Terms(patronage_rate_bp=rate), 10_000, 0, 0, m)


@given(st.integers(1, 10**10), st.integers(0, 10000), members())
def test_shareholding_divides_by_shares_after_collective_share(surplus, collective_bp, m) -> None:  # type: ignore[no-untyped-def]
    if sum(m.shares) == 0:
        m.shares[0] = 1
    terms = Terms(
        policy="shareholding",
        patronage_rate_bp=0,
        collective_share_bp=collective_bp,
        member_share_bp=10000 - collective_bp,
        reserve_rate_bp=1500,
    )
    p = plan(terms, surplus, 0, 0, m)
    assert p.patronage == 0 and sum(p.patronage_parts) == 0
    assert p.collective + p.remainder == p.distributable == surplus - p.reserve
    assert sum(p.remainder_parts) == p.remainder
    assert sum(p.reserve_parts) == 0  # 公积公益金 stays with the collective


def test_six_four_split_of_the_machinery_pool_keeps_it_out_of_dividends() -> None:
    m = Members([1, 2], [1, 2], [0, 0], [0, 0], [0, 0], [0, 0], [30, 70])
    terms = Terms(
        policy="shareholding",
        patronage_rate_bp=0,
        reserve_rate_bp=1000,
        split_machinery_pool=True,
        reserve_before_pool=True,
    )  # the charter's explicit choice: reserve on the whole surplus first
    p = plan(terms, 100_000_00, 0, 25_000_01, m)
    assert p.reserve == 10_000_00
    assert (p.pool_development, p.pool_assistance) == (15_000_01, 10_000_00)
    assert p.distributable == 100_000_00 - 10_000_00 - 25_000_01
    assert p.remainder_parts == [19_500_00, 45_499_99]  # 64,999.99 × 30 % = 19,499.997 → the fen goes here


def test_nobody_with_volume_is_a_clear_error() -> None:
    m = Members([1], [1], [0], [100_00], [0], [0], [1])
    with pytest.raises(DistributionError, match="交易量"):
        plan(Terms(), 1_000_00, 0, 0, m)


def test_ties_go_to_the_lower_member_number() -> None:
    m = Members([10, 11, 12], [3, 1, 2], [1, 1, 1], [1, 1, 1], [0, 0, 0], [0, 0, 0], [1, 1, 1])
    p = plan(Terms(reserve_rate_bp=0, patronage_rate_bp=10000), 100, 0, 0, m)
    assert dict(zip(m.nos, p.patronage_parts, strict=True)) == {1: 34, 2: 33, 3: 33}


def test_statement_lines_read_plainly() -> None:
    a = {
        "volume_fen": 12_400_00,
        "patronage_fen": 3_210_55,
        "remainder_fen": 1_000_00,
        "capital_fen": 11_000_00,
        "reserve_base_fen": 0,
        "subsidy_fen": 500_00,
        "shares": 110,
        "patronage_adj": 1,
        "remainder_adj": 0,
        "total_fen": 4_210_55,
        "reserve_share_fen": 321_00,
    }
    d = {"patronage_fen": 9, "remainder_fen": 9, "volume_total_fen": 386_292_00, "weight_total_fen": 100_000_00}
    lines = member_lines("farmer", 2025, a, d)
    assert lines[0] == "2025 年全年与合作社交易额 ¥12,400.00，占全社 ¥386,292.00 的 3.21%，按交易量返还 ¥3,210.55"
    assert "量化补助 ¥500.00" in lines[1] and "11.50%" in lines[1]
    assert any("尾差调整 +¥0.01" in ln for ln in lines) and "不发放现金" in lines[-1]
    assert percent(1, 3) == "33.33%" and percent(2, 3) == "66.67%" and percent(0, 0) == "0.00%"
