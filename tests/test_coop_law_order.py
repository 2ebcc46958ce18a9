"""Issue 15 item 4: by default the machinery net leaves the surplus for 六四开 before the reserve is drawn,
so members' dividends do not pay the reserve on machinery earnings; the charter may say otherwise."""

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from coop.rules.charter import Terms
from coop.rules.distribution import Members, plan

BADAOLING = Terms(policy="shareholding", patronage_rate_bp=0, reserve_rate_bp=1500, split_machinery_pool=True)


def _members() -> Members:
    return Members([1, 2, 3], [1, 2, 3], [0] * 3, [0] * 3, [0] * 3, [0] * 3, [10, 20, 30])


@given(st.integers(1, 10**10), st.integers(0, 10**9), st.integers(0, 10**10), st.integers(0, 5000))
def test_the_pool_leaves_first_and_the_reserve_is_drawn_on_the_rest(surplus, loss, machinery, rate) -> None:  # type: ignore[no-untyped-def]
    terms = replace(BADAOLING, reserve_rate_bp=rate)
    p = plan(terms, surplus, loss, machinery, _members())
    left = surplus - min(surplus, loss)
    pool = min(machinery, left) if machinery > 0 else 0
    assert p.pool_development + p.pool_assistance == pool
    assert p.reserve == (left - pool) * rate // 10000  # the reserve never touches the machinery net
    assert p.distributable == left - pool - p.reserve
    assert sum(p.remainder_parts) + p.collective == p.distributable
    codes = [s.code for s in p.steps]
    if pool:
        assert codes.index("pool_split") < codes.index("reserve")  # the statement shows the order applied


@given(st.integers(1, 10**10), st.integers(0, 10**10))
def test_the_charter_may_draw_the_reserve_on_the_whole_surplus_first(surplus, machinery) -> None:  # type: ignore[no-untyped-def]
    p = plan(replace(BADAOLING, reserve_before_pool=True), surplus, 0, machinery, _members())
    assert p.reserve == surplus * 1500 // 10000
    codes = [s.code for s in p.steps]
    if p.pool_development + p.pool_assistance:
        assert codes.index("reserve") < codes.index("pool_split")


def test_badaoling_2025_members_no_longer_pay_the_reserve_on_machinery_earnings() -> None:
    # machinery net ¥42,610.00: the old order took 15 % of it (¥6,391.50) out of members' dividends
    machinery, other = 42_610_00, 100_000_00
    new = plan(BADAOLING, other + machinery, 0, machinery, _members())
    old = plan(replace(BADAOLING, reserve_before_pool=True), other + machinery, 0, machinery, _members())
    assert new.distributable - old.distributable == 6_391_50
    assert new.reserve == 15_000_00 and "已扣除单列的农机收入" in new.steps[3].explanation
