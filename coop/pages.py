"""Cooperative pages (zh-CN, phone-first)."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy import func, select

from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.deps import Db
from coop.models import KIND_LABELS, STATUS_LABELS, Cooperative, Member


class CoopPages(Controller):
    path = "/coop"
    include_in_schema = False

    @get("/", guards=[requires(Role.ADMIN)])
    async def overview(self, db: Db) -> Template:
        rows = (await db.execute(
            select(Cooperative, func.count(Member.id), func.coalesce(func.sum(Member.household_size), 0))
            .outerjoin(Member, Member.cooperative_id == Cooperative.id)
            .group_by(Cooperative.id).order_by(Cooperative.id)
        )).all()
        return Template("coop/overview.html", context={"rows": rows, "kinds": KIND_LABELS})

    @get("/me", guards=[requires(Role.MEMBER)])
    async def me(self, request: Request, db: Db) -> Template:
        row = (await db.execute(
            select(Member, Cooperative).join(Cooperative, Cooperative.id == Member.cooperative_id)
            .where(Member.user_id == request.user.id)
        )).first()
        return Template("coop/me.html", context={"row": row, "statuses": STATUS_LABELS})
