"""What the member pages read: the register (with a search), one household's fellow members and
contributions, a login by phone, and the household a login belongs to. Queries live here so the pages hold none."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.auth.models import UserAccount
from coop.models import Contribution, Cooperative, Member

LIST_LIMIT = 500


async def register_rows(db: AsyncSession, cooperative_id: int, q: str = "") -> Sequence[Member]:
    """Households by member number; ``q`` matches a name or a 村民小组."""
    query = select(Member).where(Member.cooperative_id == cooperative_id).order_by(Member.member_no)
    if q.strip():
        like = f"%{q.strip()}%"
        query = query.where(Member.name.like(like) | Member.group_name.like(like))  # type: ignore[attr-defined]
    return (await db.scalars(query.limit(LIST_LIMIT))).all()


async def other_admitted(db: AsyncSession, cooperative_id: int, member_id: int) -> Sequence[Member]:
    """The household's fellow members (whom shares may be transferred to)."""
    return (
        await db.scalars(
            select(Member)
            .where(Member.cooperative_id == cooperative_id, Member.id != member_id, Member.status == "admitted")
            .order_by(Member.member_no)
        )
    ).all()


async def contributions_of(db: AsyncSession, member_id: int) -> Sequence[Contribution]:
    query = select(Contribution).where(Contribution.member_id == member_id).order_by(Contribution.contributed_on)
    return (await db.scalars(query)).all()  # type: ignore[arg-type]


async def account_by_phone(db: AsyncSession, phone: str) -> UserAccount | None:
    return await db.scalar(select(UserAccount).where(UserAccount.phone == phone))


async def member_of_user(db: AsyncSession, user_id: int) -> tuple[Member, Cooperative] | None:
    """The household linked to this login, with its cooperative (None when the login has none)."""
    row = (
        await db.execute(
            select(Member, Cooperative)
            .join(Cooperative, Cooperative.id == Member.cooperative_id)
            .where(Member.user_id == user_id)
        )
    ).first()
    return (row[0], row[1]) if row else None
