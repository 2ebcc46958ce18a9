"""Government subsidies quantified to members (财政补助量化, art. 44): a year's amounts per household and the
basis they were quantified on. They enter the member accounts as subsidy shares, which the distribution
reads as the third weight of the remainder (capital + quantified reserve + quantified subsidies)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.bounds import FEN_MAX, YEAR_MAX, YEAR_MIN
from caoyuan.errors import BadInput, Conflict
from coop.models import AccountItem, Member, MemberAccountItem, MemberStatus
from coop.services.ledger import closing_distribution, require_cooperative

ITEM: Table = MemberAccountItem.__table__  # type: ignore[attr-defined]
MEMBER: Table = Member.__table__  # type: ignore[attr-defined]
LINES_MAX = 2000


@dataclass(frozen=True)
class SubsidyRow:
    year: int
    member_id: int
    member_no: int
    name: str
    amount_fen: int
    basis: str


async def admitted_members(db: AsyncSession, cooperative_id: int) -> list[Member]:
    m = MEMBER.c
    return list(
        (
            await db.scalars(
                select(Member)
                .where(m.cooperative_id == cooperative_id, m.status == MemberStatus.ADMITTED)
                .order_by(m.member_no)
            )
        ).all()
    )


async def record_subsidies(
    db: AsyncSession, cooperative_id: int, year: int, basis: str, amounts: Mapping[int, int]
) -> int:
    """Quantify a year's subsidy to the listed members (member id → fen); returns the total. A draft
    distribution of that year goes stale (its inputs changed); a closed year cannot take more."""
    await require_cooperative(db, cooperative_id)
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise BadInput(f"年度应在 {YEAR_MIN} 到 {YEAR_MAX} 之间", field="year")
    basis = basis.strip()
    if not basis:
        raise BadInput("请写明量化依据（如 2025 年农机购置补贴，按入股土地面积量化）", field="basis")
    if len(basis) > 200:
        raise BadInput("量化依据最多 200 个字", field="basis")
    amounts = {k: v for k, v in amounts.items() if v}
    if not amounts:
        raise BadInput("请至少给一户社员填写量化金额", field="amounts")
    if len(amounts) > LINES_MAX:
        raise BadInput(f"一次最多量化 {LINES_MAX} 户", field="amounts")
    for member_id, fen in amounts.items():
        if not isinstance(fen, int) or isinstance(fen, bool) or not 0 < fen <= FEN_MAX:
            raise BadInput("量化金额必须大于零（分），且不超过 10 万亿元", field=f"member_{member_id}")
    if await closing_distribution(db, cooperative_id, year):
        raise Conflict(f"{year} 年已经年结（年度分配已入账），不能再量化这一年的补助", field="year")
    admitted = {m.id: m for m in await admitted_members(db, cooperative_id)}
    for member_id in amounts:
        if member_id not in admitted:
            raise BadInput("只能量化给本合作社在册的社员", field=f"member_{member_id}")
    await db.execute(
        insert(MemberAccountItem),
        [
            {
                "cooperative_id": cooperative_id,
                "member_id": member_id,
                "year": year,
                "item": AccountItem.SUBSIDY_SHARE,
                "amount_fen": fen,
                "note": basis,
            }
            for member_id, fen in sorted(amounts.items())
        ],
    )
    return sum(amounts.values())


async def subsidies(db: AsyncSession, cooperative_id: int, year: int | None = None) -> list[SubsidyRow]:
    """The subsidy shares recorded, newest year first (at most 2000 lines: a village has a few hundred)."""
    i, m = ITEM.c, MEMBER.c
    query = (
        select(i.year, i.member_id, m.member_no, m.name, i.amount_fen, i.note)
        .join(MEMBER, m.id == i.member_id)
        .where(i.cooperative_id == cooperative_id, i.item == AccountItem.SUBSIDY_SHARE)
        .order_by(i.year.desc(), i.id)
        .limit(LINES_MAX)
    )
    if year is not None:
        query = query.where(i.year == year)
    return [SubsidyRow(*row) for row in (await db.execute(query)).all()]
