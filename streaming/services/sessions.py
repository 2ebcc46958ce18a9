"""Scheduling a live session, going live, and ending it (the shelf's leftover stock goes back)."""

from __future__ import annotations

import re
from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.auth.current import CurrentUser
from caoyuan.bounds import check_day
from caoyuan.db import utcnow
from caoyuan.db.transition import transition
from caoyuan.errors import BadInput, Forbidden, NotFound
from caoyuan.feed import append_event
from storefront.services import pools
from streaming import rules
from streaming.models import (
    CONTENT_LINE_LABELS,
    FlashSale,
    LiveRoom,
    LiveRoomHost,
    LiveSession,
    LiveSessionHost,
    ShelfItem,
)
from streaming.services.access import admin_keeps_room, feed_stream, require, session_for_host

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


async def schedule(
    db: AsyncSession,
    user: CurrentUser,
    *,
    room_id: int,
    title: str,
    content_line: str,
    scheduled_start: datetime,
    cutoff_local: time = time(22, 0),
    co_host_ids: list[int] | None = None,
) -> LiveSession:
    room = await db.get(LiveRoom, room_id)
    if room is None:
        raise NotFound("没有这个直播间", field="room_id")
    room_hosts = dict(
        (
            await db.execute(sa.select(LiveRoomHost.user_id, LiveRoomHost.title).where(LiveRoomHost.room_id == room_id))
        ).all()
    )
    if user.role == "admin":
        if not await admin_keeps_room(db, user.id, room_id):
            raise NotFound("没有这个直播间", field="room_id")
    elif user.id not in room_hosts:
        raise Forbidden("您不是这个直播间的主播")
    title = title.strip()
    if not 2 <= len(title) <= 100 or _CONTROL.search(title):
        raise BadInput("标题应为 2–100 个字", field="title")
    if content_line not in CONTENT_LINE_LABELS:
        raise BadInput(f"内容线应为：{'、'.join(CONTENT_LINE_LABELS.values())}", field="content_line")
    if scheduled_start.tzinfo is None:
        raise BadInput("开播时间需要带时区", field="scheduled_start")
    # Bounded before any conversion: 0001-01-01 or 9999-12-31 would overflow on the way to UTC.
    check_day(scheduled_start.date(), "scheduled_start", "开播日期")
    unknown = set(co_host_ids or []) - set(room_hosts)
    if unknown:
        raise BadInput("联合主播必须是这个直播间的主播", field="co_host_ids")
    session = LiveSession(
        room_id=room_id,
        title=title,
        content_line=content_line,
        scheduled_start=scheduled_start,
        cutoff_local=cutoff_local,
        created_by=user.id,
    )
    db.add(session)
    await db.flush()
    hosts = {user.id, *(co_host_ids or [])} if user.id in room_hosts else set(co_host_ids or []) or set(room_hosts)
    for host_id in hosts:
        db.add(
            LiveSessionHost(
                session_id=session.id,
                user_id=host_id,  # type: ignore[arg-type]
                title=room_hosts.get(host_id, "主播"),
            )
        )
    await db.flush()
    return session


async def go_live(db: AsyncSession, user: CurrentUser, session_id: int) -> LiveSession:
    session = await session_for_host(db, session_id, user, lock=True)
    require(session, "start", "只有预告中的直播可以开播")
    started = utcnow()
    await transition(db, LiveSession, session_id, "start", rules.SESSION, started_at=started)
    await append_event(db, feed_stream(session_id), "session_live", {"started_at": started.isoformat()})
    return session


async def end(db: AsyncSession, user: CurrentUser, session_id: int) -> LiveSession:
    """End the show: no more orders; unsold stock returns to the catalogue. Unpaid orders keep their
    reservation until they are paid or expire (late releases then go back to the catalogue too)."""
    session = await session_for_host(db, session_id, user, lock=True)
    require(session, "end", "只有直播中的场次可以结束")
    ended = utcnow()
    await transition(db, LiveSession, session_id, "end", rules.SESSION, ended_at=ended, pinned_item_id=None)
    sales = (
        await db.scalars(sa.select(FlashSale).where(FlashSale.session_id == session_id, FlashSale.closed.is_(False)))
    ).all()
    for sale in sales:
        await pools.close_and_return(db, sale.pool_id)
        sale.closed = True
    for item in (await db.scalars(sa.select(ShelfItem).where(ShelfItem.session_id == session_id))).all():
        await pools.close_and_return(db, item.pool_id)
    await append_event(db, feed_stream(session_id), "session_ended", {"ended_at": ended.isoformat()})
    return session
