"""Setting up live rooms from pages: a room's name, banner and content lines, and who hosts in it.

Only the admin sets rooms up. A room may carry a cooperative_id, but streaming reaches the cooperative only
through coop.posting, so per-cooperative grants are not consulted here: the admin role is the whole check.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.auth import Role
from caoyuan.auth.current import CurrentUser
from caoyuan.auth.models import UserAccount
from caoyuan.errors import BadInput, Conflict, Forbidden, NotFound
from streaming.models import ContentLine, LiveRoom, LiveRoomHost
from streaming.schemas import RoomHostIn, RoomHostOut, RoomIn, RoomOut


def _admin_only(user: CurrentUser) -> None:
    if user.role != Role.ADMIN:
        raise Forbidden("只有管理员可以设置直播间")


def _fill(room: LiveRoom, data: RoomIn) -> None:
    room.name = data.name.strip()
    room.banner = data.banner.strip()
    room.place = data.place.strip()
    room.description = data.description.strip()
    # Stored in the enum's order, once each, whatever order the form sent them in.
    room.content_lines = ",".join(line.value for line in ContentLine if line in data.content_lines)
    if len(room.name) < 2:
        raise BadInput("直播间名称至少 2 个字", field="name")
    if len(room.banner) < 2:
        raise BadInput("请填写所在的旗（至少 2 个字）", field="banner")


async def create_room(db: AsyncSession, user: CurrentUser, data: RoomIn) -> LiveRoom:
    _admin_only(user)
    room = LiveRoom(name="", banner="")
    _fill(room, data)
    db.add(room)
    await db.flush()
    return room


async def edit_room(db: AsyncSession, user: CurrentUser, room_id: int, data: RoomIn) -> LiveRoom:
    _admin_only(user)
    room = await _room(db, room_id)
    _fill(room, data)
    await db.flush()
    return room


async def add_host(db: AsyncSession, user: CurrentUser, room_id: int, data: RoomHostIn) -> LiveRoomHost:
    """Name an existing, active login with the host role to the room (once)."""
    _admin_only(user)
    await _room(db, room_id)
    account = await db.get(UserAccount, data.user_id)
    if account is None or not account.is_active or account.role != Role.HOST:
        raise BadInput("只能选择主播角色的账号", field="user_id")
    taken = await db.get(LiveRoomHost, (room_id, data.user_id))
    if taken is not None:
        raise Conflict(f"{account.display_name} 已经是这个直播间的{taken.title}", field="user_id")
    title = data.title.strip()
    if not title:
        raise BadInput("请填写称呼，如：主播、联合主播", field="title")
    link = LiveRoomHost(room_id=room_id, user_id=data.user_id, title=title)
    db.add(link)
    await db.flush()
    return link


async def remove_host(db: AsyncSession, user: CurrentUser, room_id: int, host_id: int) -> None:
    """Take a host off the room; sessions already scheduled keep their hosts (they were named then)."""
    _admin_only(user)
    link = await db.get(LiveRoomHost, (room_id, host_id))
    if link is None:
        raise NotFound("这个人不是这个直播间的主播", field="user_id")
    await db.delete(link)
    await db.flush()


async def _room(db: AsyncSession, room_id: int) -> LiveRoom:
    room = await db.get(LiveRoom, room_id)
    if room is None:
        raise NotFound("没有这个直播间")
    return room


async def room_out(db: AsyncSession, room_id: int) -> RoomOut:
    return await _out(db, await _room(db, room_id))


async def _out(db: AsyncSession, room: LiveRoom) -> RoomOut:
    hosts = (
        await db.execute(
            sa.select(LiveRoomHost, UserAccount)
            .join(UserAccount, UserAccount.id == LiveRoomHost.user_id)  # type: ignore[arg-type]
            .where(LiveRoomHost.room_id == room.id)  # type: ignore[arg-type]
            .order_by(LiveRoomHost.user_id)  # type: ignore[arg-type]
        )
    ).all()
    return RoomOut(
        id=room.id,  # type: ignore[arg-type]
        name=room.name,
        banner=room.banner,
        place=room.place,
        description=room.description,
        content_lines=[x for x in room.content_lines.split(",") if x],
        hosts=[
            RoomHostOut(user_id=link.user_id, name=account.display_name, title=link.title) for link, account in hosts
        ],
    )


async def all_rooms(db: AsyncSession) -> list[RoomOut]:
    found = (await db.scalars(sa.select(LiveRoom).order_by(LiveRoom.id))).all()  # type: ignore[arg-type]
    return [await _out(db, room) for room in found]


async def host_logins(db: AsyncSession) -> list[tuple[int, str]]:
    """Active host accounts for the page's select: the name and the phone's last four digits only."""
    accounts = (
        await db.scalars(
            sa.select(UserAccount)
            .where(UserAccount.role == Role.HOST, UserAccount.is_active == sa.true())  # type: ignore[arg-type]
            .order_by(UserAccount.display_name)
            .limit(500)
        )
    ).all()
    return [(a.id, f"{a.display_name}（尾号 {a.phone[-4:]}）") for a in accounts]  # type: ignore[misc]
