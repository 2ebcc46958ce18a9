"""Who may run a session: its hosts (and co-hosts), and the admins of the room's cooperative.

An admin's cooperatives come from coop.reads (their grants; the install's admin keeps every room)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from caoyuan.auth.current import CurrentUser
from caoyuan.errors import Conflict, Forbidden, NotFound
from coop import reads
from streaming import rules
from streaming.errors import LiveCode
from streaming.models import LiveRoom, LiveSession, LiveSessionHost


async def session_for_host(db: AsyncSession, session_id: int, user: CurrentUser, lock: bool = False) -> LiveSession:
    query = sa.select(LiveSession).where(LiveSession.id == session_id)
    session = await db.scalar(query.with_for_update() if lock else query)
    if session is None:
        raise NotFound("没有这场直播")
    if user.role == "admin":
        if not await admin_keeps_room(db, user.id, session.room_id):
            raise NotFound("没有这场直播")  # another village's show: not even its existence
    elif not await is_host(db, session_id, user.id):
        raise Forbidden("您不是这场直播的主播")
    return session


async def admin_keeps_room(db: AsyncSession, user_id: int, room_id: int) -> bool:
    """An admin runs the rooms of the cooperatives they keep; a room of no cooperative, only the install's admin."""
    cooperative_id = await db.scalar(sa.select(col(LiveRoom.cooperative_id)).where(col(LiveRoom.id) == room_id))
    if cooperative_id is None:
        return await reads.may_see_unowned(db, user_id)
    return await reads.may_work_in(db, user_id, cooperative_id)


async def may_watch_feed(db: AsyncSession, session: LiveSession, user: CurrentUser) -> bool:
    """The host feed: the session's hosts, and the admins who keep its room."""
    if user.role == "admin":
        return await admin_keeps_room(db, user.id, session.room_id)
    return await is_host(db, session.id, user.id)  # type: ignore[arg-type]


async def is_host(db: AsyncSession, session_id: int, user_id: int) -> bool:
    return bool(
        await db.scalar(
            sa.select(sa.func.count())
            .select_from(LiveSessionHost)
            .where(LiveSessionHost.session_id == session_id, LiveSessionHost.user_id == user_id)
        )
    )


def require(session: LiveSession, action: str, message: str) -> None:
    if not rules.can(session.state, action):
        raise Conflict(message, code=LiveCode.BAD_SESSION_STATE)


def feed_stream(session_id: int) -> str:
    return f"live:{session_id}"


def session_of_stream(stream: str) -> int | None:
    """The live session whose feed this is (None for any other stream)."""
    prefix, _, number = stream.partition(":")
    return int(number) if prefix == "live" and number.isascii() and number.isdigit() else None
