"""Shared look-ups for the distribution services."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import NotFound
from coop.models import Distribution
from coop.rules import chart as c
from coop.services.reports import CLOSING_KINDS, account_sums


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


async def year_figures(db: AsyncSession, cooperative_id: int, year: int) -> tuple[int, int, int, dict]:
    """(surplus, prior loss, machinery income, per-account sums) of a year, closing entries left out."""
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
    before = await account_sums(db, cooperative_id, end=date(year - 1, 12, 31))
    d, cr = before.get(c.UNDISTRIBUTED, (0, 0))
    prior_loss = max(0, d - cr)  # a debit balance of 未分配盈余 is an uncovered loss
    return surplus, prior_loss, machinery, sums
