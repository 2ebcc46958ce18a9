"""The journal: every entry balanced (service and, on PostgreSQL, the database), immutable, reversible."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from caoyuan.db import utcnow
from caoyuan.errors import BadInput, Conflict
from coop.models import JournalEntry, JournalLine
from coop.rules import chart as c
from coop.rules.journal import Line, UnbalancedEntry, check_balanced, credit, debit
from coop.services.ledger import reverse_entry, write_entry
from tests.factories.coop import make_cooperative


@given(st.lists(st.integers(1, 10**9), min_size=1, max_size=8), st.integers(-3, 3))
def test_balance_rule_accepts_exactly_the_balanced(amounts: list[int], skew: int) -> None:
    lines = [debit(c.CASH, a) for a in amounts] + [credit(c.OTHER_INCOME, sum(amounts) + skew)]
    if skew == 0:
        check_balanced(lines)
        check_balanced([ln.reversed() for ln in lines])
    elif sum(amounts) + skew > 0:
        with pytest.raises(UnbalancedEntry):
            check_balanced(lines)


def test_balance_rule_refuses_odd_lines() -> None:
    for lines in (
        [debit(c.CASH, 5)],
        [debit(c.CASH, 5), credit("9999", 5)],
        [Line(c.CASH, 5, 5), credit(c.OTHER_INCOME, 0)],
        [debit(c.CASH, -5), credit(c.OTHER_INCOME, -5)],
    ):
        with pytest.raises(UnbalancedEntry):
            check_balanced(lines)


def test_every_account_has_a_known_kind_and_unique_code() -> None:
    assert len(c.CHART) == len({a.code for a in c.CHART.values()})
    assert c.account(c.DEPRECIATION_ACC).debit_normal is False  # contra asset
    assert c.account(c.SHARE_CAPITAL).debit_normal is False and c.account(c.WAGES).debit_normal is True
    incomes = [a for a in c.CHART.values() if a.kind == c.AccountKind.INCOME and a.member_business is not None]
    assert {a.member_business for a in incomes} == {True, False}


async def test_unbalanced_entry_is_refused_and_nothing_written(db) -> None:
    async with db.session() as s:
        coop, _ = await make_cooperative(s)
    with pytest.raises(BadInput) as refused:
        async with db.session() as s:
            await write_entry(s, coop.id, [debit(c.CASH, 100), credit(c.OTHER_INCOME, 99)], kind="manual")
    assert "借贷不平衡" in refused.value.message
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(JournalEntry)) == 0


async def test_reversal_restores_balances_and_happens_once(db) -> None:
    async with db.session() as s:
        coop, members = await make_cooperative(s)
        entry = await write_entry(
            s,
            coop.id,
            [
                debit(c.BANK, 500_00),
                credit(c.SUBSIDY_INCOME, 300_00),
                credit(c.MEMBER_CURRENT, 200_00, member_id=members[0].id),
            ],
            kind="manual",
            entry_date=date(2025, 3, 1),
        )
    async with db.session() as s:
        reversal = await reverse_entry(s, entry.id, reason="录错了")
        assert reversal.reverses_entry_id == entry.id
    async with db.session() as s:
        net = func.sum(JournalLine.debit_fen - JournalLine.credit_fen)
        sums = (await s.execute(select(JournalLine.account_code, net).group_by(JournalLine.account_code))).all()
        assert all(int(total) == 0 for _, total in sums)
    with pytest.raises(Conflict):
        async with db.session() as s:
            await reverse_entry(s, entry.id, reason="again")
    with pytest.raises(Conflict):
        async with db.session() as s:
            await reverse_entry(s, reversal.id, reason="reverse the reversal")


@pytest.mark.postgres_only
async def test_postgres_refuses_unbalanced_lines_written_directly(db) -> None:
    async with db.session() as s:
        coop, _ = await make_cooperative(s)
        coop_id = coop.id
    with pytest.raises(IntegrityError, match="not balanced"):
        async with db.session() as s:
            entry = JournalEntry(
                cooperative_id=coop_id, entry_date=date(2025, 1, 1), occurred_at=utcnow(), kind="manual"
            )
            s.add(entry)
            await s.flush()
            await s.execute(
                insert(JournalLine),
                [
                    {"entry_id": entry.id, "cooperative_id": coop_id, "account_code": c.CASH, "debit_fen": 100},
                    {"entry_id": entry.id, "cooperative_id": coop_id, "account_code": c.OTHER_INCOME, "credit_fen": 90},
                ],
            )
    with pytest.raises(IntegrityError, match="not balanced"):  # an entry with no lines at all
        async with db.session() as s:
            s.add(
                JournalEntry(cooperative_id=coop_id, entry_date=date(2025, 1, 1), occurred_at=utcnow(), kind="manual")
            )
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(JournalEntry)) == 0


@pytest.mark.postgres_only
async def test_postgres_refuses_to_edit_or_delete_posted_rows(db) -> None:
    async with db.session() as s:
        coop, _ = await make_cooperative(s)
        entry = await write_entry(s, coop.id, [debit(c.CASH, 100), credit(c.OTHER_INCOME, 100)], kind="manual")
    for statement in (
        update(JournalLine).where(JournalLine.entry_id == entry.id).values(debit_fen=0),
        text("DELETE FROM coop_journal_line"),
        update(JournalEntry).where(JournalEntry.id == entry.id).values(description="changed"),
        text("DELETE FROM coop_journal_entry"),
    ):
        with pytest.raises(DBAPIError, match="cannot be changed"):
            async with db.session() as s:
                await s.execute(statement)
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(JournalLine)) == 2
