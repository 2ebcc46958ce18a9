"""/coop/{id}/people and /api/coop/{id}/people: the cooperative's logins (coop.services.people does the work).

A temporary password (a new login's, or a reset's) is shown once in the answer to the POST that made it —
never put in a URL, a redirect or the log.
"""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from caoyuan.auth import Role
from caoyuan.auth.current import forget_user, requires
from caoyuan.bounds import IdParam
from caoyuan.deps import Db
from caoyuan.errors import AppError
from caoyuan.web.forms import refused_form
from coop.access import coop_scope
from coop.pages import forms as f
from coop.pages.admin import back
from coop.params import DoneParam
from coop.schemas_people import GrantIn, PersonIn, PersonOut, RoleIn, TemporaryPasswordOut
from coop.services import people as svc
from coop.services.ledger import require_cooperative

TEMPLATE = "coop/people.html"


async def people_context(db: Db, cooperative_id: int, done: str = "", shown: dict | None = None) -> dict:
    return {
        "coop": await require_cooperative(db, cooperative_id),
        "rows": await svc.people(db, cooperative_id),
        "households": await svc.households_without_login(db, cooperative_id),
        "roles": [(r.value, r.label) for r in svc.PEOPLE_ROLES],
        "done": done,
        "shown": shown,  # {"name": ..., "password": ...}: the one time a temporary password is seen
        "form": {},
        "errors": {},
    }


class PeoplePages(Controller):
    path = "/coop/{cooperative_id:int}/people"
    include_in_schema = False
    guards = [requires(Role.ADMIN), coop_scope]

    @get("/")
    async def people_page(self, cooperative_id: IdParam, db: Db, done: DoneParam = "") -> Template:
        return Template(TEMPLATE, context=await people_context(db, cooperative_id, done))

    @post("/")
    async def create(
        self, cooperative_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Template:
        try:
            member_id = f.ident(data, "member_id", "社员户") if f.text(data, "member_id") else None
            draft = svc.PersonDraft(
                f.text(data, "phone", limit=20),
                f.text(data, "name", limit=50),
                f.text(data, "role", limit=16),
                member_id,
            )
            account, temporary = await svc.create_person(db, cooperative_id, draft, by_user_id=request.user.id)
        except AppError as exc:
            return await refused_form(db, exc, TEMPLATE, data, lambda: people_context(db, cooperative_id))
        shown = {"name": account.display_name, "password": temporary}
        return Template(TEMPLATE, context=await people_context(db, cooperative_id, "账户已建立", shown))

    @post("/{user_id:int}/deactivate")
    async def deactivate(
        self, cooperative_id: IdParam, user_id: IdParam, request: Request, db: Db
    ) -> Template | Redirect:
        try:
            await svc.set_active(db, cooperative_id, user_id, False, by_user_id=request.user.id)
        except AppError as exc:
            return await refused_form(db, exc, TEMPLATE, {}, lambda: people_context(db, cooperative_id))
        forget_user(user_id)
        return back(f"/coop/{cooperative_id}/people/", "账户已停用")

    @post("/{user_id:int}/reactivate")
    async def reactivate(
        self, cooperative_id: IdParam, user_id: IdParam, request: Request, db: Db
    ) -> Template | Redirect:
        try:
            await svc.set_active(db, cooperative_id, user_id, True, by_user_id=request.user.id)
        except AppError as exc:
            return await refused_form(db, exc, TEMPLATE, {}, lambda: people_context(db, cooperative_id))
        return back(f"/coop/{cooperative_id}/people/", "账户已恢复")

    @post("/{user_id:int}/role")
    async def role(
        self, cooperative_id: IdParam, user_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Template | Redirect:
        try:
            await svc.change_role(
                db, cooperative_id, user_id, f.text(data, "role", limit=16), by_user_id=request.user.id
            )
        except AppError as exc:
            return await refused_form(db, exc, TEMPLATE, data, lambda: people_context(db, cooperative_id))
        forget_user(user_id)
        return back(f"/coop/{cooperative_id}/people/", "角色已更改")

    @post("/{user_id:int}/reset")
    async def reset(self, cooperative_id: IdParam, user_id: IdParam, request: Request, db: Db) -> Template:
        try:
            temporary = await svc.reset_password(db, cooperative_id, user_id, by_user_id=request.user.id)
        except AppError as exc:
            return await refused_form(db, exc, TEMPLATE, {}, lambda: people_context(db, cooperative_id))
        forget_user(user_id)
        context = await people_context(db, cooperative_id, "密码已重置")
        name = next((p.name for p in context["rows"] if p.user_id == user_id), "")
        context["shown"] = {"name": name, "password": temporary}
        return Template(TEMPLATE, context=context)

    @post("/grant")
    async def grant(
        self, cooperative_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Template | Redirect:
        try:
            await svc.grant_admin(db, cooperative_id, f.text(data, "grant_phone", limit=20), by_user_id=request.user.id)
        except AppError as exc:
            if exc.field == "phone":
                exc.field = "grant_phone"  # the grant form's own input, not the new-login form's
            return await refused_form(db, exc, TEMPLATE, data, lambda: people_context(db, cooperative_id))
        return back(f"/coop/{cooperative_id}/people/", "已授权这位管理员管理本合作社")


def _out(p: svc.Person) -> PersonOut:
    return PersonOut(p.user_id, p.name, p.phone, p.role, p.active, p.must_change_password, p.member_no)


class PeopleApi(Controller):
    path = "/api/coop/{cooperative_id:int}/people"
    tags = ["coop"]
    guards = [requires(Role.ADMIN), coop_scope]

    @get("/", summary="本合作社的登录账户")
    async def list_people(self, cooperative_id: IdParam, db: Db) -> list[PersonOut]:
        return [_out(p) for p in await svc.people(db, cooperative_id)]

    @post("/", status_code=201, summary="建立登录账户（返回一次性临时密码，首次登录须修改）")
    async def create_person(
        self, cooperative_id: IdParam, request: Request, db: Db, data: JSONBody[PersonIn]
    ) -> TemporaryPasswordOut:
        draft = svc.PersonDraft(data.phone, data.name, data.role, data.member_id)
        account, temporary = await svc.create_person(db, cooperative_id, draft, by_user_id=request.user.id)
        return TemporaryPasswordOut(account.id, temporary)  # type: ignore[arg-type]

    @post("/{user_id:int}/deactivate", status_code=200, summary="停用账户（立即退出所有登录）")
    async def deactivate(self, cooperative_id: IdParam, user_id: IdParam, request: Request, db: Db) -> None:
        await svc.set_active(db, cooperative_id, user_id, False, by_user_id=request.user.id)
        forget_user(user_id)

    @post("/{user_id:int}/reactivate", status_code=200, summary="恢复账户")
    async def reactivate(self, cooperative_id: IdParam, user_id: IdParam, request: Request, db: Db) -> None:
        await svc.set_active(db, cooperative_id, user_id, True, by_user_id=request.user.id)

    @post("/{user_id:int}/role", status_code=200, summary="更改角色")
    async def role(
        self, cooperative_id: IdParam, user_id: IdParam, request: Request, db: Db, data: JSONBody[RoleIn]
    ) -> None:
        await svc.change_role(db, cooperative_id, user_id, data.role, by_user_id=request.user.id)
        forget_user(user_id)

    @post("/{user_id:int}/reset-password", status_code=200, summary="重置密码（返回一次性临时密码）")
    async def reset(self, cooperative_id: IdParam, user_id: IdParam, request: Request, db: Db) -> TemporaryPasswordOut:
        temporary = await svc.reset_password(db, cooperative_id, user_id, by_user_id=request.user.id)
        forget_user(user_id)
        return TemporaryPasswordOut(user_id, temporary)

    @post("/grant", status_code=200, summary="授权一位现有管理员管理本合作社")
    async def grant(self, cooperative_id: IdParam, request: Request, db: Db, data: JSONBody[GrantIn]) -> None:
        await svc.grant_admin(db, cooperative_id, data.phone, by_user_id=request.user.id)
