"""Reports for any period, summed in SQL: trial balance, income statement, balance sheet."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from coop.models import JournalEntry, JournalLine
from coop.rules import reports
from coop.rules.reports import Sums

CLOSING_KINDS = ("closing",)  # year-end transfers of income and expense to 本年盈余


async def account_sums(
    db: AsyncSession,
    cooperative_id: int,
    *,
    start: date | None = None,
    end: date | None = None,
    exclude_kinds: tuple[str, ...] = (),
) -> Sums:
    query = (
        select(JournalLine.account_code, func.sum(JournalLine.debit_fen), func.sum(JournalLine.credit_fen))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalLine.cooperative_id == cooperative_id)
        .group_by(JournalLine.account_code)
    )
    if start is not None:
        query = query.where(JournalEntry.entry_date >= start)
    if end is not None:
        query = query.where(JournalEntry.entry_date <= end)
    if exclude_kinds:
        query = query.where(JournalEntry.kind.not_in(exclude_kinds))
    return {code: (int(d), int(c)) for code, d, c in (await db.execute(query)).all()}


async def trial_balance(db: AsyncSession, cooperative_id: int, start: date, end: date) -> list[reports.TrialRow]:
    before = await account_sums(db, cooperative_id, end=date.fromordinal(start.toordinal() - 1))
    period = await account_sums(db, cooperative_id, start=start, end=end)
    return reports.trial_balance(before, period)


async def income_statement(db: AsyncSession, cooperative_id: int, start: date, end: date) -> reports.IncomeStatement:
    return reports.income_statement(
        await account_sums(db, cooperative_id, start=start, end=end, exclude_kinds=CLOSING_KINDS)
    )


async def balance_sheet(db: AsyncSession, cooperative_id: int, on: date) -> reports.BalanceSheet:
    return reports.balance_sheet(await account_sums(db, cooperative_id, end=on))
