"""What the accountant's pages read: the cooperatives with their households and capital, one cooperative's
dashboard figures, contributions, register names and charter versions. Queries live here so the pages hold none."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import NotFound
from coop.models import Charter, Contribution, Cooperative, Distribution, Member, ShareTransaction


async def cooperative(db: AsyncSession, cooperative_id: int) -> Cooperative:
    coop = await db.get(Cooperative, cooperative_id)
    if coop is None:
        raise NotFound("没有这个合作社")
    return coop


async def overview_rows(db: AsyncSession) -> list[tuple[Cooperative, int, int]]:
    """Every cooperative with its member count and the households' people, by id."""
    rows = await db.execute(
        select(Cooperative, func.count(Member.id), func.coalesce(func.sum(Member.household_size), 0))
        .outerjoin(Member, Member.cooperative_id == Cooperative.id)
        .group_by(Cooperative.id)
        .order_by(Cooperative.id)
    )
    return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def capital_by_cooperative(db: AsyncSession) -> dict[int, int]:
    """Share capital (fen) per cooperative: the sum of its share transactions."""
    rows = await db.execute(
        select(ShareTransaction.cooperative_id, func.sum(ShareTransaction.amount_fen)).group_by(
            ShareTransaction.cooperative_id
        )
    )
    return {k: int(v) for k, v in rows.all()}


async def members_count(db: AsyncSession, cooperative_id: int) -> int:
    counted = await db.scalar(select(func.count()).select_from(Member).where(Member.cooperative_id == cooperative_id))
    return int(counted or 0)


async def latest_distribution(db: AsyncSession, cooperative_id: int) -> Distribution | None:
    """The newest year's distribution that is not itself a reversal."""
    return await db.scalar(
        select(Distribution)
        .where(Distribution.cooperative_id == cooperative_id, Distribution.reverses_distribution_id.is_(None))
        .order_by(Distribution.year.desc(), Distribution.id.desc())
        .limit(1)
    )


async def contribution_rows(db: AsyncSession, cooperative_id: int) -> list[tuple[Contribution, Member]]:
    """Every contribution with its household, newest first."""
    rows = await db.execute(
        select(Contribution, Member)
        .join(Member, Member.id == Contribution.member_id)
        .where(Contribution.cooperative_id == cooperative_id)
        .order_by(Contribution.contributed_on.desc(), Contribution.id.desc())
    )
    return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def admitted_members(db: AsyncSession, cooperative_id: int) -> Sequence[Member]:
    query = select(Member).where(Member.cooperative_id == cooperative_id, Member.status == "admitted")
    return (await db.scalars(query.order_by(Member.member_no))).all()


async def members_by_id(db: AsyncSession, cooperative_id: int) -> dict[int, Member]:
    """Every household of the cooperative (any status), keyed by id, in member-number order."""
    query = select(Member).where(Member.cooperative_id == cooperative_id).order_by(Member.member_no)
    return {m.id: m for m in (await db.scalars(query)).all()}  # type: ignore[misc]


async def charter_versions(db: AsyncSession, cooperative_id: int) -> Sequence[Charter]:
    """The charter's versions, the latest effective first."""
    query = select(Charter).where(Charter.cooperative_id == cooperative_id).order_by(Charter.effective_on.desc())
    return (await db.scalars(query)).all()
