"""coop.posting: the one door money takes into the books — balanced, idempotent, by the charter."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from caoyuan.errors import BadInput, Conflict, NotFound
from coop.models import JournalLine, MemberVolume
from coop.posting import LiveSalePaid, LiveSaleRefunded, MachineryServicePaid, OperatorWageAccrued, post
from coop.rules import chart as c
from coop.rules.charter import Terms
from coop.services.charter import record_charter
from tests.factories.coop import make_cooperative

WHEN = datetime(2025, 6, 1, 4, 0, tzinfo=UTC)


async def _setup(db, commission_bp: int = 500, development_bp: int = 6000):  # type: ignore[no-untyped-def]
    async with db.session() as s:
        coop, members = await make_cooperative(s, members=2)
        await record_charter(
            s,
            coop.id,
            date(2025, 1, 1),
            Terms(live_sale_commission_bp=commission_bp, machinery_development_bp=development_bp),
        )
        return coop.id, [m.id for m in members]


async def _balances(db, coop_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        rows = (
            await s.execute(
                select(JournalLine.account_code, func.sum(JournalLine.debit_fen), func.sum(JournalLine.credit_fen))
                .where(JournalLine.cooperative_id == coop_id)
                .group_by(JournalLine.account_code)
            )
        ).all()
    return {code: c.signed_balance(code, int(d), int(cr)) for code, d, cr in rows}


async def _volume(db, member_id: int) -> int:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        return int(
            await s.scalar(
                select(func.coalesce(func.sum(MemberVolume.amount_fen), 0)).where(MemberVolume.member_id == member_id)
            )
        )


async def test_member_live_sale_keeps_commission_and_counts_volume(db) -> None:
    coop_id, (m1, _) = await _setup(db, commission_bp=500)
    async with db.session() as s:
        result = await post(
            s, LiveSalePaid(coop_id, "shop-order:1:paid", WHEN, m1, goods_fen=123_45, shipping_fen=12_00)
        )
    assert result.created and result.splits == {}
    b = await _balances(db, coop_id)
    assert b[c.ALIPAY] == 135_45
    assert b[c.LIVE_COMMISSION_MEMBER] == 123_45 * 500 // 10000  # 617 fen
    assert b[c.MEMBER_CURRENT] == -(123_45 - 617)  # owed to the supplier (credit balance)
    assert b[c.SHIPPING_INCOME] == 12_00
    assert await _volume(db, m1) == 123_45


async def test_collective_goods_are_non_member_income(db) -> None:
    coop_id, (m1, _) = await _setup(db)
    async with db.session() as s:
        await post(s, LiveSalePaid(coop_id, "shop-order:2:paid", WHEN, None, 50_00, 0, channel="cash"))
    b = await _balances(db, coop_id)
    assert b == {c.CASH: 50_00, c.LIVE_SALES_COLLECTIVE: 50_00}
    assert await _volume(db, m1) == 0


async def test_same_reference_is_idempotent_and_other_amounts_conflict(db) -> None:
    coop_id, (m1, _) = await _setup(db)
    event = LiveSalePaid(coop_id, "shop-order:3:paid", WHEN, m1, 100_00, 10_00)
    async with db.session() as s:
        first = await post(s, event)
    async with db.session() as s:
        again = await post(s, event)
    assert again.entry_id == first.entry_id and not again.created
    with pytest.raises(Conflict):
        async with db.session() as s:
            await post(s, LiveSalePaid(coop_id, "shop-order:3:paid", WHEN, m1, 100_01, 10_00))
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(JournalLine)) == 4
    assert await _volume(db, m1) == 100_00


async def test_refunds_give_back_exact_commission_and_never_more_than_paid(db) -> None:
    coop_id, (m1, _) = await _setup(db, commission_bp=333)
    async with db.session() as s:
        await post(s, LiveSalePaid(coop_id, "o:paid", WHEN, m1, 100_01, 8_00))
        await post(s, LiveSaleRefunded(coop_id, "o:refund:1", "o:paid", WHEN, 33_33, 0))
        await post(s, LiveSaleRefunded(coop_id, "o:refund:2", "o:paid", WHEN, 66_68, 8_00))
    b = await _balances(db, coop_id)
    assert b.get(c.ALIPAY, 0) == 0 and b.get(c.LIVE_COMMISSION_MEMBER, 0) == 0
    assert b.get(c.MEMBER_CURRENT, 0) == 0 and b.get(c.SHIPPING_INCOME, 0) == 0
    assert await _volume(db, m1) == 0
    with pytest.raises(BadInput) as too_much:
        async with db.session() as s:
            await post(s, LiveSaleRefunded(coop_id, "o:refund:3", "o:paid", WHEN, 1, 0))
    assert too_much.value.field == "goods_fen"
    with pytest.raises(NotFound):
        async with db.session() as s:
            await post(s, LiveSaleRefunded(coop_id, "x:refund", "no-such-order", WHEN, 1, 0))


async def test_machinery_income_split_six_four_and_relief_is_assistance(db) -> None:
    coop_id, (m1, _) = await _setup(db, development_bp=6000)
    async with db.session() as s:
        member_job = await post(s, MachineryServicePaid(coop_id, "mb:1:paid", WHEN, m1, 170_01, relief_fen=30_00))
        outside_job = await post(s, MachineryServicePaid(coop_id, "mb:2:paid", WHEN, None, 200_00, channel="alipay"))
    assert member_job.splits == {"development": 102_01, "assistance": 68_00}
    assert sum(member_job.splits.values()) == 170_01
    assert outside_job.splits == {"development": 120_00, "assistance": 80_00}
    b = await _balances(db, coop_id)
    assert b[c.MACHINERY_MEMBER] == 200_01 and b[c.MACHINERY_NON_MEMBER] == 200_00  # art. 41: kept apart
    assert b[c.ASSISTANCE] == 30_00 and b[c.CASH] == 170_01 and b[c.ALIPAY] == 200_00
    assert await _volume(db, m1) == 170_01
    async with db.session() as s:
        funds = dict(
            (
                await s.execute(
                    select(JournalLine.fund, func.sum(JournalLine.credit_fen))
                    .where(JournalLine.account_code.in_([c.MACHINERY_MEMBER, c.MACHINERY_NON_MEMBER]))
                    .group_by(JournalLine.fund)
                )
            ).all()
        )
    assert funds == {"development": 102_01 + 120_00, "assistance": 68_00 + 30_00 + 80_00}


async def test_bad_amounts_write_nothing(db) -> None:
    coop_id, (m1, _) = await _setup(db)
    bad = [
        LiveSalePaid(coop_id, "b1", WHEN, m1, 0, 0),
        LiveSalePaid(coop_id, "b2", WHEN, m1, -5, 0),
        LiveSalePaid(coop_id, "b3", WHEN, m1, 5, -1),
        MachineryServicePaid(coop_id, "b4", WHEN, m1, 0),
        LiveSalePaid(coop_id, "b5", WHEN, m1, 5, 0, channel="wechat"),
        LiveSalePaid(coop_id, "b6", datetime(2025, 1, 1), m1, 5, 0),
    ]
    for event in bad:
        with pytest.raises(BadInput):
            async with db.session() as s:
                await post(s, event)
    with pytest.raises(NotFound):  # a member of another cooperative
        async with db.session() as s:
            await post(s, MachineryServicePaid(coop_id, "b7", WHEN, 999, 5))
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(JournalLine)) == 0


async def test_operator_wage_is_expense_and_payable(db, make_user) -> None:
    coop_id, _ = await _setup(db)
    operator = await make_user("operator")
    async with db.session() as s:
        await post(s, OperatorWageAccrued(coop_id, "wage:1", WHEN, operator.id, 180_00))
    assert await _balances(db, coop_id) == {c.WAGES: 180_00, c.WAGES_PAYABLE: 180_00}
    with pytest.raises(BadInput):
        async with db.session() as s:
            await post(s, OperatorWageAccrued(coop_id, "wage:2", WHEN, operator.id, 0))


async def test_commission_follows_the_charter_in_force_that_day(db) -> None:
    coop_id, (m1, _) = await _setup(db, commission_bp=500)
    async with db.session() as s:
        await record_charter(s, coop_id, date(2025, 7, 1), Terms(live_sale_commission_bp=1000))
        await post(s, LiveSalePaid(coop_id, "june", datetime(2025, 6, 30, 15, 59, tzinfo=UTC), m1, 100_00, 0))
        await post(s, LiveSalePaid(coop_id, "july", datetime(2025, 6, 30, 16, 0, tzinfo=UTC), m1, 100_00, 0))
    # 16:00 UTC on 30 June is already 1 July in Asia/Shanghai
    assert (await _balances(db, coop_id))[c.LIVE_COMMISSION_MEMBER] == 5_00 + 10_00


@pytest.mark.postgres_only
async def test_concurrent_twins_post_once(db) -> None:
    """Two connections post the same reference at once: one entry, both get its id."""
    import asyncio

    coop_id, (m1, _) = await _setup(db)
    event = MachineryServicePaid(coop_id, "mb:twin:paid", WHEN, m1, 99_99)

    async def one() -> int:
        async with db.session() as s:
            return (await post(s, event)).entry_id

    first, second = await asyncio.gather(one(), one())
    assert first == second
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(JournalLine)) == 3
    assert await _volume(db, m1) == 99_99
