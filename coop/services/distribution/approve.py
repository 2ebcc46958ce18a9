"""The member assembly approves the draft (成员大会审议通过)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import BadInput, Conflict
from coop.models import Distribution, DistributionState
from coop.services.distribution.common import load, year_figures


@dataclass(frozen=True)
class AssemblyVote:
    assembly_on: date
    members_total: int  # members (votes) in the cooperative
    attendance: int
    votes_for: int
    votes_against: int
    votes_abstain: int = 0


def check_vote(v: AssemblyVote) -> None:
    """Two thirds present, and more than half of all members' votes for it (合作社法第三十条)."""
    if min(v.members_total, v.attendance, v.votes_for, v.votes_against, v.votes_abstain) < 0:
        raise BadInput("人数和票数不能为负数", field="attendance")
    if v.attendance > v.members_total:
        raise BadInput("出席人数不能多于成员总数", field="attendance")
    if v.votes_for + v.votes_against + v.votes_abstain > v.attendance:
        raise BadInput("赞成、反对、弃权票合计不能多于出席人数", field="votes_for")
    if v.attendance * 3 < v.members_total * 2:
        raise BadInput("出席成员不足三分之二，成员大会不能作出决议", field="attendance")
    if v.votes_for * 2 <= v.members_total:
        raise BadInput("赞成票未超过成员表决权总数的一半，方案未通过", field="votes_for")


async def approve(db: AsyncSession, distribution_id: int, vote: AssemblyVote, by_user_id: int | None = None) -> Distribution:
    dist = await load(db, distribution_id, lock=True)
    if dist.state != DistributionState.DRAFT:
        raise Conflict("只有草案可以提交成员大会审议；这个方案已经通过了", field="state")
    check_vote(vote)
    surplus, *_ = await year_figures(db, dist.cooperative_id, dist.year)
    if surplus != dist.surplus_fen:
        raise Conflict("草案计算之后账目又有变动，请先重新计算草案再审议", field="surplus")
    dist.state = DistributionState.APPROVED
    dist.assembly_on, dist.assembly_members, dist.assembly_attendance = (vote.assembly_on, vote.members_total,
                                                                        vote.attendance)
    dist.votes_for, dist.votes_against, dist.votes_abstain = vote.votes_for, vote.votes_against, vote.votes_abstain
    dist.approved_by_user_id = by_user_id
    await db.flush()
    return dist
