"""What members read: each member's statement, their dividends by year, and the 公示 table."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import NotFound
from caoyuan.exports import safe_row
from coop.models import Allocation, Cooperative, Distribution, DistributionState, DistributionStep, Member
from coop.rules.capital import BASES
from coop.rules.explain import member_lines, zero_reason
from coop.rules.reports import PublicityNotice, publicity_footer
from coop.services.distribution.common import load

VISIBLE = (DistributionState.POSTED, DistributionState.PAID)


def _yuan(fen: int) -> Decimal:
    """Exact 元 for spreadsheet cells (Decimal, never float)."""
    return Decimal(fen) / 100


def as_dict(row: object, names: tuple[str, ...]) -> dict:
    return {n: getattr(row, n) for n in names}


ALLOC_FIELDS = (
    "volume_fen",
    "patronage_fen",
    "remainder_fen",
    "capital_fen",
    "reserve_base_fen",
    "subsidy_fen",
    "shares",
    "capital_counted",
    "member_days",
    "patronage_adj",
    "remainder_adj",
    "total_fen",
    "reserve_share_fen",
)
DIST_FIELDS = ("patronage_fen", "remainder_fen", "volume_total_fen", "weight_total_fen", "capital_basis")


@dataclass
class Statement:
    distribution: Distribution
    member: Member
    allocation: Allocation
    lines: list[str]
    steps: list[DistributionStep]


async def steps_of(db: AsyncSession, distribution_id: int) -> list[DistributionStep]:
    return list(
        (
            await db.scalars(
                select(DistributionStep)
                .where(DistributionStep.distribution_id == distribution_id)
                .order_by(DistributionStep.seq)
            )
        ).all()
    )


async def statement(db: AsyncSession, distribution_id: int, member_id: int) -> Statement:
    dist = await load(db, distribution_id)
    member = await db.get(Member, member_id)
    alloc = await db.scalar(
        select(Allocation).where(Allocation.distribution_id == distribution_id, Allocation.member_id == member_id)
    )
    if member is None or alloc is None or member.cooperative_id != dist.cooperative_id:
        raise NotFound("这位社员不在这次分配名单中", field="member_id")
    lines = member_lines(dist.policy, dist.year, as_dict(alloc, ALLOC_FIELDS), as_dict(dist, DIST_FIELDS))
    return Statement(dist, member, alloc, lines, await steps_of(db, distribution_id))


async def dividends_of(db: AsyncSession, member_id: int) -> list[tuple[Distribution, Allocation]]:
    """The member's part of every posted distribution that has not been reversed, oldest year first."""
    member = await db.get(Member, member_id)
    if member is None:
        return []
    dists = (
        await db.scalars(
            select(Distribution)
            .where(
                Distribution.cooperative_id == member.cooperative_id,
                Distribution.state.in_(VISIBLE),
                Distribution.reverses_distribution_id.is_(None),
            )
            .order_by(Distribution.year)
        )
    ).all()
    reversed_ids = set(
        (
            await db.scalars(
                select(Distribution.reverses_distribution_id).where(
                    Distribution.cooperative_id == member.cooperative_id,
                    Distribution.reverses_distribution_id.is_not(None),
                )
            )
        ).all()
    )
    live = [d for d in dists if d.id not in reversed_ids]
    if not live:
        return []
    allocs = {
        a.distribution_id: a
        for a in (
            await db.scalars(
                select(Allocation).where(
                    Allocation.distribution_id.in_([d.id for d in live]), Allocation.member_id == member_id
                )
            )
        ).all()
    }
    return [(d, allocs[d.id]) for d in live if d.id in allocs]  # type: ignore[index]


async def publicity_rows(db: AsyncSession, distribution_id: int) -> list[tuple[Allocation, str, str]]:
    """Every member's line of the 公示 table: allocation, name, group (no ID or phone numbers)."""
    rows = (
        await db.execute(
            select(Allocation, Member.name, Member.group_name)
            .join(Member, Member.id == Allocation.member_id)
            .where(Allocation.distribution_id == distribution_id)
            .order_by(Allocation.member_no)
        )
    ).all()
    return [(a, name, group) for a, name, group in rows]


async def publicity_xlsx(db: AsyncSession, distribution_id: int, notice: PublicityNotice | None = None) -> bytes:
    dist = await load(db, distribution_id)
    coop = await db.get(Cooperative, dist.cooperative_id)
    from openpyxl import Workbook  # a fifth of a second to import: only when a workbook is written

    book = Workbook()
    sheet = book.active
    sheet.title = f"{dist.year}年盈余分配公示"

    def put(values: list[object]) -> None:
        # names, groups and explanations are typed by people: none may reach the sheet as a formula
        sheet.append(safe_row(values))

    put([f"{coop.name if coop else ''} {dist.year} 年度盈余分配公示表"])
    from openpyxl.styles import Font

    sheet["A1"].font = Font(bold=True, size=14)
    for step in await steps_of(db, distribution_id):
        put([step.label, _yuan(step.amount_fen), step.explanation])
    put(["出资计入方式（章程）", "", BASES.get(dist.capital_basis, dist.capital_basis)])
    put([])
    farmer = dist.policy == "farmer"
    header = (
        [
            "社员号",
            "姓名",
            "小组",
            "交易额（元）",
            "按交易量返还（元）",
            "出资额（元）",
            "按出资分配（元）",
            "公积金量化（元）",
            "合计（元）",
            "说明",
        ]
        if farmer
        else ["社员号", "姓名", "小组", "股数", "按股分红（元）", "合计（元）", "说明"]
    )
    put(header)
    # column sums for the 合计 row, in the rows' own units (fen, or shares), summed from the rows themselves
    fen_fields = (
        ("volume_fen", "patronage_fen", "capital_fen", "remainder_fen", "reserve_share_fen", "total_fen")
        if farmer
        else ("remainder_fen", "total_fen")
    )
    sums = dict.fromkeys((*fen_fields, "shares"), 0)
    for a, name, group in await publicity_rows(db, distribution_id):
        for key in sums:
            sums[key] += getattr(a, key)
        why = zero_reason(dist.policy, as_dict(a, ALLOC_FIELDS))
        if farmer:
            put(
                [
                    a.member_no,
                    name,
                    group,
                    _yuan(a.volume_fen),
                    _yuan(a.patronage_fen),
                    _yuan(a.capital_fen),
                    _yuan(a.remainder_fen),
                    _yuan(a.reserve_share_fen),
                    _yuan(a.total_fen),
                    why,
                ]
            )
        else:
            put([a.member_no, name, group, a.shares, _yuan(a.remainder_fen), _yuan(a.total_fen), why])
    # the sums of the rows above, as numbers under their own columns (a spreadsheet can check them)
    y = {key: _yuan(value) for key, value in sums.items() if key != "shares"}
    if farmer:
        put(
            [
                "合计",
                "",
                "",
                y["volume_fen"],
                y["patronage_fen"],
                y["capital_fen"],
                y["remainder_fen"],
                y["reserve_share_fen"],
                y["total_fen"],
                "",
            ]
        )
    else:
        put(["合计", "", "", sums["shares"], y["remainder_fen"], y["total_fen"], ""])
    if notice is not None:
        put([])
        for line in publicity_footer(notice):
            put([line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
