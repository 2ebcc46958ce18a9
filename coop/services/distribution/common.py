"""Shared look-ups for the distribution services."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import NotFound
from coop.models import Distribution, JournalEntry, JournalLine
from coop.rules import chart as c
from coop.services.ledger import require_cooperative
from coop.services.reports import CLOSING_KINDS, account_sums

# The pool figures a distribution stores as <name>_fen; computing copies them, a reversal negates them.
POOL_FIGURES = (
    "surplus",
    "loss_cover",
    "reserve",
    "pool_development",
    "pool_assistance",
    "distributable",
    "patronage",
    "remainder",
    "collective",
)

# An allocation row's columns in the order computing writes them (COPY) and a reversal copies them.
ALLOCATION_COLUMNS = (
    "distribution_id",
    "member_id",
    "member_no",
    "volume_fen",
    "capital_fen",
    "reserve_base_fen",
    "subsidy_fen",
    "shares",
    "capital_counted",
    "member_days",
    "patronage_fen",
    "patronage_adj",
    "remainder_fen",
    "remainder_adj",
    "reserve_share_fen",
    "reserve_adj",
    "total_fen",
    "paid_channel",
)


async def load(db: AsyncSession, distribution_id: int, *, lock: bool = False) -> Distribution:
    query = select(Distribution).where(Distribution.id == distribution_id)
    if lock:
        query = query.with_for_update()
    dist = await db.scalar(query)
    if dist is None:
        raise NotFound("没有这个分配方案", field="distribution_id")
    return dist


async def reversed_by(db: AsyncSession, distribution_id: int) -> int | None:
    return await db.scalar(select(Distribution.id).where(Distribution.reverses_distribution_id == distribution_id))


async def machinery_costs(db: AsyncSession, cooperative_id: int, start: date, end: date) -> int:
    expense_codes = [a.code for a in c.CHART.values() if a.kind == c.AccountKind.EXPENSE]
    total = await db.scalar(
        select(func.coalesce(func.sum(JournalLine.debit_fen - JournalLine.credit_fen), 0))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(
            JournalLine.cooperative_id == cooperative_id,
            JournalLine.fund == c.MACHINERY_FUND,
            JournalLine.account_code.in_(expense_codes),
            JournalEntry.entry_date >= start,
            JournalEntry.entry_date <= end,
            JournalEntry.kind.not_in(CLOSING_KINDS),
        )
    )
    return int(total)


async def year_figures(db: AsyncSession, cooperative_id: int, year: int) -> tuple[int, int, int, dict]:
    """(surplus, prior loss, machinery net earnings, per-account sums) of a year, closing entries left out.
    Machinery net earnings = 农机作业 income less the costs tagged as machinery (wages, relief, fuel,
    machines' depreciation…): the pool the charter may split 六四开."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    sums = await account_sums(db, cooperative_id, start=start, end=end, exclude_kinds=CLOSING_KINDS)
    surplus = machinery = 0
    for code, (d, cr) in sums.items():
        acc = c.account(code)
        if acc.kind == c.AccountKind.INCOME:
            surplus += cr - d
            if acc.group == "农机作业":
                machinery += cr - d
        elif acc.kind == c.AccountKind.EXPENSE:
            surplus -= d - cr
    machinery -= await machinery_costs(db, cooperative_id, start, end)
    before = await account_sums(db, cooperative_id, end=date(year - 1, 12, 31))
    chart = c.chart_for((await require_cooperative(db, cooperative_id)).kind)
    d, cr = before.get(chart.code(c.UNDISTRIBUTED), (0, 0))  # the kind's own 未分配 account
    prior_loss = max(0, d - cr)  # a debit balance of 未分配盈余 is an uncovered loss
    return surplus, prior_loss, machinery, sums
