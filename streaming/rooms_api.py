"""Live-room set-up API (admin, bearer token): the same service as the set-up pages."""

from __future__ import annotations

from litestar import Controller, Request, delete, get, post, put
from litestar.params import JSONBody

from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.bounds import IdParam
from caoyuan.deps import Db
from streaming.schemas import RoomHostIn, RoomIn, RoomOut
from streaming.services import rooms


class LiveRoomApi(Controller):
    path = "/api/live/rooms"
    tags = ["live rooms"]
    guards = [requires(Role.ADMIN)]

    @get("/", summary="本人管理的合作社的直播间和各自的主播（管理员）")
    async def list_rooms(self, request: Request, db: Db) -> list[RoomOut]:
        return await rooms.all_rooms(db, request.user)

    @post("/", status_code=201, summary="新建直播间：名称、所在旗、内容线（管理员）")
    async def create(self, request: Request, data: JSONBody[RoomIn], db: Db) -> RoomOut:
        room = await rooms.create_room(db, request.user, data)
        return await rooms.room_out(db, room.id, request.user)  # type: ignore[arg-type]

    @get("/{room_id:int}", summary="一个直播间和它的主播")
    async def read(self, request: Request, room_id: IdParam, db: Db) -> RoomOut:
        return await rooms.room_out(db, room_id, request.user)

    @put("/{room_id:int}", summary="修改直播间")
    async def edit(self, request: Request, room_id: IdParam, data: JSONBody[RoomIn], db: Db) -> RoomOut:
        await rooms.edit_room(db, request.user, room_id, data)
        return await rooms.room_out(db, room_id, request.user)

    @post("/{room_id:int}/hosts", status_code=201, summary="添加主播 / 联合主播（必须是主播角色的账号）")
    async def add_host(self, request: Request, room_id: IdParam, data: JSONBody[RoomHostIn], db: Db) -> RoomOut:
        await rooms.add_host(db, request.user, room_id, data)
        return await rooms.room_out(db, room_id, request.user)

    @delete("/{room_id:int}/hosts/{user_id:int}", status_code=200, summary="移除主播")
    async def remove_host(self, request: Request, room_id: IdParam, user_id: IdParam, db: Db) -> RoomOut:
        await rooms.remove_host(db, request.user, room_id, user_id)
        return await rooms.room_out(db, room_id, request.user)
