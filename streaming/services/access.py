"""Who may run a session: its hosts (and co-hosts), and the admin."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.auth.current import CurrentUser
from caoyuan.errors import Conflict, Forbidden, NotFound
from streaming import rules
from streaming.errors import LiveCode
from streaming.models import LiveSession, LiveSessionHost


async def session_for_host(db: AsyncSession, session_id: int, user: CurrentUser, lock: bool = False) -> LiveSession:
    query = sa.select(LiveSession).where(LiveSession.id == session_id)
    session = await db.scalar(query.with_for_update() if lock else query)
    if session is None:
        raise NotFound("没有这场直播")
    if user.role != "admin" and not await is_host(db, session_id, user.id):
        raise Forbidden("您不是这场直播的主播")
    return session


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
