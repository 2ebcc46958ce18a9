"""A year's distribution end to end on both databases: draft → approved → posted → published → paid,
every 4xx writing nothing, and a reversing distribution restoring every balance."""

from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from caoyuan.errors import BadInput, Conflict
from coop.models import Allocation, Distribution, JournalLine, Member, MemberAccountItem
from coop.posting import LiveSalePaid, MachineryServicePaid, post
from coop.rules import chart as c
from coop.rules.charter import Terms
from coop.rules.journal import credit, debit
from coop.services.accounts import member_account
from coop.services.charter import record_charter
from coop.services.contributions import ContributionIn, contribute
from coop.services.distribution import (
    approve,
    compute_draft,
    convert_to_capital,
    pay,
    pay_all,
    post_distribution,
    publish,
    reverse_distribution,
)
from coop.services.distribution.approve import AssemblyVote
from coop.services.ledger import write_entry
from coop.services.reports import account_sums
from tests.factories.coop import make_cooperative

VOTE = AssemblyVote(date(2026, 1, 20), votes_for=frozenset({1, 2, 3}))


async def _year(s, volumes=(12_400_00, 3_000_00, 0), expense=1_000_00, name=None):  # type: ignore[no-untyped-def]
    coop, members = await make_cooperative(s, members=3, name=name)
    await record_charter(s, coop.id, date(2020, 1, 1), Terms(reserve_rate_bp=1000, patronage_rate_bp=6000))
    for m, kind, kw in zip(
        members,
        ("land", "cash", "labour"),
        ({"area_hundredths": 11_00, "plot": "东梁"}, {"amount_fen": 5_000_00}, {"labour_days": 60}),
        strict=True,
    ):
        await contribute(s, coop.id, ContributionIn(m.id, kind, date(2025, 3, 1), **kw))
    when = datetime(2025, 9, 20, 3, tzinfo=UTC)
    for i, (m, v) in enumerate(zip(members, volumes, strict=True)):
        if v:
            await post(s, MachineryServicePaid(coop.id, f"{coop.id}:mb:{i}", when, m.id, v))
    await post(s, LiveSalePaid(coop.id, f"{coop.id}:so:x", when, None, 8_000_00, 0))
    if expense:
        await write_entry(
            s,
            coop.id,
            [debit(c.INSURANCE, expense), credit(c.BANK, expense)],
            kind="manual",
            entry_date=date(2025, 5, 1),
        )
    return coop.id, [m.id for m in members]


async def _count(db, table) -> int:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(table)))


async def test_the_whole_lifecycle(db) -> None:
    async with db.session() as s:
        coop_id, (m1, m2, m3) = await _year(s)
        draft = await compute_draft(s, coop_id, 2025)
    surplus = 12_400_00 + 3_000_00 + 8_000_00 - 1_000_00
    assert draft.surplus_fen == surplus and draft.reserve_fen == surplus // 10
    assert draft.patronage_fen + draft.remainder_fen == draft.distributable_fen == surplus - draft.reserve_fen
    async with db.session() as s:
        rows = {a.member_id: a for a in (await s.scalars(select(Allocation))).all()}
    assert sum(a.total_fen for a in rows.values()) == draft.distributable_fen
    assert rows[m3].patronage_fen == 0 and rows[m3].remainder_fen > 0  # labour shares, no volume
    assert rows[m1].patronage_fen * 15_400_00 // 12_400_00 in range(draft.patronage_fen - 1, draft.patronage_fen + 2)

    with pytest.raises(Conflict, match="成员大会"):  # not approved yet
        async with db.session() as s:
            await post_distribution(s, draft.id)
    with pytest.raises(BadInput, match="三分之二"):
        async with db.session() as s:
            await approve(s, draft.id, AssemblyVote(date(2026, 1, 20), frozenset({1})))
    async with db.session() as s:
        await approve(s, draft.id, VOTE)
    with pytest.raises(Conflict):  # an approved plan is not recomputed
        async with db.session() as s:
            await compute_draft(s, coop_id, 2025)
    async with db.session() as s:
        await post_distribution(s, draft.id)
    lines_after_post = await _count(db, JournalLine)
    with pytest.raises(Conflict, match="不能重复入账"):
        async with db.session() as s:
            await post_distribution(s, draft.id)
    assert await _count(db, JournalLine) == lines_after_post

    async with db.session() as s:
        books = await account_sums(s, coop_id)
        bal = {k: c.signed_balance(k, *v) for k, v in books.items()}
        assert bal.get(c.CURRENT_SURPLUS, 0) == 0
        assert bal[c.PATRONAGE_PAYABLE] == draft.patronage_fen and bal[c.REMAINDER_PAYABLE] == draft.remainder_fen
        assert bal[c.SURPLUS_RESERVE] == draft.reserve_fen
        assert all(bal.get(k, 0) == 0 for k in c.CHART if c.account(k).kind in ("income", "expense"))
        acct = await member_account(s, await s.get(Member, m1))
        assert acct.reserve_share_fen == rows[m1].reserve_share_fen > 0
        assert acct.dividends_fen == rows[m1].total_fen
        await publish(s, draft.id)

    async with db.session() as s:
        await pay(s, draft.id, m1, "bank", date(2026, 2, 1))
        shares = await convert_to_capital(s, draft.id, m2, date(2026, 2, 1))
        assert shares == rows[m2].total_fen // 100_00
    with pytest.raises(Conflict, match="发放过了"):
        async with db.session() as s:
            await pay(s, draft.id, m1, "cash", date(2026, 2, 2))
    with pytest.raises(Conflict, match="不能冲销"):
        async with db.session() as s:
            await reverse_distribution(s, draft.id, "算错了")
    async with db.session() as s:
        assert await pay_all(s, draft.id, "cash", date(2026, 2, 3)) == 1
        assert (await s.get(Distribution, draft.id)).state == "paid"
        bal = {k: c.signed_balance(k, *v) for k, v in (await account_sums(s, coop_id)).items()}
        assert bal.get(c.PATRONAGE_PAYABLE, 0) == 0 and bal.get(c.REMAINDER_PAYABLE, 0) == 0


async def test_policy_and_year_errors_write_nothing(db) -> None:
    async with db.session() as s:
        coop_id, _ = await _year(s, volumes=(0, 0, 0))
    with pytest.raises(BadInput, match="交易量"):
        async with db.session() as s:
            await compute_draft(s, coop_id, 2025)
    async with db.session() as s:
        other, _ = await make_cooperative(s, members=1, name="没有章程的社")
    with pytest.raises(BadInput, match="章程"):
        async with db.session() as s:
            await compute_draft(s, other.id, 2025)
    assert await _count(db, Distribution) == 0 and await _count(db, Allocation) == 0


async def test_draft_recomputes_freely_when_the_books_change(db) -> None:
    async with db.session() as s:
        coop_id, (m1, _, _) = await _year(s)
        first = await compute_draft(s, coop_id, 2025)
    async with db.session() as s:
        await post(s, MachineryServicePaid(coop_id, "late", datetime(2025, 12, 30, tzinfo=UTC), m1, 1_000_00))
    with pytest.raises(Conflict, match="重新计算"):
        async with db.session() as s:
            await approve(s, first.id, VOTE)
    async with db.session() as s:
        again = await compute_draft(s, coop_id, 2025)
    assert again.id == first.id and again.surplus_fen == first.surplus_fen + 1_000_00
    assert await _count(db, Allocation) == 3


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.tuples(st.integers(1, 10**8), st.integers(0, 10**8), st.integers(0, 10**8)), st.integers(0, 10**7))
async def test_reversal_restores_every_balance(db, volumes, expense) -> None:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        coop_id, _ = await _year(s, volumes=volumes, expense=expense, name=f"冲销测试{volumes}{expense}"[:100])
        before = await account_sums(s, coop_id)
        draft = await compute_draft(s, coop_id, 2025)
        await approve(s, draft.id, VOTE)
        await post_distribution(s, draft.id)
    async with db.session() as s:
        rev = await reverse_distribution(s, draft.id, "成员大会决议重新分配")
    async with db.session() as s:
        after = await account_sums(s, coop_id)
        net = lambda sums: {k: d - cr for k, (d, cr) in sums.items() if d != cr}  # noqa: E731
        assert net(after) == net(before)
        per_member = (
            await s.execute(
                select(MemberAccountItem.member_id, func.sum(MemberAccountItem.amount_fen))
                .where(MemberAccountItem.distribution_id.in_([draft.id, rev.id]))
                .group_by(MemberAccountItem.member_id)
            )
        ).all()
        assert all(int(total) == 0 for _, total in per_member)
        assert (await s.get(Distribution, rev.id)).surplus_fen == -draft.surplus_fen
    with pytest.raises(Conflict):
        async with db.session() as s:
            await reverse_distribution(s, draft.id, "again")
    async with db.session() as s:  # the year can be computed again, to the same figures
        redo = await compute_draft(s, coop_id, 2025)
        assert redo.id not in (draft.id, rev.id) and redo.distributable_fen == draft.distributable_fen
