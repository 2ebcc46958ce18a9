"""Opening the books (期初余额): the balance of every account on the day the cooperative starts keeping its
books here, posted as ONE balanced entry (source "opening"). Typed on a page, sent to the API, or filled
into an XLSX template generated from the chart; an import writes nothing unless every row is right."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.bounds import FEN_MAX
from caoyuan.errors import BadInput, Conflict
from caoyuan.exports import safe_row
from caoyuan.money import MoneyError, format_fen, parse_fen
from coop.models import JournalEntry
from coop.rules import chart
from coop.rules.journal import Line, credit, debit
from coop.services.ledger import ENTRY_TABLE, require_cooperative, write_entry
from coop.services.member_io import read_table

KIND = "opening"
HEADER = ("科目编码", "科目名称", "类别", "余额方向", "期初余额（元）")


def accounts_of(kind: str) -> list[chart.Account]:
    """The accounts of the chart a cooperative of this kind keeps its books in, in chart order."""
    return list(chart.chart_for(kind).accounts.values())


def direction(acc: chart.Account) -> str:
    return "借" if acc.debit_normal else "贷"


@dataclass(frozen=True)
class RowError:
    row: int  # the sheet's row number as Excel shows it
    message: str


def opening_lines(balances: Mapping[str, int]) -> list[Line]:
    """Each balance in its account's normal direction (a negative one on the other side: a loss in 未分配盈余)."""
    lines = []
    for code, amount in balances.items():
        if not amount:
            continue
        acc = chart.account(code)
        normal_debit = acc.debit_normal == (amount > 0)
        lines.append(
            debit(code, abs(amount), memo="期初余额") if normal_debit else credit(code, abs(amount), memo="期初余额")
        )
    return lines


def check_balances(balances: Mapping[str, int], kind: str) -> list[Line]:
    own = chart.chart_for(kind).accounts
    for code, amount in balances.items():
        if code not in own:
            raise BadInput(f"科目 {code[:8]} 不在科目表中", field=f"acct_{code[:8]}")
        if not isinstance(amount, int) or isinstance(amount, bool) or abs(amount) > FEN_MAX:
            raise BadInput("金额必须是整数（分），且不超过 10 万亿元", field=f"acct_{code}")
    lines = opening_lines(balances)
    if not lines:
        raise BadInput("请至少填写一个科目的期初余额", field="balances")
    debits = sum(ln.debit_fen for ln in lines)
    credits = sum(ln.credit_fen for ln in lines)
    if debits != credits:
        gap = abs(debits - credits)
        more = "借方" if debits > credits else "贷方"
        raise BadInput(
            f"期初余额借贷不平衡：借方合计 {format_fen(debits)}，贷方合计 {format_fen(credits)}，"
            f"{more}多 {format_fen(gap)}",
            field="balances",
            extra={"debit_fen": debits, "credit_fen": credits, "difference_fen": debits - credits},
        )
    return lines


async def opening_entry(db: AsyncSession, cooperative_id: int) -> JournalEntry | None:
    """The cooperative's opening entry still in force (an opening that was reversed no longer counts)."""
    e, rev = ENTRY_TABLE.c, ENTRY_TABLE.alias("reversal").c
    return await db.scalar(
        select(JournalEntry)
        .where(
            e.cooperative_id == cooperative_id,
            e.kind == KIND,
            e.reverses_entry_id.is_(None),
            ~exists().where(rev.reverses_entry_id == e.id),
        )
        .order_by(e.id)
        .limit(1)
    )


async def post_opening(
    db: AsyncSession, cooperative_id: int, on: date, balances: Mapping[str, int], user_id: int | None = None
) -> JournalEntry:
    """Post the opening balances as one entry; refused if unbalanced or if the books are already opened."""
    coop = await require_cooperative(db, cooperative_id)
    lines = check_balances(balances, coop.kind)
    if existing := await opening_entry(db, cooperative_id):
        raise Conflict(
            f"期初余额已经录入（凭证 #{existing.id}，{existing.entry_date}）；如需更正，请先在账簿里冲销这张凭证",
            field="entry_date",
        )
    return await write_entry(
        db, cooperative_id, lines, kind=KIND, description="期初余额（建账）", entry_date=on, user_id=user_id
    )


def template_xlsx(kind: str) -> bytes:
    """The template to fill: one row per account; cells pass safe_row like every export."""
    from openpyxl import Workbook  # a fifth of a second to import: only when a workbook is written

    book = Workbook()
    sheet = book.active
    sheet.title = "期初余额"
    sheet.append(safe_row(HEADER))
    for acc in accounts_of(kind):
        sheet.append(safe_row([acc.code, acc.name, chart.KIND_LABELS[acc.kind], direction(acc), None]))
    for column, width in zip("ABCDE", (10, 30, 12, 10, 16), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_template(content: bytes, filename: str, kind: str) -> tuple[dict[str, int], list[RowError]]:
    """Balances from a filled template, or every row's problem in Chinese (the caller writes nothing then)."""
    own = chart.chart_for(kind).accounts
    rows = read_table(content, filename)
    header = [str(v or "").strip() for v in rows[0]]
    if "科目编码" not in header or "期初余额（元）" not in header:
        return {}, [RowError(1, "第一行应是模板的表头（科目编码……期初余额（元））；请下载模板填写")]
    at_code, at_amount = header.index("科目编码"), header.index("期初余额（元）")
    balances: dict[str, int] = {}
    errors: list[RowError] = []
    for number, row in enumerate(rows[1:], start=2):
        code = str(row[at_code] if at_code < len(row) and row[at_code] is not None else "").strip()[:20]
        raw = row[at_amount] if at_amount < len(row) else None
        if code.endswith(".0"):  # Excel turns 1001 into 1001.0
            code = code[:-2]
        if code not in own:
            errors.append(RowError(number, f"科目编码「{code[:8]}」不在科目表中"))
            continue
        if code in balances:
            errors.append(RowError(number, f"科目 {code} 填了两次"))
            continue
        if raw is None or str(raw).strip() == "":
            continue
        if isinstance(raw, float) and round(raw, 2) == raw:
            raw = f"{raw:.2f}"  # a number cell, not text: keep its two decimals
        try:
            amount = parse_fen(str(raw).strip()[:30])
        except MoneyError as exc:
            errors.append(RowError(number, f"科目 {code} 的金额：{exc}"))
            continue
        if abs(amount) > FEN_MAX:
            errors.append(RowError(number, f"科目 {code} 的金额太大了"))
            continue
        balances[code] = amount
    return balances, errors
