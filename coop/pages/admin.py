"""The accountant's pages: members, contributions, share register, reports, 三资, charter (ledger: ledger.py)."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from caoyuan import clock
from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.bounds import IdParam
from caoyuan.deps import Db
from caoyuan.errors import AppError
from caoyuan.web.forms import refused_form
from coop.access import coop_scope, granted
from coop.models import (
    CONTRIBUTION_LABELS,
    DISTRIBUTION_STATE_LABELS,
    KIND_LABELS,
    SHARE_OP_LABELS,
    Cooperative,
)
from coop.pages import forms as f
from coop.params import DoneParam
from coop.rules.capital import BASES
from coop.rules.charter import LIMIT_NOTES, POLICIES
from coop.services import admin_views, founding, member_views, members, reports, shares
from coop.services.charter import charter_in_force, record_charter
from coop.services.contributions import ContributionIn, contribute
from coop.services.reports import check_period

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def cooperative(db: Db, cooperative_id: int) -> Cooperative:
    return await admin_views.cooperative(db, cooperative_id)


def back(url: str, message: str) -> Redirect:
    return Redirect(f"{url}?done={quote(message)}", status_code=303)


class CoopAdminPages(Controller):
    path = "/coop"
    include_in_schema = False
    guards = [requires(Role.ADMIN), coop_scope]

    @get("/")
    async def overview(self, request: Request, db: Db) -> Template | Redirect:
        if not await founding.cooperatives_exist(db):  # a fresh install: the first admin sets one up
            return Redirect("/coop/setup/", status_code=303)
        rows = await admin_views.overview_rows(db)
        allowed = await granted(db, request.user.id)  # the picker: only the cooperatives granted
        if allowed is not None:
            rows = [row for row in rows if row[0].id in allowed]
        capital = await admin_views.capital_by_cooperative(db)
        return Template(
            "coop/overview.html",
            context={
                "rows": rows,
                "kinds": KIND_LABELS,
                "capital": capital,
                "can_found": allowed is None,
            },
        )

    @get("/{cooperative_id:int}/")
    async def dashboard(self, cooperative_id: IdParam, db: Db) -> Template:
        coop = await cooperative(db, cooperative_id)
        today = clock.today()
        statement = await reports.income_statement(db, cooperative_id, date(today.year, 1, 1), today)
        charter = await charter_in_force(db, cooperative_id, today)
        members_count = await admin_views.members_count(db, cooperative_id)
        latest = await admin_views.latest_distribution(db, cooperative_id)
        return Template(
            "coop/dashboard.html",
            context={
                "coop": coop,
                "kinds": KIND_LABELS,
                "statement": statement,
                "charter": charter,
                "members_count": members_count,
                "latest": latest,
                "year": today.year,
                "states": DISTRIBUTION_STATE_LABELS,
            },
        )

    # ------------------------------------------------------------------ members

    @get("/{cooperative_id:int}/contributions")
    async def contributions(self, cooperative_id: IdParam, db: Db, done: DoneParam = "") -> Template:
        return Template("coop/contributions.html", context=await contributions_context(db, cooperative_id, done))

    @post("/{cooperative_id:int}/contributions")
    async def add_contribution(
        self, cooperative_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect | Template:
        try:
            kind = f.text(data, "kind")
            c = await contribute(
                db,
                cooperative_id,
                ContributionIn(
                    member_id=f.ident(data, "member_id", "社员"),
                    kind=kind,
                    contributed_on=f.day(data, "contributed_on", "入股日期"),
                    amount_fen=f.optional_fen(data, "amount", "金额") if kind in ("cash", "asset") else None,
                    area_hundredths=f.mu(data, "area") if kind == "land" else None,
                    plot=f.text(data, "plot"),
                    term_from=f.optional_day(data, "term_from"),
                    term_to=f.optional_day(data, "term_to"),
                    labour_days=f.integer(data, "labour_days", "劳动天数") if kind == "labour" else None,
                    asset_name=f.text(data, "asset_name"),
                    asset_category=f.text(data, "asset_category", "equipment"),
                    appraiser=f.text(data, "appraiser"),
                    channel=f.text(data, "channel", "cash"),
                    note=f.text(data, "note"),
                ),
                by_user_id=request.user.id,
            )
        except AppError as exc:
            return await refused_form(
                db, exc, "coop/contributions.html", data, lambda: contributions_context(db, cooperative_id)
            )
        return back(f"/coop/{cooperative_id}/contributions", f"已入股 {c.shares} 股")

    @get("/{cooperative_id:int}/register")
    async def register(self, cooperative_id: IdParam, db: Db, done: DoneParam = "") -> Template:
        return Template("coop/register.html", context=await register_context(db, cooperative_id, done))

    @post("/{cooperative_id:int}/register/transfer")
    async def transfer(
        self, cooperative_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect | Template:
        try:
            number = await shares.transfer(
                db,
                cooperative_id,
                f.ident(data, "from_member_id", "转出方"),
                f.ident(data, "to_member_id", "受让方"),
                f.integer(data, "shares", "股数"),
                f.day(data, "effective_on", "生效日期"),
                f.text(data, "reason", "转让"),
                by_user_id=request.user.id,
            )
        except AppError as exc:
            return await refused_form(db, exc, "coop/register.html", data, lambda: register_context(db, cooperative_id))
        return back(f"/coop/{cooperative_id}/register", f"已登记第 {number} 号转让")

    @post("/{cooperative_id:int}/register/redeem")
    async def redeem(
        self, cooperative_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect | Template:
        try:
            number = await shares.redeem(
                db,
                cooperative_id,
                f.ident(data, "member_id", "社员"),
                f.integer(data, "shares", "股数"),
                f.day(data, "effective_on", "生效日期"),
                f.text(data, "channel", "cash"),
                f.text(data, "reason", "退股"),
                by_user_id=request.user.id,
            )
        except AppError as exc:
            return await refused_form(db, exc, "coop/register.html", data, lambda: register_context(db, cooperative_id))
        return back(f"/coop/{cooperative_id}/register", f"已登记第 {number} 号退股")

    @get("/{cooperative_id:int}/certificates/{member_id:int}")
    async def certificate(self, cooperative_id: IdParam, member_id: IdParam, db: Db) -> Template:
        return await certificate_page(db, cooperative_id, member_id)

    # ------------------------------------------------------------------ books (the ledger: coop.pages.ledger)

    @get("/{cooperative_id:int}/reports")
    async def reports_page(
        self,
        cooperative_id: IdParam,
        db: Db,
        start: FromQuery[date | None] = None,
        end: FromQuery[date | None] = None,
    ) -> Template:
        coop = await cooperative(db, cooperative_id)
        end = end or clock.today()
        start = start or date(min(max(end.year, 2000), 2100), 1, 1)
        check_period(start, end)
        return Template(
            "coop/reports.html",
            context={
                "coop": coop,
                "start": start,
                "end": end,
                "trial": await reports.trial_balance(db, cooperative_id, start, end),
                "statement": await reports.income_statement(db, cooperative_id, start, end),
                # a 股份经济合作社 reports its year as the 2023 collective system's 收益及收益分配表
                "collective_report": await reports.collective_income_report(db, cooperative_id, start, end),
                "sheet": await reports.balance_sheet(db, cooperative_id, end),
            },
        )

    @get("/{cooperative_id:int}/charter")
    async def charter(self, cooperative_id: IdParam, db: Db, done: DoneParam = "") -> Template:
        return Template("coop/charter.html", context=await charter_context(db, cooperative_id, done))

    @post("/{cooperative_id:int}/charter")
    async def new_charter(
        self, cooperative_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect | Template:
        try:
            terms = f.charter_terms(data)
            await record_charter(
                db,
                cooperative_id,
                f.day(data, "effective_on", "生效日期"),
                terms,
                f.text(data, "note"),
                by_user_id=request.user.id,
            )
        except AppError as exc:
            exc.field = CHARTER_FORM_NAMES.get(exc.field or "", exc.field)  # the page's input, not the term
            return await refused_form(db, exc, "coop/charter.html", data, lambda: charter_context(db, cooperative_id))
        return back(f"/coop/{cooperative_id}/charter", "新章程已登记")


async def contributions_context(db: Db, cooperative_id: int, done: str = "") -> dict:
    coop = await cooperative(db, cooperative_id)
    rows = await admin_views.contribution_rows(db, cooperative_id)
    people = await admin_views.admitted_members(db, cooperative_id)
    return {
        "coop": coop,
        "rows": rows,
        "people": people,
        "kinds": CONTRIBUTION_LABELS,
        "done": done,
        "charter": await charter_in_force(db, cooperative_id, clock.today()),
        "today": clock.today().isoformat(),
    }


async def register_context(db: Db, cooperative_id: int, done: str = "") -> dict:
    coop = await cooperative(db, cooperative_id)
    people = await admin_views.members_by_id(db, cooperative_id)
    return {
        "coop": coop,
        "rows": await shares.register(db, cooperative_id),
        "people": people,
        "held": await shares.holdings(db, cooperative_id),
        "ops": SHARE_OP_LABELS,
        "done": done,
        "today": clock.today().isoformat(),
    }


# a refused term → the page input that carries it
CHARTER_FORM_NAMES = {
    "share_price_fen": "share_price",
    "land_value_per_mu_fen": "land_value_per_mu",
    "labour_value_per_day_fen": "labour_value_per_day",
    "reserve_rate_bp": "reserve_rate",
    "patronage_rate_bp": "patronage_rate",
    "live_sale_commission_bp": "commission",
    "machinery_development_bp": "machinery_development",
    "collective_share_bp": "collective_share",
    "member_share_bp": "collective_share",
}


async def charter_context(db: Db, cooperative_id: int, done: str = "") -> dict:
    coop = await cooperative(db, cooperative_id)
    versions = await admin_views.charter_versions(db, cooperative_id)
    return {
        "coop": coop,
        "versions": versions,
        "policies": POLICIES,
        "limits": LIMIT_NOTES,
        "bases": BASES,
        "current": versions[0] if versions else None,
        "done": done,
        "today": clock.today().isoformat(),
    }


async def certificate_page(db: Db, cooperative_id: int, member_id: int) -> Template:
    coop = await cooperative(db, cooperative_id)
    member = await members.get_member(db, member_id, cooperative_id)
    rows = await shares.register(db, cooperative_id, member_id)
    held = sum(r.shares for r in rows)
    capital = sum(r.amount_fen for r in rows)
    contributions = await member_views.contributions_of(db, member_id)
    last = rows[-1].number if rows else 0
    return Template(
        "coop/certificate.html",
        context={
            "coop": coop,
            "m": member,
            "held": held,
            "capital": capital,
            "contributions": contributions,
            "kinds": CONTRIBUTION_LABELS,
            "number": f"{coop.id:03d}-{member.member_no:05d}-{last:06d}",
            "as_of": rows[-1].effective_on if rows else None,
        },
    )
