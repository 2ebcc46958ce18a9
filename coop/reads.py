"""The cooperative's read API for the other domains: which cooperatives an admin keeps, and their households.

storefront and streaming may read coop only through here (and write only through coop.posting): they never
query coop tables themselves, so the grant rule (coop.access) stays in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coop.access import granted
from coop.models import Cooperative, Member, MemberStatus


@dataclass(frozen=True)
class CoopRef:
    id: int
    name: str


@dataclass(frozen=True)
class HouseholdRef:
    id: int
    member_no: int
    name: str


async def cooperatives_of(db: AsyncSession, user_id: int) -> list[CoopRef]:
    """The cooperatives an admin works in: their grants, or every one for the install's admin."""
    allowed = await granted(db, user_id)
    query = select(col(Cooperative.id), col(Cooperative.name)).order_by(col(Cooperative.id))
    if allowed is not None:
        query = query.where(col(Cooperative.id).in_(allowed))
    return [CoopRef(i, n) for i, n in (await db.execute(query)).all()]


async def may_work_in(db: AsyncSession, user_id: int, cooperative_id: int) -> bool:
    allowed = await granted(db, user_id)
    if allowed is None:
        return await db.get(Cooperative, cooperative_id) is not None
    return cooperative_id in allowed


async def households(db: AsyncSession, cooperative_ids: list[int]) -> dict[int, list[HouseholdRef]]:
    """The active member households of each cooperative, by member number (to pick a product's supplier)."""
    rows = (
        await db.execute(
            select(col(Member.cooperative_id), col(Member.id), col(Member.member_no), col(Member.name))
            .where(col(Member.cooperative_id).in_(cooperative_ids or [0]), col(Member.status) == MemberStatus.ADMITTED)
            .order_by(col(Member.cooperative_id), col(Member.member_no))
        )
    ).all()
    found: dict[int, list[HouseholdRef]] = {c: [] for c in cooperative_ids}
    for coop_id, member_id, no, name in rows:
        found[coop_id].append(HouseholdRef(member_id, no, name))
    return found


async def may_see_unowned(db: AsyncSession, user_id: int) -> bool:
    """Only the install's admin (no grants) sees what belongs to no cooperative (the demo's old rows)."""
    return await granted(db, user_id) is None


async def kept(db: AsyncSession, user_id: int) -> set[int] | None:
    """The cooperative ids an admin keeps; None for the install's admin (all of them)."""
    return await granted(db, user_id)
