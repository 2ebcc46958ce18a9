"""Reports add up: trial balance, income statement (member / non-member apart), balance sheet; 三资 and
depreciation exact over an asset's life; the member account collects capital, volume and subsidy shares."""

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from coop.models import Member
from coop.posting import LiveSalePaid, MachineryServicePaid, post
from coop.rules import chart as c
from coop.rules import reports
from coop.rules.depreciation import accumulated, for_month
from coop.services.accounts import member_account, quantify_subsidy
from coop.services.assets import FixedAssetIn, acquire, depreciate_month, register_view
from coop.services.contributions import ContributionIn, contribute
from coop.services.reports import balance_sheet, income_statement, trial_balance
from tests.factories.coop import make_cooperative

CODES = sorted(c.CHART)


@st.composite
def balanced_entries(draw):  # type: ignore[no-untyped-def]
    sums: dict[str, tuple[int, int]] = {}
    for _ in range(draw(st.integers(1, 12))):
        amount = draw(st.integers(1, 10**9))
        dr, cr = draw(st.sampled_from(CODES)), draw(st.sampled_from(CODES))
        d0, c0 = sums.get(dr, (0, 0))
        sums[dr] = (d0 + amount, c0)
        d1, c1 = sums.get(cr, (0, 0))
        sums[cr] = (d1, c1 + amount)
    return sums


@given(balanced_entries(), balanced_entries())
def test_any_balanced_books_give_balanced_reports(opening, period) -> None:  # type: ignore[no-untyped-def]
    rows = reports.trial_balance(opening, period)
    assert sum(r.debit for r in rows) == sum(r.credit for r in rows)
    assert sum(r.closing for r in rows) == 0
    merged = {
        k: (opening.get(k, (0, 0))[0] + period.get(k, (0, 0))[0], opening.get(k, (0, 0))[1] + period.get(k, (0, 0))[1])
        for k in set(opening) | set(period)
    }
    assert reports.balance_sheet(merged).balanced
    statement = reports.income_statement(period)
    assert statement.surplus == sum(
        c.signed_balance(k, d, cr) * (1 if c.account(k).kind == "income" else -1)
        for k, (d, cr) in period.items()
        if c.account(k).kind in ("income", "expense")
    )


@given(st.integers(1, 10**9), st.integers(0, 10**9), st.integers(1, 600))
def test_depreciation_sums_to_cost_less_salvage(cost: int, salvage: int, life: int) -> None:
    salvage = min(salvage, cost - 1) if cost > 1 else 0
    monthly = [for_month(cost, salvage, life, n) for n in range(1, life + 13)]
    assert all(m >= 0 for m in monthly)
    assert sum(monthly) == accumulated(cost, salvage, life, life) == cost - salvage


async def test_books_of_a_year(db) -> None:
    async with db.session() as s:
        coop, (m1, m2) = await make_cooperative(s, members=2)
        await contribute(s, coop.id, ContributionIn(m1.id, "cash", date(2025, 1, 2), amount_fen=5_000_00))  # type: ignore[arg-type]
        harvester = await acquire(
            s,
            coop.id,
            FixedAssetIn(
                "玉米收获机 4YZ-4",
                "machine",
                144_000_00,
                "special_fund",
                date(2024, 12, 10),
                "乡村振兴衔接资金",
                insurance_policy="PICC-001",
                insurance_expires_on=date(2025, 12, 20),
                useful_life_months=120,
                salvage_fen=4_000_00,
            ),
        )
        when = datetime(2025, 10, 1, 2, tzinfo=UTC)
        await post(s, MachineryServicePaid(coop.id, "mb:1", when, m2.id, 1_700_00))  # type: ignore[arg-type]
        await post(s, MachineryServicePaid(coop.id, "mb:2", when, None, 2_000_00))
        await post(s, LiveSalePaid(coop.id, "so:1", when, m1.id, 3_000_00, 20_00))  # type: ignore[arg-type]
        for month in range(1, 13):
            await depreciate_month(s, coop.id, 2025, month)
        assert await depreciate_month(s, coop.id, 2025, 12) == 0  # once per month
    async with db.session() as s:
        statement = await income_statement(s, coop.id, date(2025, 1, 1), date(2025, 12, 31))
        commission = 3_000_00 * 300 // 10000
        assert statement.member_income == 1_700_00 + commission
        assert statement.non_member_income == 2_000_00 + 20_00
        assert statement.by_line["农机作业"] == 3_700_00
        assert statement.expenses.total == (144_000_00 - 4_000_00) * 12 // 120  # cumulative, exact
        sheet = await balance_sheet(s, coop.id, date(2025, 12, 31))
        assert sheet.balanced
        assert dict((code, amt) for code, _, amt in sheet.equity.lines)[c.SPECIAL_FUND] == 144_000_00
        rows = await trial_balance(s, coop.id, date(2025, 1, 1), date(2025, 12, 31))
        assert sum(r.opening for r in rows) == 0 and any(r.opening for r in rows)  # the Dec 2024 purchase
        view = await register_view(s, coop.id, date(2025, 12, 1))
        row = view["assets"][0]
        assert row.asset.id == harvester.id and row.insurance_due  # expires within 30 days
        assert row.accumulated_fen == (144_000_00 - 4_000_00) * 11 // 120  # through November
        assert row.net_fen == 144_000_00 - row.accumulated_fen


async def test_member_account_collects_capital_volume_and_subsidy(db) -> None:
    async with db.session() as s:
        coop, (m1, m2, m3) = await make_cooperative(s, members=3)
        await contribute(
            s,
            coop.id,
            ContributionIn(
                m1.id,
                "land",
                date(2024, 4, 1),
                area_hundredths=11_00,  # type: ignore[arg-type]
                plot="东梁",
            ),
        )
        await contribute(s, coop.id, ContributionIn(m2.id, "cash", date(2024, 4, 1), amount_fen=2_000_00))  # type: ignore[arg-type]
        await post(s, MachineryServicePaid(coop.id, "mb:9", datetime(2024, 9, 1, tzinfo=UTC), m1.id, 900_00))  # type: ignore[arg-type]
        equal = await quantify_subsidy(s, coop.id, 2024, 100_00, "equal", "财政补助量化")
        by_shares = await quantify_subsidy(s, coop.id, 2024, 1_000_01, "shares", "捐赠量化")
    assert sorted(equal.values()) == [33_33, 33_33, 33_34] and sum(by_shares.values()) == 1_000_01
    assert m3.id not in by_shares  # no shares, no part
    async with db.session() as s:
        acct = await member_account(s, await s.get(Member, m1.id))
    assert (acct.shares, acct.capital_fen) == (110, 11_000_00)
    assert acct.volume(2024) == 900_00 and acct.volume_by_year[2024] == {"machinery": 900_00}
    assert acct.subsidy_share_fen == equal[m1.id] + by_shares[m1.id]
