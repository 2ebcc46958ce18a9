"""Setting up live rooms from pages: a room's name, banner and content lines, and who hosts in it.

Only the admin sets rooms up, and only in the cooperatives they keep: an admin with grants (coop.access)
makes rooms for, lists and edits only the rooms of their cooperatives; any other room answers 没有这个直播间.
The install's admin (no grants) sees every room. Streaming learns the grants through coop.reads, coop's read
API, never by querying coop's tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.auth import Role
from caoyuan.auth.current import CurrentUser
from caoyuan.auth.models import UserAccount
from caoyuan.errors import BadInput, Conflict, Forbidden, NotFound
from coop import reads
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


async def _check_cooperative(db: AsyncSession, user: CurrentUser, cooperative_id: int | None) -> None:
    """A room belongs to one of the admin's cooperatives; only the install's admin may leave it unowned."""
    if cooperative_id is None:
        if not await reads.may_see_unowned(db, user.id):
            raise BadInput("请选择直播间所属的合作社", field="cooperative_id")
        return
    if not await reads.may_work_in(db, user.id, cooperative_id):
        raise BadInput("请选择您管理的合作社", field="cooperative_id")


async def create_room(db: AsyncSession, user: CurrentUser, data: RoomIn) -> LiveRoom:
    _admin_only(user)
    await _check_cooperative(db, user, data.cooperative_id)
    room = LiveRoom(name="", banner="", cooperative_id=data.cooperative_id)
    _fill(room, data)
    db.add(room)
    await db.flush()
    return room


async def edit_room(db: AsyncSession, user: CurrentUser, room_id: int, data: RoomIn) -> LiveRoom:
    _admin_only(user)
    room = await _room(db, room_id, user)
    if data.cooperative_id is not None and data.cooperative_id != room.cooperative_id:
        await _check_cooperative(db, user, data.cooperative_id)
        room.cooperative_id = data.cooperative_id
    _fill(room, data)
    await db.flush()
    return room


async def add_host(db: AsyncSession, user: CurrentUser, room_id: int, data: RoomHostIn) -> LiveRoomHost:
    """Name an existing, active login with the host role to the room (once)."""
    _admin_only(user)
    await _room(db, room_id, user)
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
    await _room(db, room_id, user)
    link = await db.get(LiveRoomHost, (room_id, host_id))
    if link is None:
        raise NotFound("这个人不是这个直播间的主播", field="user_id")
    await db.delete(link)
    await db.flush()


async def _room(db: AsyncSession, room_id: int, user: CurrentUser) -> LiveRoom:
    """The room, if this admin may see it (another village's room is answered as if it did not exist)."""
    room = await db.get(LiveRoom, room_id)
    if room is None or not await _may_see(db, user, room.cooperative_id):
        raise NotFound("没有这个直播间")
    return room


async def _may_see(db: AsyncSession, user: CurrentUser, cooperative_id: int | None) -> bool:
    if cooperative_id is None:
        return await reads.may_see_unowned(db, user.id)
    return await reads.may_work_in(db, user.id, cooperative_id)


async def room_out(db: AsyncSession, room_id: int, user: CurrentUser) -> RoomOut:
    return await _out(db, await _room(db, room_id, user))


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
        cooperative_id=room.cooperative_id,
        name=room.name,
        banner=room.banner,
        place=room.place,
        description=room.description,
        content_lines=[x for x in room.content_lines.split(",") if x],
        hosts=[
            RoomHostOut(user_id=link.user_id, name=account.display_name, title=link.title) for link, account in hosts
        ],
    )


async def all_rooms(db: AsyncSession, user: CurrentUser) -> list[RoomOut]:
    """The rooms of the cooperatives this admin keeps (every room for the install's admin)."""
    query = sa.select(LiveRoom).order_by(LiveRoom.id)  # type: ignore[arg-type]
    if not await reads.may_see_unowned(db, user.id):
        mine = [c.id for c in await reads.cooperatives_of(db, user.id)]
        query = query.where(LiveRoom.cooperative_id.in_(mine or [0]))  # type: ignore[union-attr]
    return [await _out(db, room) for room in (await db.scalars(query)).all()]


async def cooperative_choices(db: AsyncSession, user: CurrentUser) -> list[tuple[int, str]]:
    """The cooperatives a room may belong to, for the page's select."""
    return [(c.id, c.name) for c in await reads.cooperatives_of(db, user.id)]


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
