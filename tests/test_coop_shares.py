"""Contributions become shares by the charter; the register is append-only; 4xx writes nothing."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from caoyuan.errors import BadInput, Conflict
from coop.models import Contribution, FixedAsset, JournalLine, Resource, ShareTransaction
from coop.rules import chart as c
from coop.rules.charter import Terms
from coop.rules.shares import SHARES_MAX, ShareRuleError, add_months, redeemable, to_shares
from coop.services.charter import record_charter
from coop.services.contributions import ContributionIn, contribute
from coop.services.shares import holding, holdings, redeem, transfer
from tests.factories.coop import make_cooperative

TERMS = Terms(
    share_price_fen=100_00, land_value_per_mu_fen=1_000_00, labour_value_per_day_fen=150_00, redemption_lock_months=12
)


@given(st.integers(1, 10**12), st.integers(1, 10**7))
def test_shares_and_capital_reserve_add_up_to_the_value(value: int, price: int) -> None:
    terms = Terms(share_price_fen=price)
    if value < price or value // price > SHARES_MAX:  # under one share, or more than a holding column holds
        with pytest.raises(ShareRuleError):
            to_shares(terms, value)
        return
    v = to_shares(terms, value)
    assert v.share_value_fen + v.capital_reserve_fen == value
    assert v.share_value_fen == v.shares * price and 0 <= v.capital_reserve_fen < price


@given(
    st.lists(st.tuples(st.dates(date(2015, 1, 1), date(2030, 1, 1)), st.integers(1, 500)), max_size=10),
    st.dates(date(2015, 1, 1), date(2031, 1, 1)),
    st.integers(0, 36),
)
def test_redeemable_never_exceeds_holding_or_touches_locked_shares(acq, on, months) -> None:  # type: ignore[no-untyped-def]
    terms = Terms(redemption_lock_months=months)
    held = sum(n for _, n in acq)
    allowed = redeemable(terms, held, acq, on)
    assert 0 <= allowed <= held
    recent = sum(n for d, n in acq if d > add_months(on, -months))
    assert allowed == held - recent


async def _coop(db):  # type: ignore[no-untyped-def]
    async with db.session() as s:
        coop, members = await make_cooperative(s, members=3)
        await record_charter(s, coop.id, date(2020, 1, 1), TERMS)
        return coop.id, [m.id for m in members]


async def _ledger(db, coop_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        rows = (
            await s.execute(
                select(
                    JournalLine.account_code, func.sum(JournalLine.debit_fen), func.sum(JournalLine.credit_fen)
                ).group_by(JournalLine.account_code)
            )
        ).all()
    return {code: c.signed_balance(code, int(d), int(cr)) for code, d, cr in rows}


async def test_four_kinds_of_contribution(db) -> None:
    coop_id, (m1, m2, m3) = await _coop(db)
    async with db.session() as s:
        land = await contribute(
            s,
            coop_id,
            ContributionIn(
                m1,
                "land",
                date(2020, 4, 15),
                area_hundredths=11_00,
                plot="东梁地 3 号",
                term_from=date(2020, 4, 15),
                term_to=date(2035, 4, 14),
            ),
        )
        cash = await contribute(
            s, coop_id, ContributionIn(m2, "cash", date(2020, 4, 15), amount_fen=20_050_00, channel="bank")
        )
        machine = await contribute(
            s,
            coop_id,
            ContributionIn(
                m3,
                "asset",
                date(2020, 5, 1),
                amount_fen=38_000_00,
                asset_name="东方红拖拉机",
                appraiser="赤峰某评估所",
                asset_category="machine",
            ),
        )
        labour = await contribute(s, coop_id, ContributionIn(m1, "labour", date(2020, 6, 1), labour_days=61))
    assert (land.shares, land.value_fen, land.capital_reserve_fen) == (110, 11_000_00, 0)
    assert (cash.shares, cash.capital_reserve_fen) == (200, 50_00)
    assert (labour.shares, labour.capital_reserve_fen) == (91, 50_00)  # 61 × 150 = 9,150 元
    async with db.session() as s:
        assert await holding(s, m1) == 201 and await holding(s, m3) == 380
        assert (await s.get(FixedAsset, machine.fixed_asset_id)).cost_fen == 38_000_00
        assert (await s.get(Resource, land.resource_id)).area_hundredths == 11_00
    books = await _ledger(db, coop_id)
    assert books[c.SHARE_CAPITAL] == (110 + 200 + 380 + 91) * 100_00
    assert books[c.CAPITAL_RESERVE] == 100_00
    assert books[c.BANK] == 20_050_00 and books[c.LAND_RIGHTS] == 11_000_00 and books[c.LABOUR_CAPITAL] == 9_150_00


@pytest.mark.parametrize(
    "data",
    [
        ContributionIn(0, "cash", date(2021, 1, 1), amount_fen=0),
        ContributionIn(0, "cash", date(2021, 1, 1), amount_fen=-100_00),
        ContributionIn(0, "cash", date(2021, 1, 1), amount_fen=99_99),  # less than one share
        ContributionIn(0, "land", date(2021, 1, 1), area_hundredths=0, plot="x"),
        ContributionIn(0, "labour", date(2021, 1, 1), labour_days=-3),
        ContributionIn(0, "asset", date(2021, 1, 1), amount_fen=500_00, asset_name="犁"),  # no appraiser
        ContributionIn(0, "gold", date(2021, 1, 1), amount_fen=500_00),
    ],
)
async def test_bad_contributions_are_refused_and_write_nothing(db, data: ContributionIn) -> None:
    coop_id, (m1, _, _) = await _coop(db)
    from msgspec.structs import replace

    with pytest.raises(BadInput):
        async with db.session() as s:
            await contribute(s, coop_id, replace(data, member_id=m1))
    async with db.session() as s:
        for table in (Contribution, ShareTransaction, JournalLine):
            assert await s.scalar(select(func.count()).select_from(table)) == 0


async def test_transfer_keeps_both_histories_and_refuses_more_than_held(db) -> None:
    coop_id, (m1, m2, _) = await _coop(db)
    async with db.session() as s:
        await contribute(s, coop_id, ContributionIn(m1, "cash", date(2020, 1, 10), amount_fen=1_000_00))
        number = await transfer(s, coop_id, m1, m2, 4, date(2021, 1, 1), "转让给邻居")
    with pytest.raises(BadInput, match="持有 6 股"):
        async with db.session() as s:
            await transfer(s, coop_id, m1, m2, 7, date(2021, 2, 1), "too many")
    async with db.session() as s:
        rows = (await s.scalars(select(ShareTransaction).where(ShareTransaction.number == number))).all()
        assert sorted((r.op, r.shares) for r in rows) == [("transfer_in", 4), ("transfer_out", -4)]
        assert await holdings(s, coop_id) == {m1: (6, 600_00), m2: (4, 400_00)}
        assert await holdings(s, coop_id, on=date(2020, 12, 31)) == {m1: (10, 1_000_00)}


async def test_redemption_follows_the_charter(db) -> None:
    coop_id, (m1, _, _) = await _coop(db)
    async with db.session() as s:
        await contribute(s, coop_id, ContributionIn(m1, "cash", date(2020, 1, 10), amount_fen=1_000_00))
        await contribute(s, coop_id, ContributionIn(m1, "cash", date(2021, 6, 1), amount_fen=500_00))
    with pytest.raises(Conflict, match="最多可退 10 股"):  # the 5 shares of June 2021 are still locked
        async with db.session() as s:
            await redeem(s, coop_id, m1, 12, date(2021, 12, 1), "cash", "退股")
    async with db.session() as s:
        await redeem(s, coop_id, m1, 10, date(2021, 12, 1), "cash", "家中急用")
        assert await holding(s, m1) == 5
    assert (await _ledger(db, coop_id))[c.CASH] == 500_00
    async with db.session() as s:
        await record_charter(s, coop_id, date(2022, 1, 1), Terms(redemption_allowed=False))
    with pytest.raises(Conflict, match="不允许退股"):
        async with db.session() as s:
            await redeem(s, coop_id, m1, 1, date(2023, 1, 1), "cash", "退股")
