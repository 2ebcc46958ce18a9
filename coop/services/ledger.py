"""Write balanced journal entries and reverse them. The only code that inserts journal rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan import clock
from caoyuan.bounds import check_day
from caoyuan.db import utcnow
from caoyuan.errors import BadInput, Conflict, NotFound
from coop.models import Cooperative, JournalEntry, JournalLine
from coop.rules.chart import ChartError, chart_for
from coop.rules.journal import Line, UnbalancedEntry, check_balanced


def local_date(moment: datetime) -> date:
    if moment.tzinfo is None:
        raise BadInput("时间必须带时区（UTC）", field="occurred_at")
    return clock.beijing_day(moment)


async def require_cooperative(db: AsyncSession, cooperative_id: int) -> Cooperative:
    coop = await db.get(Cooperative, cooperative_id)
    if coop is None:
        raise NotFound("没有这个合作社", field="cooperative_id")
    return coop


async def write_entry(
    db: AsyncSession,
    cooperative_id: int,
    lines: Sequence[Line],
    *,
    kind: str,
    description: str = "",
    occurred_at: datetime | None = None,
    entry_date: date | None = None,
    user_id: int | None = None,
    reverses_entry_id: int | None = None,
    localize: bool = True,
) -> JournalEntry:
    """Insert one entry and its lines after checking the balance (the database checks it again). Lines are
    put on the accounts of the cooperative's own chart (coop.rules.chart.chart_for its kind); only the
    switch-over entry (coop.services.chart_switch), which empties the other chart's accounts, skips that."""
    coop = await require_cooperative(db, cooperative_id)
    try:
        lines = chart_for(coop.kind).localize(lines) if localize else list(lines)
    except ChartError as exc:
        raise BadInput(str(exc), field="lines") from None
    try:
        check_balanced(lines)
    except UnbalancedEntry as exc:
        raise BadInput(str(exc), field="lines") from None
    check_day(entry_date, "entry_date", "凭证日期")  # books run 2000–2100; year 1 would break the reports
    occurred_at = occurred_at or utcnow()
    entry = JournalEntry(
        cooperative_id=cooperative_id,
        entry_date=entry_date or local_date(occurred_at),
        occurred_at=occurred_at,
        kind=kind,
        description=description[:300],
        created_by_user_id=user_id,
        reverses_entry_id=reverses_entry_id,
    )
    db.add(entry)
    await db.flush()
    await db.execute(
        insert(JournalLine),
        [
            {
                "entry_id": entry.id,
                "cooperative_id": cooperative_id,
                "account_code": ln.account_code,
                "debit_fen": ln.debit_fen,
                "credit_fen": ln.credit_fen,
                "member_id": ln.member_id,
                "fund": ln.fund,
                "memo": ln.memo[:200],
            }
            for ln in lines
        ],
    )
    return entry


async def entry_lines(db: AsyncSession, entry_id: int) -> list[Line]:
    rows = (
        await db.scalars(select(JournalLine).where(JournalLine.entry_id == entry_id).order_by(JournalLine.id))
    ).all()
    return [Line(r.account_code, r.debit_fen, r.credit_fen, r.member_id, r.fund, r.memo) for r in rows]


async def reverse_entry(
    db: AsyncSession,
    entry_id: int,
    *,
    reason: str,
    user_id: int | None = None,
    on: date | None = None,
    kind: str = "reversal",
) -> JournalEntry:
    """红字冲销: a new entry with every line's sides swapped. An entry is reversed at most once."""
    original = await db.get(JournalEntry, entry_id)
    if original is None:
        raise NotFound("没有这张凭证", field="entry_id")
    if original.reverses_entry_id is not None:
        raise Conflict("这张凭证本身是冲销凭证，不能再冲销")
    if await db.scalar(select(JournalEntry.id).where(JournalEntry.reverses_entry_id == entry_id)):
        raise Conflict("这张凭证已经冲销过了")
    lines = [ln.reversed() for ln in await entry_lines(db, entry_id)]
    return await write_entry(
        db,
        original.cooperative_id,
        lines,
        kind=kind,
        description=f"冲销凭证 #{entry_id}：{reason}",
        entry_date=on,
        user_id=user_id,
        reverses_entry_id=entry_id,
    )
