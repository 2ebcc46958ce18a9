"""Member households' pages: the register, one household, import / export, status and its login."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import MultipartBody, URLEncodedBody
from litestar.response import Redirect, Response, Template

from caoyuan import clock
from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.auth.models import UserAccount
from caoyuan.bounds import COUNT_MAX, IdParam
from caoyuan.deps import Db
from caoyuan.errors import AppError, BadInput
from caoyuan.identity import IdentityError, normalize_phone
from caoyuan.web.forms import refused_form
from coop.access import coop_scope
from coop.models import (
    CONTRIBUTION_LABELS,
    SHARE_OP_LABELS,
    STATUS_LABELS,
)
from coop.pages import forms as f
from coop.pages.admin import XLSX, back, cooperative
from coop.params import DoneParam, SearchParam
from coop.rules.members import MEMBER_NO_MAX, MemberDraft
from coop.services import accounts, member_views, members, shares
from coop.services.member_io import export_members, import_members, read_table
from coop.services.statements import dividends_of


class MemberPages(Controller):
    path = "/coop"
    include_in_schema = False
    guards = [requires(Role.ADMIN), coop_scope]

    @get("/{cooperative_id:int}/members")
    async def members_list(
        self, cooperative_id: IdParam, db: Db, q: SearchParam = "", done: DoneParam = ""
    ) -> Template:
        return Template("coop/members.html", context=await members_context(db, cooperative_id, q, done))

    @post("/{cooperative_id:int}/members")
    async def admit(
        self, cooperative_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect | Template:
        try:
            draft = MemberDraft(
                f.integer(data, "member_no", "社员号", lo=1, hi=MEMBER_NO_MAX) if f.text(data, "member_no") else None,
                f.text(data, "name"),
                f.text(data, "id_number"),
                f.text(data, "phone"),
                f.text(data, "village"),
                f.text(data, "group_name"),
                f.integer(data, "household_size", "家庭人口", 1, lo=-COUNT_MAX),  # the member rule says 1–30
                data.get("hardship") == "on",
                f.optional_day(data, "joined_on", "入社日期"),
            )
            member = await members.admit(db, cooperative_id, draft, by_user_id=request.user.id)
        except AppError as exc:
            return await refused_form(
                db, exc, "coop/members.html", data, lambda: members_context(db, cooperative_id, "", "")
            )
        return back(f"/coop/{cooperative_id}/members", f"已登记社员 {member.member_no} 号 {member.name}")

    @post("/{cooperative_id:int}/members/import")
    async def import_file(
        self, cooperative_id: IdParam, request: Request, db: Db, data: MultipartBody[dict[str, Any]]
    ) -> Template:
        coop = await cooperative(db, cooperative_id)
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise BadInput("请选择要导入的 CSV 或 Excel 文件", field="file")
        content = await upload.read()
        report = await import_members(
            db, cooperative_id, read_table(content, upload.filename), by_user_id=request.user.id
        )
        return Template(
            "coop/import_report.html", context={"coop": coop, "report": report, "filename": upload.filename}
        )

    @get("/{cooperative_id:int}/members/export.xlsx")
    async def export(self, cooperative_id: IdParam, db: Db) -> Response:
        await cooperative(db, cooperative_id)
        body = await export_members(db, cooperative_id)
        return Response(
            body,
            media_type=XLSX,
            headers={"content-disposition": f"attachment; filename=members-{cooperative_id}.xlsx"},
        )

    @get("/{cooperative_id:int}/members/{member_id:int}")
    async def member_detail(
        self, cooperative_id: IdParam, member_id: IdParam, db: Db, done: DoneParam = ""
    ) -> Template:
        return Template("coop/member.html", context=await member_context(db, cooperative_id, member_id, done))

    @post("/{cooperative_id:int}/members/{member_id:int}/status")
    async def change_status(
        self,
        cooperative_id: IdParam,
        member_id: IdParam,
        request: Request,
        db: Db,
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect | Template:
        try:
            await members.get_member(db, member_id, cooperative_id)
            heir = f.ident(data, "heir_member_id", "继承人") if f.text(data, "heir_member_id") else None
            await members.change_status(
                db,
                member_id,
                f.text(data, "status"),
                f.day(data, "effective_on", "生效日期"),
                f.text(data, "reason"),
                heir_member_id=heir,
                by_user_id=request.user.id,
            )
        except AppError as exc:
            return await _member_refused(db, exc, cooperative_id, member_id, data)
        return back(f"/coop/{cooperative_id}/members/{member_id}", "成员状态已更新")

    @post("/{cooperative_id:int}/members/{member_id:int}/login")
    async def link_login(
        self, cooperative_id: IdParam, member_id: IdParam, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect | Template:
        """Let the household log in (role 社员) with an existing account's phone number.

        An empty field is refused: unlinking is its own button (``/login/unlink``), never a side effect."""
        try:
            await members.get_member(db, member_id, cooperative_id)
            phone = f.text(data, "phone")
            if not phone:
                raise BadInput("请填写社员登录账户的手机号；要取消关联请按「取消关联」", field="phone")
            try:
                phone = normalize_phone(phone)
            except IdentityError as exc:
                raise BadInput(str(exc), field="phone") from None
            account = await member_views.account_by_phone(db, phone)
            if account is None or account.role != Role.MEMBER:
                raise BadInput(
                    "没有这个手机号的社员账户；请先用 caoyuan user create --role member 建立账户", field="phone"
                )
            await members.link_login(db, member_id, account.id)
        except AppError as exc:
            return await _member_refused(db, exc, cooperative_id, member_id, data)
        return back(f"/coop/{cooperative_id}/members/{member_id}", "登录账户已关联")

    @post("/{cooperative_id:int}/members/{member_id:int}/login/unlink")
    async def unlink_login(self, cooperative_id: IdParam, member_id: IdParam, db: Db) -> Redirect:
        """The explicit way to stop a household logging in (the account itself is kept)."""
        await members.get_member(db, member_id, cooperative_id)
        await members.link_login(db, member_id, None)
        return back(f"/coop/{cooperative_id}/members/{member_id}", "已取消关联，这个账户不能再查看本户信息")


async def members_context(db: Db, cooperative_id: int, q: str = "", done: str = "") -> dict:
    coop = await cooperative(db, cooperative_id)
    rows = await member_views.register_rows(db, cooperative_id, q)
    return {
        "coop": coop,
        "members": rows,
        "held": await shares.holdings(db, cooperative_id),
        "q": q,
        "statuses": STATUS_LABELS,
        "done": done,
        "today": clock.today().isoformat(),
    }


async def member_context(db: Db, cooperative_id: int, member_id: int, done: str = "") -> dict:
    coop = await cooperative(db, cooperative_id)
    member = await members.get_member(db, member_id, cooperative_id)
    others = await member_views.other_admitted(db, cooperative_id, member_id)
    contributions = await member_views.contributions_of(db, member_id)
    return {
        "coop": coop,
        "m": member,
        "history": await members.status_history(db, member_id),
        "account": await accounts.member_account(db, member),
        "contributions": contributions,
        "register": await shares.register(db, cooperative_id, member_id),
        "ops": SHARE_OP_LABELS,
        "dividends": await dividends_of(db, member_id),
        "statuses": STATUS_LABELS,
        "others": others,
        "kinds": CONTRIBUTION_LABELS,
        "done": done,
        "today": clock.today().isoformat(),
        "login": await db.get(UserAccount, member.user_id) if member.user_id else None,
    }


async def _member_refused(db: Db, exc: AppError, cooperative_id: int, member_id: int, data: dict[str, str]) -> Template:
    return await refused_form(db, exc, "coop/member.html", data, lambda: member_context(db, cooperative_id, member_id))
