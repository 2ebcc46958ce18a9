"""Pure machinery rules, proven with hypothesis."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from coop.machinery.rules.capacity import over_tolerance, weighted_load
from coop.machinery.rules.pricing import HARDSHIP_WAIVE, PriceRule, bill, per_mu, unit_price
from coop.machinery.rules.scheduling import Crew, Request, propose
from coop.machinery.rules.states import allowed

fen = st.integers(min_value=0, max_value=100_000)
area = st.integers(min_value=0, max_value=100_000)
START = date(2026, 9, 20)


@given(fen, fen, fen, st.booleans(), st.booleans(), st.sampled_from(["reduce", "waive"]))
def test_price_never_above_market_nor_below_zero(market, discount, reduction, member, hardship, mode) -> None:
    rule = PriceRule(discount, discount // 2, mode, reduction)
    unit = unit_price(market, rule, member=member, hardship=hardship)
    assert 0 <= unit.price_fen <= unit.list_fen <= unit.market_fen
    assert unit.relief_fen == unit.list_fen - unit.price_fen
    if not (member and hardship):
        assert unit.relief_fen == 0
    if member and hardship and mode == HARDSHIP_WAIVE:
        assert unit.price_fen == 0


def test_badaoling_rule() -> None:
    unit = unit_price(20000, PriceRule(), member=True, hardship=False)  # manual harvest ≈ 200 元/mu
    assert (unit.list_fen, unit.price_fen, unit.saving_fen) == (17000, 17000, 3000)
    poor = unit_price(20000, PriceRule(), member=True, hardship=True)
    assert (poor.price_fen, poor.relief_fen) == (15000, 2000)


@given(area, fen, fen)
def test_bill_parts_add_up(hundredths, market, discount) -> None:
    unit = unit_price(market, PriceRule(discount, 0, "reduce", discount // 3), member=True, hardship=True)
    total = bill(hundredths, unit)
    assert total.amount_fen + total.relief_fen == total.list_fen
    assert total.amount_fen + total.saving_fen == total.market_fen
    assert abs(total.amount_fen * 100 - hundredths * unit.price_fen) <= 50  # rounded to the nearest fen


def test_per_mu_rounds_half_up() -> None:
    assert per_mu(1050, 5000) == 52500 and per_mu(1, 150) == 2 and per_mu(1, 149) == 1


@given(area, area, st.integers(min_value=10_000, max_value=30_000))
def test_slope_weighs_at_least_its_area(flat, slope, factor) -> None:
    load = weighted_load(flat, slope, factor)
    assert load >= flat + slope
    assert load * 10_000 >= flat * 10_000 + slope * factor > (load - 1) * 10_000 - 10_000


def test_tolerance() -> None:
    assert not over_tolerance(1100, 1000, 1000) and over_tolerance(1101, 1000, 1000)


requests = st.lists(
    st.tuples(
        area.map(lambda a: a % 3000 + 1),
        area.map(lambda a: a % 1500),
        st.booleans(),
        st.integers(0, 4),
        st.integers(0, 4),
        st.integers(0, 10_000),
    ),
    max_size=25,
)


def _build(raw) -> list[Request]:  # type: ignore[no-untyped-def]
    t0 = datetime(2026, 9, 1, tzinfo=UTC)
    return [
        Request(
            i,
            t0 + timedelta(seconds=s),
            flat,
            slope,
            hardship,
            START + timedelta(min(a, b)),
            START + timedelta(max(a, b)),
            "玉米收割机",
        )
        for i, (flat, slope, hardship, a, b, s) in enumerate(raw, start=1)
    ]


CREWS = [Crew(1, 10, 15000, "玉米收割机"), Crew(2, 11, 12000, "玉米收割机"), Crew(3, 12, 10000, "拖拉机")]


@settings(max_examples=150)
@given(requests, st.lists(st.integers(0, 6000), min_size=6, max_size=6), st.booleans())
def test_proposal_respects_capacity_windows_and_order(raw, caps, slope_first) -> None:
    reqs = _build(raw)
    days = [START + timedelta(n) for n in range(5)]
    free = {}
    for d in days:
        free[("operator", 1, d)], free[("operator", 2, d)], free[("operator", 3, d)] = caps[0], caps[1], caps[2]
        free[("machine", 10, d)], free[("machine", 11, d)], free[("machine", 12, d)] = caps[3], caps[4], caps[5]
    until = START + timedelta(1) if slope_first else None
    slots, unplaced = propose(days, reqs, CREWS, free, until)
    by_id = {r.id: r for r in reqs}
    assert sorted([s.request_id for s in slots] + unplaced) == sorted(by_id)  # each once
    used: dict = {}
    for s in slots:
        r = by_id[s.request_id]
        assert r.earliest <= s.day <= r.latest
        assert s.machine_id != 12  # a tractor never harvests corn
        factor = next(c.slope_factor_bp for c in CREWS if c.machine_id == s.machine_id)
        assert s.load == weighted_load(r.flat, r.slope, factor)
        for key in (("operator", s.operator_id, s.day), ("machine", s.machine_id, s.day)):
            used[key] = used.get(key, 0) + s.load
    assert all(used[k] <= free[k] for k in used)
    # Nobody left waiting could have fitted on a day of their window in what was left over.
    left = {k: free[k] - used.get(k, 0) for k in free}
    for rid in unplaced:
        r = by_id[rid]
        for d in days:
            if r.earliest <= d <= r.latest:
                for c in CREWS[:2]:
                    load = weighted_load(r.flat, r.slope, c.slope_factor_bp)
                    assert not (
                        load <= left[("operator", c.operator_id, d)] and load <= left[("machine", c.machine_id, d)]
                    )


def test_hardship_before_request_time_when_only_one_fits() -> None:
    t0 = datetime(2026, 9, 1, tzinfo=UTC)
    first = Request(1, t0, 1000, 0, False, START, START, "玉米收割机")
    poor = Request(2, t0 + timedelta(hours=1), 1000, 0, True, START, START, "玉米收割机")
    free = {("operator", 1, START): 1000, ("machine", 10, START): 1000}
    slots, unplaced = propose([START], [first, poor], CREWS[:1], free)
    assert [s.request_id for s in slots] == [2] and unplaced == [1]


def test_states() -> None:
    assert allowed("complete", "in_progress") and not allowed("complete", "completed")
    assert allowed("pay", "completed") and not allowed("pay", "paid") and not allowed("cancel", "in_progress")
