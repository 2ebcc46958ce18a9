"""Whether the user's cooperative runs machinery, for the menu (caoyuan.web.nav): a member of a village
without an active machinery service is not offered 农机预约 / 我的预约."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from coop.machinery.models import ServiceType
from coop.machinery.services.common import member_of_user

MACHINERY = "machinery"


async def nav_features(db: AsyncSession, user: Any) -> set[str]:
    if user.role != "member":
        return {MACHINERY}  # staff set machinery up; the menu filters only what members are offered
    member = await member_of_user(db, user.id)
    if member is None:
        return set()
    runs = await db.scalar(
        select(
            exists().where(col(ServiceType.cooperative_id) == member.cooperative_id, col(ServiceType.active).is_(True))
        )
    )
    return {MACHINERY} if runs else set()
