"""The admin's set-up pages for live rooms: the list, a new room, one room's details and its hosts."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import Parameter, URLEncodedBody
from litestar.response import Redirect, Template

from caoyuan.auth import Role
from caoyuan.auth.current import CurrentUser, requires
from caoyuan.bounds import IdParam
from caoyuan.deps import Db
from caoyuan.errors import AppError
from caoyuan.web.forms import parse_form, refused_form
from caoyuan.web.responses import see_other
from streaming.models import CONTENT_LINE_LABELS
from streaming.schemas import RoomHostIn, RoomIn, RoomOut
from streaming.services import rooms

ADMIN = requires(Role.ADMIN)
Notice = Annotated[str | None, Parameter(max_length=100)]
LINE_PREFIX = "line_"  # one checkbox per content line: line_goods=on, …


def _room_form(data: dict[str, str]) -> RoomIn:
    """The room's fields; the ticked content-line boxes become the list RoomIn expects."""
    fields = {k: v for k, v in data.items() if k in {"name", "banner", "place", "description", "cooperative_id"}}
    lines = [key.removeprefix(LINE_PREFIX) for key in data if key.startswith(LINE_PREFIX)]
    return parse_form({**fields, "content_lines": lines}, RoomIn)


def _form_of(room: RoomOut) -> dict[str, str]:
    return {
        "name": room.name,
        "banner": room.banner,
        "place": room.place,
        "description": room.description,
        "cooperative_id": str(room.cooperative_id or ""),
        **{LINE_PREFIX + line: "on" for line in room.content_lines},
    }


class RoomSetupPages(Controller):
    path = "/live/setup/rooms"
    include_in_schema = False
    guards = [ADMIN]

    @get("/")
    async def list_rooms(self, request: Request, db: Db, notice: Notice = None) -> Template:
        page = await _list_context(db, request.user)
        return Template("streaming/rooms_setup.html", context={**page, "notice": notice})

    @post("/")
    async def create(self, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
        try:
            room = await rooms.create_room(db, request.user, _room_form(data))
        except AppError as exc:
            return await refused_form(
                db, exc, "streaming/rooms_setup.html", data, lambda: _list_context(db, request.user)
            )
        return see_other(f"/live/setup/rooms/{room.id}", notice="直播间已建好，请添加主播")

    @get("/{room_id:int}")
    async def room_page(self, request: Request, room_id: IdParam, db: Db, notice: Notice = None) -> Template:
        page = await _room_context(db, room_id, request.user)
        page["notice"] = notice
        return Template("streaming/rooms_edit.html", context=page)

    @post("/{room_id:int}")
    async def edit(
        self, request: Request, room_id: IdParam, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Template | Redirect:
        try:
            await rooms.edit_room(db, request.user, room_id, _room_form(data))
        except AppError as exc:
            return await refused_form(
                db, exc, "streaming/rooms_edit.html", data, lambda: _room_context(db, room_id, request.user)
            )
        return see_other(f"/live/setup/rooms/{room_id}", notice="已保存")

    @post("/{room_id:int}/hosts")
    async def add_host(
        self, request: Request, room_id: IdParam, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Template | Redirect:
        try:
            await rooms.add_host(
                db,
                request.user,
                room_id,
                parse_form({k: v for k, v in data.items() if k in {"user_id", "title"}}, RoomHostIn),
            )
        except AppError as exc:
            return await refused_form(
                db, exc, "streaming/rooms_edit.html", data, lambda: _room_context(db, room_id, request.user)
            )
        return see_other(f"/live/setup/rooms/{room_id}", notice="已添加主播")

    @post("/{room_id:int}/hosts/{user_id:int}/remove")
    async def remove_host(self, request: Request, room_id: IdParam, user_id: IdParam, db: Db) -> Template | Redirect:
        try:
            await rooms.remove_host(db, request.user, room_id, user_id)
        except AppError as exc:
            return await refused_form(
                db, exc, "streaming/rooms_edit.html", {}, lambda: _room_context(db, room_id, request.user)
            )
        return see_other(f"/live/setup/rooms/{room_id}", notice="已移除")


async def _list_context(db: Db, user: CurrentUser) -> dict:
    return {
        "rooms": await rooms.all_rooms(db, user),
        "coops": await rooms.cooperative_choices(db, user),
        "lines": CONTENT_LINE_LABELS,
        "form": {},
        "errors": {},
    }


async def _room_context(db: Db, room_id: int, user: CurrentUser) -> dict:
    room = await rooms.room_out(db, room_id, user)
    named = {h.user_id for h in room.hosts}
    logins = [(uid, label) for uid, label in await rooms.host_logins(db) if uid not in named]
    return {
        "room": room,
        "logins": logins,
        "coops": await rooms.cooperative_choices(db, user),
        "lines": CONTENT_LINE_LABELS,
        "form": {},
        "room_form": _form_of(room),
        "errors": {},
        "next_title": "联合主播" if room.hosts else "主播",
    }
