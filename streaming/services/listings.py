"""The lists the live pages show: rooms and sessions to watch, a host's rooms, SKUs a host may shelve."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.auth import Role
from caoyuan.auth.current import CurrentUser
from coop import reads
from storefront.models import Product, Sku
from streaming.models import LiveRoom, LiveRoomHost, LiveSession

RECENT_SESSIONS = 30  # the console lists this many of a host's newest sessions


async def rooms_and_upcoming(db: AsyncSession) -> tuple[Sequence[LiveRoom], Sequence[LiveSession]]:
    """Every room, and every session not yet ended, soonest first (the public room list)."""
    rooms = (await db.scalars(sa.select(LiveRoom).order_by(LiveRoom.id))).all()
    upcoming = (
        await db.scalars(
            sa.select(LiveSession).where(LiveSession.state != "ended").order_by(LiveSession.scheduled_start)
        )
    ).all()
    return rooms, upcoming


async def host_rooms(db: AsyncSession, user: CurrentUser) -> Sequence[LiveRoom]:
    """The rooms a host hosts; an admin, the rooms of the cooperatives they keep (the install's admin: all)."""
    query = sa.select(LiveRoom).order_by(LiveRoom.id)
    if user.role != Role.ADMIN:
        query = query.join(LiveRoomHost, LiveRoomHost.room_id == LiveRoom.id).where(LiveRoomHost.user_id == user.id)
    elif not await reads.may_see_unowned(db, user.id):
        mine = [c.id for c in await reads.cooperatives_of(db, user.id)]
        query = query.where(LiveRoom.cooperative_id.in_(mine or [0]))  # type: ignore[union-attr]
    return (await db.scalars(query)).all()


async def recent_sessions(db: AsyncSession, room_ids: list[int]) -> Sequence[LiveSession]:
    return (
        await db.scalars(
            sa.select(LiveSession)
            .where(LiveSession.room_id.in_(room_ids or [0]))
            .order_by(LiveSession.scheduled_start.desc())
            .limit(RECENT_SESSIONS)
        )
    ).all()


async def shelvable_skus(db: AsyncSession) -> list[tuple[Sku, str]]:
    """Active SKUs with stock left in the catalogue, with their product's name."""
    rows = await db.execute(
        sa.select(Sku, Product.name)
        .join(Product, Product.id == Sku.product_id)
        .where(Sku.active.is_(True), Sku.stock > 0)
        .order_by(Product.id, Sku.id)
    )
    return [(sku, name) for sku, name in rows.all()]
