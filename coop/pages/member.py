"""A member household's own pages: shares and certificate, account, dividends by year and why."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.bounds import IdParam
from caoyuan.deps import Db
from caoyuan.errors import NotFound
from coop.models import (
    ACCOUNT_ITEM_LABELS,
    CONTRIBUTION_LABELS,
    STATUS_LABELS,
    VOLUME_LABELS,
    Cooperative,
    Member,
)
from coop.pages.admin import certificate_page
from coop.pages.distribution import statement_template
from coop.pages.svg import bar_chart
from coop.rules.explain import member_lines
from coop.services import member_views
from coop.services.accounts import member_account
from coop.services.statements import ALLOC_FIELDS, DIST_FIELDS, as_dict, dividends_of

MEMBER = [requires(Role.MEMBER)]


async def my_member(db: Db, request: Request) -> tuple[Member, Cooperative] | None:
    return await member_views.member_of_user(db, request.user.id)


class CoopMemberPages(Controller):
    path = "/coop/me"
    include_in_schema = False
    guards = MEMBER

    @get("/")
    async def me(self, request: Request, db: Db) -> Template:
        found = await my_member(db, request)
        if found is None:
            return Template("coop/me.html", context={"m": None})
        member, coop = found
        dividends = await dividends_of(db, member.id)  # type: ignore[arg-type]
        latest = dividends[-1] if dividends else None
        explain = (
            member_lines(
                latest[0].policy, latest[0].year, as_dict(latest[1], ALLOC_FIELDS), as_dict(latest[0], DIST_FIELDS)
            )
            if latest
            else []
        )
        contributions = await member_views.contributions_of(db, member.id)  # type: ignore[arg-type]
        return Template(
            "coop/me.html",
            context={
                "m": member,
                "coop": coop,
                "account": await member_account(db, member),
                "statuses": STATUS_LABELS,
                "dividends": dividends,
                "latest": latest,
                "explain": explain,
                "contributions": contributions,
                "kinds": CONTRIBUTION_LABELS,
                "volume_labels": VOLUME_LABELS,
                "items": ACCOUNT_ITEM_LABELS,
                "chart": bar_chart([(f"{d.year}年", a.total_fen) for d, a in dividends[-6:]], title="历年分红"),
            },
        )

    @get("/dividends/{distribution_id:int}")
    async def dividend(self, distribution_id: IdParam, request: Request, db: Db) -> Template:
        found = await my_member(db, request)
        if found is None:
            raise NotFound("您的账户还没有关联社员档案")
        return await statement_template(db, distribution_id, found[0].id, admin=False)  # type: ignore[arg-type]

    @get("/certificate")
    async def certificate(self, request: Request, db: Db) -> Template:
        found = await my_member(db, request)
        if found is None:
            raise NotFound("您的账户还没有关联社员档案")
        return await certificate_page(db, found[1].id, found[0].id)  # type: ignore[arg-type]
