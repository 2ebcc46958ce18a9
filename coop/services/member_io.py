"""Member lists in and out: CSV / XLSX import (good rows in, bad rows listed) and XLSX export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import BadInput
from caoyuan.exports import safe_row
from caoyuan.identity import mask_id_number
from coop.models import STATUS_LABELS, Member, MemberStatusChange
from coop.rules.members import EXPORT_COLUMNS, MemberDraft, RowError, column_map, parse_row
from coop.services.ledger import require_cooperative
from coop.services.members import admit, next_member_no

MAX_ROWS = 50_000


@dataclass
class ImportReport:
    imported: list[int] = field(default_factory=list)  # member numbers
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row number in the file, reason)


def read_table(content: bytes, filename: str) -> list[list[object]]:
    """Rows of the first sheet (XLSX) or of a CSV file (UTF-8, or GBK as older Excel saves it)."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        try:
            from openpyxl import load_workbook

            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same plain answer
            raise BadInput(f"无法读取 Excel 文件：{type(exc).__name__}", field="file") from None
        rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        book.close()
    elif filename.lower().endswith((".csv", ".txt")):
        for encoding in ("utf-8-sig", "gbk"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise BadInput("CSV 文件编码无法识别，请另存为 UTF-8", field="file")
        rows = [list(r) for r in csv.reader(io.StringIO(text))]
    else:
        raise BadInput("只支持 .csv 或 .xlsx 文件", field="file")
    rows = [r for r in rows if any(str(v or "").strip() for v in r)]
    if not rows:
        raise BadInput("文件是空的", field="file")
    if len(rows) > MAX_ROWS + 1:
        raise BadInput(f"一次最多导入 {MAX_ROWS} 户", field="file")
    return rows


async def import_members(
    db: AsyncSession,
    cooperative_id: int,
    rows: list[list[object]],
    *,
    today: date | None = None,
    by_user_id: int | None = None,
    on_row: Callable[[], None] | None = None,
) -> ImportReport:
    """Each good row becomes a member (with its status history); each bad row is reported with its reason.
    A row is all or nothing; the caller's transaction makes the whole import one unit."""
    await require_cooperative(db, cooperative_id)
    header_at, columns = _find_header(rows)
    existing = (
        await db.execute(select(Member.member_no, Member.id_number).where(Member.cooperative_id == cooperative_id))
    ).all()
    numbers, ids = {n for n, _ in existing}, {i for _, i in existing}
    drafts: list[tuple[int, MemberDraft]] = []
    report = ImportReport()
    for line_no, cells in enumerate(rows[header_at + 1 :], start=header_at + 2):
        try:
            draft = parse_row(cells, columns)
            if draft.member_no is not None and draft.member_no in numbers:
                raise RowError(f"社员号 {draft.member_no} 已被使用")
            if draft.id_number in ids:
                raise RowError(f"身份证号 {mask_id_number(draft.id_number)} 已登记")
        except RowError as exc:
            report.errors.append((line_no, str(exc)))
        else:
            ids.add(draft.id_number)
            if draft.member_no is not None:
                numbers.add(draft.member_no)
            drafts.append((line_no, draft))
        if on_row:
            on_row()
    next_no = max(numbers | {await next_member_no(db, cooperative_id) - 1}) + 1
    for _, draft in drafts:
        if draft.member_no is None:
            draft = replace(draft, member_no=next_no)
            next_no += 1
        member = await admit(db, cooperative_id, draft, by_user_id=by_user_id, today=today)
        report.imported.append(member.member_no)
    return report


def _find_header(rows: list[list[object]]) -> tuple[int, dict[str, int]]:
    """The header may sit under a title line (as our own export writes it)."""
    problem = ""
    for i, row in enumerate(rows[:5]):
        try:
            return i, column_map([str(h or "") for h in row])
        except RowError as exc:
            problem = problem or str(exc)
    raise BadInput(problem, field="file")


async def export_members(db: AsyncSession, cooperative_id: int, *, with_id_numbers: bool = False) -> bytes:
    """The member list as XLSX. ID numbers are masked unless the accountant asks for them whole."""
    coop = await require_cooperative(db, cooperative_id)
    members = (
        await db.scalars(select(Member).where(Member.cooperative_id == cooperative_id).order_by(Member.member_no))
    ).all()
    joined = dict(
        (
            await db.execute(
                select(MemberStatusChange.member_id, func.min(MemberStatusChange.effective_on))
                .join(Member, Member.id == MemberStatusChange.member_id)
                .where(Member.cooperative_id == cooperative_id, MemberStatusChange.status == "admitted")
                .group_by(MemberStatusChange.member_id)
            )
        ).all()
    )
    from openpyxl import Workbook  # a fifth of a second to import: only when a workbook is written

    book = Workbook()
    sheet = book.active
    sheet.title = "社员名册"
    sheet.append(safe_row([f"{coop.name} 社员名册"]))
    sheet.append(safe_row(EXPORT_COLUMNS))
    for m in members:
        sheet.append(
            safe_row(
                [
                    m.member_no,
                    m.name,
                    m.id_number if with_id_numbers else mask_id_number(m.id_number),
                    m.phone,
                    m.village,
                    m.group_name,
                    m.household_size,
                    "是" if m.hardship else "否",
                    (joined.get(m.id) or m.status_since).isoformat(),
                    STATUS_LABELS.get(m.status, m.status),
                ]
            )
        )
    for column, width in zip("ABCDEFGHIJ", (8, 10, 22, 14, 14, 10, 8, 8, 12, 10), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
