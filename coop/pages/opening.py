"""Opening the books: type each account's opening balance, or download the template, fill it and upload it."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import MultipartBody, URLEncodedBody
from litestar.response import Redirect, Response, Template

from caoyuan import clock
from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.bounds import IdParam
from caoyuan.deps import Db
from caoyuan.errors import AppError, BadInput
from caoyuan.web.forms import refused_form
from coop.access import coop_scope
from coop.pages import forms as f
from coop.pages.admin import back
from coop.params import DoneParam
from coop.rules.chart import KIND_LABELS
from coop.services import opening, opening_members
from coop.services.ledger import require_cooperative

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_MAX = 2 * 1024 * 1024  # a filled template is a few kB


async def opening_context(db: Db, cooperative_id: int, done: str = "", row_errors: list | None = None) -> dict:
    coop = await require_cooperative(db, cooperative_id)
    return {
        "coop": coop,
        "accounts": opening.accounts_of(coop.kind),
        "direction": opening.direction,
        "kinds": KIND_LABELS,
        "posted": await opening.opening_entry(db, cooperative_id),
        "carried": await opening_members.carried_over(db, cooperative_id),
        "row_errors": row_errors or [],
        "done": done,
        "today": clock.today().isoformat(),
    }


def balances_from_form(data: dict[str, str], kind: str) -> dict[str, int]:
    balances = {}
    for acc in opening.accounts_of(kind):
        name = f"acct_{acc.code}"
        if f.text(data, name):
            balances[acc.code] = f.fen(data, name, acc.name)
    return balances


class OpeningPages(Controller):
    path = "/coop/{cooperative_id:int}/opening"
    include_in_schema = False
    guards = [requires(Role.ADMIN), coop_scope]  # an admin with grants stays inside their cooperatives

    @get("/")
    async def page(self, cooperative_id: IdParam, db: Db, done: DoneParam = "") -> Template:
        return Template("coop/opening.html", context=await opening_context(db, cooperative_id, done))

    @post("/")
    async def enter(
        self, cooperative_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect | Template:
        try:
            on = f.day(data, "entry_date", "建账日期")
            kind = (await require_cooperative(db, cooperative_id)).kind
            entry = await opening.post_opening(db, cooperative_id, on, balances_from_form(data, kind), request.user.id)
        except AppError as exc:
            return await refused_form(db, exc, "coop/opening.html", data, lambda: opening_context(db, cooperative_id))
        return back(f"/coop/{cooperative_id}/opening", f"期初余额已入账：凭证 #{entry.id}")

    @post("/import")
    async def upload(
        self, cooperative_id: IdParam, request: Request, db: Db, data: MultipartBody[dict[str, Any]]
    ) -> Redirect | Template:
        form = {"entry_date": str(data.get("entry_date") or "")[:20]}
        try:
            upload = data.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise BadInput("请选择填好的模板（.xlsx）", field="file")
            content = await upload.read()
            if len(content) > UPLOAD_MAX:
                raise BadInput("文件太大了（模板填好后只有几十 KB）", field="file")
            on = f.day(form, "entry_date", "建账日期")
            kind = (await require_cooperative(db, cooperative_id)).kind
            balances, errors = opening.read_template(content, upload.filename[:200], kind)
            if errors:  # nothing is written: every row's problem is listed for the accountant to fix
                context = await opening_context(db, cooperative_id, row_errors=errors)
                return Template("coop/opening.html", context={**context, "form": form}, status_code=422)
            entry = await opening.post_opening(db, cooperative_id, on, balances, request.user.id)
        except AppError as exc:
            return await refused_form(db, exc, "coop/opening.html", form, lambda: opening_context(db, cooperative_id))
        return back(f"/coop/{cooperative_id}/opening", f"已从模板导入期初余额：凭证 #{entry.id}")

    @get("/template.xlsx")
    async def template(self, cooperative_id: IdParam, db: Db) -> Response:
        coop = await require_cooperative(db, cooperative_id)
        return Response(
            opening.template_xlsx(coop.kind),
            media_type=XLSX,
            headers={"content-disposition": f"attachment; filename=opening-{cooperative_id}.xlsx"},
        )

    @get("/members-template.xlsx")
    async def members_template(self, cooperative_id: IdParam, db: Db) -> Response:
        await require_cooperative(db, cooperative_id)
        return Response(
            await opening_members.member_template_xlsx(db, cooperative_id),
            media_type=XLSX,
            headers={"content-disposition": f"attachment; filename=opening-members-{cooperative_id}.xlsx"},
        )

    @post("/members")
    async def upload_members(
        self, cooperative_id: IdParam, request: Request, db: Db, data: MultipartBody[dict[str, Any]]
    ) -> Redirect | Template:
        try:
            upload = data.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise BadInput("请选择填好的社员期初模板（.xlsx）", field="file")
            content = await upload.read()
            if len(content) > UPLOAD_MAX:
                raise BadInput("文件太大了", field="file")
            rows, errors = opening_members.read_member_template(content, upload.filename[:200])
            if errors:
                context = await opening_context(db, cooperative_id, row_errors=errors)
                return Template("coop/opening.html", context=context, status_code=422)
            count = await opening_members.post_member_opening(db, cooperative_id, rows, request.user.id)
        except AppError as exc:
            return await refused_form(db, exc, "coop/opening.html", {}, lambda: opening_context(db, cooperative_id))
        return back(f"/coop/{cooperative_id}/opening", f"已结转 {count} 户社员的期初股金和公积金量化")
