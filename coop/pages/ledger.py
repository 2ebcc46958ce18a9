"""The accountant's ledger page: the journal paged and filtered, a manual entry, reversing one entry."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.params import Parameter, URLEncodedBody
from litestar.response import Redirect, Template

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
from coop.params import DoneParam, PageParam
from coop.rules import chart
from coop.rules.journal import SOURCE_LABELS, credit, debit
from coop.services.ledger import EntryFilter, browse_entries, require_cooperative, reverse_by_hand, write_entry

# the filter box's fields as typed (kept as text so a bad one comes back to the form with its message)
FilterText = Annotated[str, Parameter(max_length=30)]
FILTER_FIELDS = ("start", "end", "account", "source", "min", "max")
PER_PAGE = 30


def read_filter(raw: dict[str, str]) -> EntryFilter:
    """The filter box → an EntryFilter; amounts are typed in yuan."""
    return EntryFilter(
        start=f.optional_day(raw, "start", "开始日期"),
        end=f.optional_day(raw, "end", "结束日期"),
        account=f.text(raw, "account", limit=8),
        source=f.text(raw, "source", limit=24),
        min_fen=_yuan(raw, "min", "最小金额"),
        max_fen=_yuan(raw, "max", "最大金额"),
    )


def _yuan(raw: dict[str, str], name: str, label: str) -> int | None:
    value = f.optional_fen(raw, name, label)
    if value is not None and value < 0:
        raise BadInput(f"{label}不能为负数", field=name)
    return value


FIELD_OF = {"min_fen": "min", "max_fen": "max"}  # the service's field → the filter box's input


async def ledger_context(db: Db, cooperative_id: int, raw: dict[str, str] | None = None, page: int = 1) -> dict:
    coop = await require_cooperative(db, cooperative_id)
    raw = {k: v for k, v in (raw or {}).items() if v}
    context: dict = {
        "coop": coop,
        "chart": chart.CHART,  # every account's name, for lines written before a chart switch too
        "own_chart": chart.chart_for(coop.kind).accounts,  # what a new entry may use: the kind's chart
        "sources": SOURCE_LABELS,
        "filters": raw,
        "filter_errors": {},
        "today": clock.today().isoformat(),
    }
    try:
        flt = read_filter(raw)
        result = await browse_entries(db, cooperative_id, flt, page, PER_PAGE)
    except BadInput as exc:  # a bad filter shows at its box, with the unfiltered journal below
        context["filter_errors"] = {FIELD_OF.get(exc.field or "", exc.field): exc.message}
        result = await browse_entries(db, cooperative_id, EntryFilter(), 1, PER_PAGE)
        raw = {}
    query = urlencode(raw)
    context.update(result=result, query=query, filtered=bool(raw))
    return context


class LedgerPages(Controller):
    path = "/coop/{cooperative_id:int}/ledger"
    include_in_schema = False
    guards = [requires(Role.ADMIN), coop_scope]  # an admin with grants stays inside their cooperatives

    @get("/")
    async def ledger(
        self,
        cooperative_id: IdParam,
        db: Db,
        done: DoneParam = "",
        page: PageParam = 1,
        start: FilterText = "",
        end: FilterText = "",
        account: FilterText = "",
        source: FilterText = "",
        min: FilterText = "",  # noqa: A002 - the query's own name
        max: FilterText = "",  # noqa: A002
    ) -> Template:
        raw = {"start": start, "end": end, "account": account, "source": source, "min": min, "max": max}
        context = await ledger_context(db, cooperative_id, raw, page)
        return Template("coop/ledger.html", context={**context, "done": done})

    @post("/")
    async def manual_entry(
        self, cooperative_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect | Template:
        try:
            await require_cooperative(db, cooperative_id)
            amount = f.fen(data, "amount", "金额")
            dr, cr = f.text(data, "debit_code"), f.text(data, "credit_code")
            description = f.text(data, "description") or "手工凭证"
            fund = chart.MACHINERY_FUND if data.get("machinery") == "on" else ""
            entry = await write_entry(
                db,
                cooperative_id,
                [debit(dr, amount, fund=fund, memo=description), credit(cr, amount, memo=description)],
                kind="manual",
                description=description,
                entry_date=f.day(data, "entry_date", "凭证日期"),
                user_id=request.user.id,
            )
        except AppError as exc:
            return await refused_form(db, exc, "coop/ledger.html", data, lambda: ledger_context(db, cooperative_id))
        return back(f"/coop/{cooperative_id}/ledger", f"已记账：凭证 #{entry.id}")

    @post("/{entry_id:int}/reverse")
    async def reverse(
        self,
        cooperative_id: IdParam,
        entry_id: IdParam,
        request: Request,
        db: Db,
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect | Template:
        try:
            reversal = await reverse_by_hand(
                db, cooperative_id, entry_id, f.text(data, "reason", limit=200), request.user.id
            )
        except AppError as exc:
            if exc.field in (None, "entry_id", "reason"):
                exc.field = f"reason_{entry_id}"  # the message shows under this entry's reason box
            return await refused_form(db, exc, "coop/ledger.html", data, lambda: ledger_context(db, cooperative_id))
        return back(f"/coop/{cooperative_id}/ledger", f"已冲销凭证 #{entry_id}，冲销凭证 #{reversal.id}")
