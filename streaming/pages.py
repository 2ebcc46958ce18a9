from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy import select

from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.deps import Db
from streaming.models import LiveRoom, LiveRoomHost


class LivePages(Controller):
    path = "/live"
    include_in_schema = False

    @get("/")
    async def rooms(self, db: Db) -> Template:
        rooms = (await db.scalars(select(LiveRoom).order_by(LiveRoom.id))).all()
        return Template("streaming/rooms.html", context={"rooms": rooms})

    @get("/console", guards=[requires(Role.HOST, Role.ADMIN)])
    async def console(self, request: Request, db: Db) -> Template:
        query = select(LiveRoom, LiveRoomHost.title).join(LiveRoomHost, LiveRoomHost.room_id == LiveRoom.id)
        if request.user.role != Role.ADMIN:
            query = query.where(LiveRoomHost.user_id == request.user.id)
        rows = (await db.execute(query.order_by(LiveRoom.id))).all()
        return Template("streaming/console.html", context={"rows": rows})
