"""A member who withdraws mid-year without redeeming: the charter's capital_basis decides what their capital
counts for — 股权登记日 (only members on 31 December) or the days held while a member — and every split stays
exact to the fen."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from coop.models import Allocation
from coop.posting import LiveSalePaid, post
from coop.rules import capital
from coop.rules.charter import Terms
from coop.rules.distribution import Members, plan
from coop.services.charter import record_charter
from coop.services.contributions import ContributionIn, contribute
from coop.services.distribution import compute_draft
from coop.services.members import change_status
from coop.services.statements import statement
from tests.factories.coop import make_cooperative

YEAR = 2025
days_in_year = st.integers(0, 364).map(lambda n: date(YEAR, 1, 1) + timedelta(days=n))


@given(amounts=st.lists(st.integers(1, 10**9), min_size=1, max_size=5), left=days_in_year)
def test_a_withdrawal_counts_the_days_held_or_nothing_on_the_record_date(amounts: list[int], left: date) -> None:
    holdings = [(date(YEAR - 1, 3, 1), a) for a in amounts]
    history = [(date(YEAR - 1, 1, 1), "admitted"), (left, "withdrawn")]
    periods = capital.membership(YEAR, history)
    assert capital.counted("days_held", YEAR, holdings, periods) == sum(amounts) * (left - date(YEAR, 1, 1)).days
    assert capital.counted("record_date", YEAR, holdings, periods) == 0
    whole_year = capital.membership(YEAR, history[:1])
    assert capital.counted("record_date", YEAR, holdings, whole_year) == sum(amounts)
    assert capital.counted("days_held", YEAR, holdings, whole_year) == sum(amounts) * 365


@given(
    changes=st.lists(st.tuples(days_in_year, st.integers(-(10**6), 10**7)), min_size=1, max_size=6),
    statuses=st.lists(st.tuples(days_in_year, st.sampled_from(["admitted", "suspended", "withdrawn"])), max_size=4),
)
def test_days_held_never_exceeds_a_full_year_of_the_largest_holding(changes, statuses) -> None:  # type: ignore[no-untyped-def]
    history = [(date(YEAR - 1, 6, 1), "admitted"), *sorted(statuses)]
    periods = capital.membership(YEAR, history)
    assert capital.counted_days(periods) <= 365
    running, peak = 0, 0
    for _, amount in sorted(changes):
        running += amount
        peak = max(peak, running)
    assert 0 <= capital.counted("days_held", YEAR, changes, periods) <= max(peak, 0) * 365


@settings(max_examples=200)
@given(
    pool=st.integers(1, 10**9),
    members=st.lists(
        st.tuples(st.integers(0, 10**8), st.integers(0, 365), st.integers(0, 10**6)), min_size=1, max_size=30
    ),
)
def test_pro_rated_splits_are_exact_to_the_fen(pool: int, members) -> None:  # type: ignore[no-untyped-def]
    m = Members(scale=365)
    for no, (cap, days, reserve) in enumerate(members, start=1):
        m.ids.append(no), m.nos.append(no), m.volume.append(1), m.capital.append(cap)
        m.reserve_base.append(reserve), m.subsidy.append(0), m.shares.append(0)
        m.capital_counted.append(cap * days)
    if not any(m.remainder_weights()):
        return
    result = plan(Terms(reserve_rate_bp=0), pool, 0, 0, m)
    assert sum(result.remainder_parts) == result.remainder and sum(result.patronage_parts) == result.patronage
    for cap_days, reserve, part in zip(m.capital_counted, m.reserve_base, result.remainder_parts, strict=True):
        if cap_days == 0 and reserve == 0:
            assert part == 0


async def _year_with_a_withdrawal(s, basis: str):  # type: ignore[no-untyped-def]
    coop, (m1, m2) = await make_cooperative(s, members=2, name=f"{basis} 社")
    await record_charter(s, coop.id, date(2020, 1, 1), Terms(capital_basis=basis, reserve_rate_bp=0))
    for m in (m1, m2):
        await contribute(s, coop.id, ContributionIn(m.id, "cash", date(2024, 1, 1), amount_fen=10_000_00))
        await post(s, LiveSalePaid(coop.id, f"{basis}:{m.id}", datetime(2025, 3, 1, tzinfo=UTC), m.id, 50_000_00, 0))
    await change_status(s, m2.id, "withdrawn", date(2025, 7, 2), "迁出，未退股")  # a member 182 days
    draft = await compute_draft(s, coop.id, YEAR)
    rows = {
        a.member_id: a
        for a in (await s.scalars(select(Allocation).where(Allocation.distribution_id == draft.id))).all()
    }
    return draft, rows[m1.id], rows[m2.id], (await statement(s, draft.id, m2.id)).lines


async def test_the_charter_decides_a_withdrawn_members_capital_share(db, backend) -> None:
    async with db.session() as s:
        draft, stayed, left, lines = await _year_with_a_withdrawal(s, "record_date")
        assert draft.capital_basis == "record_date" and left.capital_counted == 0 and left.remainder_fen == 0
        assert stayed.remainder_fen == draft.remainder_fen
        assert any("12 月 31 日已不在册" in line for line in lines)

        draft, stayed, left, lines = await _year_with_a_withdrawal(s, "days_held")
        assert (left.member_days, stayed.member_days) == (182, 365)
        assert left.capital_counted == 10_000_00 * 182 and stayed.capital_counted == 10_000_00 * 365
        assert left.remainder_fen + stayed.remainder_fen == draft.remainder_fen
        # 182 : 365 of the capital remainder, to within the one rounding fen
        assert abs(left.remainder_fen * 365 - stayed.remainder_fen * 182) <= 365 + 182
        assert any("本年在册 182 天" in line for line in lines)
