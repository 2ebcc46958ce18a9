"""What the distribution pages read: a cooperative's distributions, what is left to pay, the assembly's
ballots, a statement's household. Queries live here so the pages hold none."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import NotFound
from coop.models import Allocation, AssemblyBallot, Distribution, Member


async def statement_member(db: AsyncSession, member_id: int) -> Member:
    member = await db.get(Member, member_id)
    if member is None:
        raise NotFound("没有这位社员")
    return member


async def of_cooperative(db: AsyncSession, cooperative_id: int) -> Sequence[Distribution]:
    """The cooperative's distributions (reversals included), the latest year first."""
    query = (
        select(Distribution)
        .where(Distribution.cooperative_id == cooperative_id)
        .order_by(Distribution.year.desc(), Distribution.id.desc())
    )
    return (await db.scalars(query)).all()


async def unpaid(db: AsyncSession, distribution_id: int, member_id: int | None = None) -> tuple[int, int]:
    """Households not yet paid a positive amount, and the fen owed them: everyone, or one member."""
    query = select(func.count(), func.coalesce(func.sum(Allocation.total_fen), 0)).where(
        Allocation.distribution_id == distribution_id, Allocation.paid_on.is_(None), Allocation.total_fen > 0
    )
    if member_id is not None:
        query = query.where(Allocation.member_id == member_id)
    count, total = (await db.execute(query)).one()
    return int(count), int(total)


async def ballots(db: AsyncSession, distribution_id: int) -> list[tuple[int, str]]:
    """The assembly's recorded votes: (member number, for / against / abstain)."""
    query = select(AssemblyBallot.member_no, AssemblyBallot.vote).where(
        AssemblyBallot.distribution_id == distribution_id
    )
    return [(no, how) for no, how in (await db.execute(query)).all()]
