"""Reports for any period, summed in SQL: trial balance, income statement, balance sheet."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from caoyuan.bounds import check_day
from caoyuan.errors import BadInput
from coop.models import Cooperative, Distribution, DistributionState, JournalEntry, JournalLine
from coop.rules import reports
from coop.rules.chart import COLLECTIVE, UNDISTRIBUTED, chart_for, signed_balance
from coop.rules.reports import Sums
from coop.rules.statement_lines import Drawn, ReportLine, income_and_distribution

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


async def collective_income_report(
    db: AsyncSession, cooperative_id: int, start: date, end: date
) -> tuple[str, list[ReportLine]] | None:
    """A 股份经济合作社's 收益及收益分配表 (财会〔2023〕14号) for the period; None for a 农民专业合作社, whose
    收支明细表 is ``income_statement``. The distribution part is shown for a calendar year whose
    distribution is posted (and not reversed)."""
    check_period(start, end)
    coop = await db.get(Cooperative, cooperative_id)
    if coop is None:
        raise BadInput("没有这个合作社", field="cooperative_id")
    chart = chart_for(coop.kind)
    if chart is not COLLECTIVE:
        return None
    period = await account_sums(db, cooperative_id, start=start, end=end, exclude_kinds=CLOSING_KINDS)
    before = await account_sums(db, cooperative_id, end=date.fromordinal(start.toordinal() - 1))
    code = chart.code(UNDISTRIBUTED)
    opening = signed_balance(code, *before.get(code, (0, 0)))
    drawn = None
    if (start.month, start.day) == (1, 1) and end.year == start.year:
        drawn = await _drawn(db, cooperative_id, start.year)
    return chart.income_statement_title, income_and_distribution(chart, period, opening, drawn)


async def _drawn(db: AsyncSession, cooperative_id: int, year: int) -> Drawn | None:
    reversal = aliased(Distribution)
    reversed_ids = select(col(reversal.reverses_distribution_id)).where(col(reversal.cooperative_id) == cooperative_id)
    dist = (
        await db.scalars(
            select(Distribution).where(
                col(Distribution.cooperative_id) == cooperative_id,
                col(Distribution.year) == year,
                col(Distribution.state).in_([DistributionState.POSTED, DistributionState.PAID]),
                col(Distribution.reverses_distribution_id).is_(None),
                col(Distribution.id).not_in(reversed_ids.where(col(reversal.reverses_distribution_id).is_not(None))),
            )
        )
    ).first()
    if dist is None:
        return None
    return Drawn(
        dist.reserve_fen + dist.pool_development_fen + dist.pool_assistance_fen,
        dist.patronage_fen + dist.remainder_fen,
        dist.collective_fen,
    )
