"""Write balanced journal entries and reverse them. The only code that inserts journal rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Table, exists, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan import clock
from caoyuan.bounds import FEN_MAX, check_day
from caoyuan.db import utcnow
from caoyuan.errors import BadInput, Conflict, NotFound
from coop.errors import CoopCode
from coop.models import Cooperative, Distribution, DistributionState, JournalEntry, JournalLine
from coop.rules.chart import CHART, ChartError, chart_for
from coop.rules.journal import SOURCE_LABELS, Line, UnbalancedEntry, check_balanced, source_label

ENTRY_TABLE: Table = JournalEntry.__table__  # type: ignore[attr-defined]
_LINE: Table = JournalLine.__table__  # type: ignore[attr-defined]
_DIST: Table = Distribution.__table__  # type: ignore[attr-defined]


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
    entry_date = entry_date or local_date(occurred_at)
    await ensure_year_open(db, cooperative_id, entry_date)
    entry = JournalEntry(
        cooperative_id=cooperative_id,
        entry_date=entry_date,
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


async def closing_distribution(db: AsyncSession, cooperative_id: int, year: int) -> int | None:
    """The posted, unreversed distribution that closed the year (年结), if any. Reversing it reopens the year."""
    d, rev = _DIST.c, _DIST.alias("reversal").c
    return await db.scalar(
        select(d.id)
        .where(
            d.cooperative_id == cooperative_id,
            d.year == year,
            d.state.in_([DistributionState.POSTED, DistributionState.PAID]),
            d.reverses_distribution_id.is_(None),
            ~exists().where(rev.reverses_distribution_id == d.id),
        )
        .limit(1)
    )


async def ensure_year_open(db: AsyncSession, cooperative_id: int, day: date) -> None:
    """年结: once a year's distribution is posted its figures are final, so no entry may be dated in it —
    whatever its source (manual, live sale, machinery, a reversal). Every journal row passes here."""
    if await closing_distribution(db, cooperative_id, day.year):
        raise Conflict(
            f"{day.year} 年已经年结（年度分配已入账），不能再记入日期在 {day.year} 年的凭证（{day}）；"
            f"请记在 {day.year + 1} 年，或先冲销 {day.year} 年的分配方案",
            field="entry_date",
            code=CoopCode.YEAR_CLOSED,
        )


def ensure_year_ended(year: int) -> None:
    """A year is distributed only after its last Beijing day: until then its surplus can still change."""
    today = clock.today()
    if year >= today.year:
        raise Conflict(
            f"{year} 年还没有结束（今天是 {today}），年度分配要到 {year + 1} 年 1 月 1 日以后才能入账",
            field="year",
            code=CoopCode.YEAR_NOT_ENDED,
        )


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


# ---------------------------------------------------------------- reading the journal, reversing by hand

PER_PAGE_MAX = 100
# entries other services write keep records beside the journal (member volume, the 三资 register, a
# distribution's state): those are corrected in their own business, never by reversing the entry alone
REVERSIBLE_BY_HAND = frozenset({"manual", "opening"})


@dataclass(frozen=True)
class EntryFilter:
    """What the ledger is narrowed to; every field optional. Amounts bound the entry's total (sum of debits)."""

    start: date | None = None
    end: date | None = None
    account: str = ""
    source: str = ""
    min_fen: int | None = None
    max_fen: int | None = None


@dataclass
class EntryPage:
    entries: list[JournalEntry]
    lines: dict[int, list[JournalLine]]
    totals: dict[int, int]
    reversed_by: dict[int, int]  # entry id → the entry that reversed it
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def check_filter(flt: EntryFilter, accounts: Mapping[str, object]) -> None:
    for value, name in ((flt.start, "start"), (flt.end, "end")):
        check_day(value, name, "日期")
    if flt.start and flt.end and flt.start > flt.end:
        raise BadInput("开始日期不能晚于结束日期", field="start")
    if flt.account and flt.account not in accounts:
        raise BadInput(f"科目 {flt.account[:8]} 不在科目表中", field="account")
    if flt.source and flt.source not in SOURCE_LABELS:
        raise BadInput("请从列表中选择凭证来源", field="source")
    for amount, name in ((flt.min_fen, "min_fen"), (flt.max_fen, "max_fen")):
        if amount is not None and not 0 <= amount <= FEN_MAX:
            raise BadInput("金额应在 0 到 10 万亿元之间", field=name)
    if flt.min_fen is not None and flt.max_fen is not None and flt.min_fen > flt.max_fen:
        raise BadInput("最小金额不能大于最大金额", field="min_fen")


async def browse_entries(
    db: AsyncSession, cooperative_id: int, flt: EntryFilter, page: int = 1, per_page: int = 30
) -> EntryPage:
    """One page of the journal, newest first, narrowed by ``flt``; the page count covers ALL entries."""
    check_filter(flt, CHART)  # any chart's code: lines written before a chart switch stay findable
    page, per_page = max(1, min(page, 100_000)), max(1, min(per_page, PER_PAGE_MAX))
    e, ln_ = ENTRY_TABLE.c, _LINE.c
    totals = (
        select(ln_.entry_id.label("entry_id"), func.sum(ln_.debit_fen).label("total"))
        .where(ln_.cooperative_id == cooperative_id)
        .group_by(ln_.entry_id)
        .subquery()
    )
    query = (
        select(JournalEntry, totals.c.total)
        .join(totals, totals.c.entry_id == e.id)
        .where(e.cooperative_id == cooperative_id)
    )
    if flt.start:
        query = query.where(e.entry_date >= flt.start)
    if flt.end:
        query = query.where(e.entry_date <= flt.end)
    if flt.source:
        query = query.where(e.kind == flt.source)
    if flt.account:
        on_account = select(ln_.entry_id).where(ln_.cooperative_id == cooperative_id, ln_.account_code == flt.account)
        query = query.where(e.id.in_(on_account))
    if flt.min_fen is not None:
        query = query.where(totals.c.total >= flt.min_fen)
    if flt.max_fen is not None:
        query = query.where(totals.c.total <= flt.max_fen)
    count = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    page_query = query.order_by(e.entry_date.desc(), e.id.desc()).limit(per_page).offset((page - 1) * per_page)
    rows = (await db.execute(page_query)).all()
    entries = [r[0] for r in rows]
    ids = [x.id for x in entries]
    lines: dict[int, list[JournalLine]] = {}
    reversed_by: dict[int, int] = {}
    if ids:
        for ln in (await db.scalars(select(JournalLine).where(ln_.entry_id.in_(ids)).order_by(ln_.id))).all():
            lines.setdefault(ln.entry_id, []).append(ln)
        found = await db.execute(select(e.reverses_entry_id, e.id).where(e.reverses_entry_id.in_(ids)))
        reversed_by = {int(a): int(b) for a, b in found.all()}
    return EntryPage(entries, lines, {r[0].id: int(r[1]) for r in rows}, reversed_by, count, page, per_page)


async def reverse_by_hand(
    db: AsyncSession, cooperative_id: int, entry_id: int, reason: str, user_id: int | None = None
) -> JournalEntry:
    """The accountant reverses one entry (红字冲销), with a reason. The reversal is dated on the original's
    day, so the year it belonged to is corrected; an entry of a closed year stays as it is."""
    reason = reason.strip()
    if not reason:
        raise BadInput("请写明冲销原因", field="reason")
    if len(reason) > 200:
        raise BadInput("冲销原因最多 200 个字", field="reason")
    original = await db.get(JournalEntry, entry_id)
    if original is None or original.cooperative_id != cooperative_id:
        raise NotFound("这个合作社没有这张凭证", field="entry_id")
    if original.kind not in REVERSIBLE_BY_HAND and original.reverses_entry_id is None:
        raise Conflict(
            f"这张凭证由「{source_label(original.kind)}」业务自动生成，请在原业务中更正（如退款、冲销分配方案），"
            "不能在账簿里单独冲销",
            field="entry_id",
        )
    if await closing_distribution(db, cooperative_id, original.entry_date.year):
        raise Conflict(
            f"凭证 #{entry_id} 属于已年结的 {original.entry_date.year} 年，不能冲销；请在 "
            f"{original.entry_date.year + 1} 年记一张更正凭证",
            field="entry_id",
            code=CoopCode.YEAR_CLOSED,
        )
    return await reverse_entry(db, entry_id, reason=reason, user_id=user_id, on=original.entry_date)
