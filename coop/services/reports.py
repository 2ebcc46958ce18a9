"""Reports for any period, summed in SQL: trial balance, income statement, balance sheet."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.bounds import check_day
from caoyuan.errors import BadInput
from coop.models import JournalEntry, JournalLine
from coop.rules import reports
from coop.rules.reports import Sums

CLOSING_KINDS = ("closing",)  # year-end transfers of income and expense to 本年盈余


def check_period(start: date, end: date) -> None:
    """A report's days within the books' range (the day before 0001-01-01 does not exist), start first."""
    check_day(start, "start", "开始日期")
    check_day(end, "end", "结束日期")
    if start > end:
        raise BadInput("开始日期不能晚于结束日期", field="start")


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
    check_period(start, end)
    before = await account_sums(db, cooperative_id, end=date.fromordinal(start.toordinal() - 1))
    period = await account_sums(db, cooperative_id, start=start, end=end)
    return reports.trial_balance(before, period)


async def income_statement(db: AsyncSession, cooperative_id: int, start: date, end: date) -> reports.IncomeStatement:
    check_period(start, end)
    return reports.income_statement(
        await account_sums(db, cooperative_id, start=start, end=end, exclude_kinds=CLOSING_KINDS)
    )


async def balance_sheet(db: AsyncSession, cooperative_id: int, on: date) -> reports.BalanceSheet:
    check_day(on, "on", "报表日期")
    return reports.balance_sheet(await account_sums(db, cooperative_id, end=on))
