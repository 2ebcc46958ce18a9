"""Quantifying a year's government subsidy to member households (basis and an amount per household)."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from caoyuan import clock
from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.bounds import IdParam
from caoyuan.deps import Db
from caoyuan.errors import AppError, BadInput
from caoyuan.money import format_fen
from caoyuan.web.forms import refused_form
from coop.access import coop_scope
from coop.pages import forms as f
from coop.pages.admin import back
from coop.params import DoneParam
from coop.services import subsidies
from coop.services.ledger import require_cooperative


async def subsidy_context(db: Db, cooperative_id: int, done: str = "") -> dict:
    coop = await require_cooperative(db, cooperative_id)
    rows = await subsidies.subsidies(db, cooperative_id)
    years: dict[int, int] = {}
    for r in rows:
        years[r.year] = years.get(r.year, 0) + r.amount_fen
    return {
        "coop": coop,
        "members": await subsidies.admitted_members(db, cooperative_id),
        "rows": rows,
        "years": years,
        "done": done,
        "default_year": clock.today().year - 1,
    }


class SubsidyPages(Controller):
    path = "/coop/{cooperative_id:int}/subsidies"
    include_in_schema = False
    guards = [requires(Role.ADMIN), coop_scope]  # an admin with grants stays inside their cooperatives

    @get("/")
    async def page(self, cooperative_id: IdParam, db: Db, done: DoneParam = "") -> Template:
        return Template("coop/subsidies.html", context=await subsidy_context(db, cooperative_id, done))

    @post("/")
    async def quantify(
        self, cooperative_id: IdParam, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect | Template:
        try:
            year = f.integer(data, "year", "年度", lo=2000, hi=2100)
            amounts: dict[int, int] = {}
            for m in await subsidies.admitted_members(db, cooperative_id):
                name = f"member_{m.id}"
                if m.id is not None and f.text(data, name):
                    amounts[m.id] = fen = f.fen(data, name, f"{m.member_no} 号的金额")
                    if fen < 0:
                        raise BadInput("量化金额不能为负数", field=name)
            total = await subsidies.record_subsidies(db, cooperative_id, year, f.text(data, "basis"), amounts)
        except AppError as exc:
            return await refused_form(db, exc, "coop/subsidies.html", data, lambda: subsidy_context(db, cooperative_id))
        return back(
            f"/coop/{cooperative_id}/subsidies", f"已量化 {year} 年补助 {len(amounts)} 户，共 {format_fen(total)}"
        )
