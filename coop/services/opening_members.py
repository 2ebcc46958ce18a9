"""Members' accounts carried over from paper: each household's shares and paid-in capital (as a numbered
opening entry of the share register, so its certificate carries a number) and its accumulated quantified
reserve (公积金量化). The money is already in the opening entry's 股金; these rows say whose it is."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Table, exists, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.bounds import COUNT_MAX, FEN_MAX
from caoyuan.errors import BadInput, Conflict
from caoyuan.exports import safe_row
from caoyuan.money import MoneyError, format_fen, parse_fen
from coop.models import AccountItem, Cooperative, MemberAccountItem, ShareOp, ShareTransaction
from coop.rules import chart
from coop.services.ledger import entry_lines
from coop.services.member_io import read_table
from coop.services.opening import RowError, opening_entry
from coop.services.shares import lock_register
from coop.services.subsidies import admitted_members

REASON = "期初结转（纸质股权登记簿）"
HEADER = ("社员号", "姓名", "股数", "出资额（元）", "公积金量化额（元）")
SHARES: Table = ShareTransaction.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class MemberOpening:
    member_no: int
    shares: int = 0
    capital_fen: int = 0
    reserve_fen: int = 0


async def carried_over(db: AsyncSession, cooperative_id: int) -> bool:
    t = SHARES.c
    return bool(await db.scalar(select(exists().where(t.cooperative_id == cooperative_id, t.reason == REASON))))


async def post_member_opening(
    db: AsyncSession, cooperative_id: int, rows: Sequence[MemberOpening], user_id: int | None = None
) -> int:
    """Carry the households' capital and reserve shares over, once, on the books' opening day; returns how
    many households. Refused before the account balances are in, or if capital exceeds their 股金."""
    entry = await opening_entry(db, cooperative_id)
    if entry is None:
        raise Conflict("请先录入各科目的期初余额，再结转社员的股金和公积金量化", field="file")
    if await carried_over(db, cooperative_id):
        raise Conflict("社员的期初股金已经结转过了", field="file")
    by_no = {m.member_no: m for m in await admitted_members(db, cooperative_id)}
    seen: set[int] = set()
    for r in rows:
        if r.member_no not in by_no:
            raise BadInput(f"没有在册的 {r.member_no} 号社员", field="rows")
        if r.member_no in seen:
            raise BadInput(f"{r.member_no} 号社员填了两次", field="rows")
        seen.add(r.member_no)
        if not (0 <= r.shares <= COUNT_MAX and 0 <= r.capital_fen <= FEN_MAX and 0 <= r.reserve_fen <= FEN_MAX):
            raise BadInput(f"{r.member_no} 号社员的数字超出范围", field="rows")
        if (r.shares > 0) != (r.capital_fen > 0):
            raise BadInput(f"{r.member_no} 号社员：股数和出资额要么都填，要么都不填", field="rows")
    capital = sum(r.capital_fen for r in rows)
    coop = await db.get(Cooperative, cooperative_id)
    capital_code = chart.chart_for(coop.kind).code(chart.SHARE_CAPITAL) if coop else chart.SHARE_CAPITAL
    lines = [ln for ln in await _opening_lines(db, entry.id or 0) if ln[0] == capital_code]
    share_capital = sum(cr - d for _, d, cr in lines)
    if capital > share_capital:
        raise BadInput(
            f"社员出资合计 {format_fen(capital)}，超过了期初余额里的股金 {format_fen(share_capital)}，"
            f"多 {format_fen(capital - share_capital)}",
            field="rows",
        )
    number = await lock_register(db, cooperative_id)
    for r in sorted(rows, key=lambda x: x.member_no):
        member = by_no[r.member_no]
        if r.shares:
            await db.execute(
                insert(ShareTransaction).values(
                    cooperative_id=cooperative_id,
                    number=number,
                    op=ShareOp.SUBSCRIBE,
                    member_id=member.id,
                    shares=r.shares,
                    amount_fen=r.capital_fen,
                    effective_on=entry.entry_date,
                    reason=REASON,
                    created_by_user_id=user_id,
                )
            )
            number += 1
        if r.reserve_fen:
            await db.execute(
                insert(MemberAccountItem).values(
                    cooperative_id=cooperative_id,
                    member_id=member.id,
                    year=entry.entry_date.year - 1,  # accumulated before the books came here
                    item=AccountItem.RESERVE_SHARE,
                    amount_fen=r.reserve_fen,
                    note="期初结转（纸质账）",
                )
            )
    return len([r for r in rows if r.shares or r.reserve_fen])


async def _opening_lines(db: AsyncSession, entry_id: int) -> list[tuple[str, int, int]]:
    return [(ln.account_code, ln.debit_fen, ln.credit_fen) for ln in await entry_lines(db, entry_id)]


async def member_template_xlsx(db: AsyncSession, cooperative_id: int) -> bytes:
    from openpyxl import Workbook  # a fifth of a second to import: only when a workbook is written

    book = Workbook()
    sheet = book.active
    sheet.title = "社员期初股金"
    sheet.append(safe_row(HEADER))
    for m in await admitted_members(db, cooperative_id):
        sheet.append(safe_row([m.member_no, m.name, None, None, None]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _amount(raw: object, what: str) -> int:
    if raw is None or str(raw).strip() == "":
        return 0
    if isinstance(raw, float) and round(raw, 2) == raw:
        raw = f"{raw:.2f}"
    value = parse_fen(str(raw).strip()[:30])
    if not 0 <= value <= FEN_MAX:
        raise MoneyError(f"{what}应在 0 到 10 万亿元之间")
    return value


def read_member_template(content: bytes, filename: str) -> tuple[list[MemberOpening], list[RowError]]:
    """Rows of a filled member template, or each row's problem in Chinese (then nothing is written)."""
    rows = read_table(content, filename)
    header = [str(v or "").strip() for v in rows[0]]
    if any(h not in header for h in ("社员号", "股数", "出资额（元）", "公积金量化额（元）")):
        return [], [RowError(1, "第一行应是模板的表头（社员号、姓名、股数、出资额（元）、公积金量化额（元））")]
    at = {h: header.index(h) for h in HEADER if h in header}
    out: list[MemberOpening] = []
    errors: list[RowError] = []
    for number, row in enumerate(rows[1:], start=2):
        cells = {h: (row[i] if i < len(row) else None) for h, i in at.items()}
        try:
            member_no = int(float(str(cells.get("社员号")).strip()[:12]))
            raw_shares = cells.get("股数")
            shares = int(float(str(raw_shares).strip()[:15])) if raw_shares not in (None, "") else 0
            if not 0 <= shares <= COUNT_MAX or (isinstance(raw_shares, float) and not raw_shares.is_integer()):
                raise ValueError
        except ValueError:
            errors.append(RowError(number, "社员号和股数应为非负整数"))
            continue
        try:
            capital = _amount(cells.get("出资额（元）"), "出资额")
            reserve = _amount(cells.get("公积金量化额（元）"), "公积金量化额")
        except MoneyError as exc:
            errors.append(RowError(number, f"{member_no} 号社员：{exc}"))
            continue
        if (shares > 0) != (capital > 0):
            errors.append(RowError(number, f"{member_no} 号社员：股数和出资额要么都填，要么都不填"))
            continue
        if shares or capital or reserve:
            out.append(MemberOpening(member_no, shares, capital, reserve))
    return out, errors
