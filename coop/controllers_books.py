"""Thin HTTP for the books (/api/coop/{id}/...): the journal paged and filtered, reversing one entry."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, JSONBody, Parameter

from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.bounds import FEN_MAX, IdParam, OptionalYearParam
from caoyuan.deps import Db
from caoyuan.errors import BadInput
from coop import schemas as sc
from coop import schemas_books as sb
from coop.access import coop_scope
from coop.rules.journal import Line
from coop.services import opening, opening_members, subsidies
from coop.services.ledger import (
    PER_PAGE_MAX,
    EntryFilter,
    browse_entries,
    require_cooperative,
    reverse_by_hand,
    write_entry,
)
from coop.views import page_out

FenQuery = Annotated[int | None, Parameter(ge=0, le=FEN_MAX)]
CodeQuery = Annotated[str, Parameter(max_length=24)]


class BooksApi(Controller):
    path = "/api/coop/{cooperative_id:int}"
    tags = ["coop"]
    guards = [requires(Role.ADMIN), coop_scope]  # an admin with grants stays inside their cooperatives

    @post("/entries", summary="手工记账凭证（必须借贷平衡）")
    async def entry(self, cooperative_id: IdParam, data: JSONBody[sc.EntryIn], request: Request, db: Db) -> sc.EntryOut:
        await require_cooperative(db, cooperative_id)
        if any(ln.fund not in ("", "machinery") for ln in data.lines):
            raise BadInput("手工凭证的 fund 只能为空或 machinery（农机作业成本）", field="lines")
        lines = [
            Line(ln.account_code, ln.debit_fen, ln.credit_fen, ln.member_id, ln.fund, ln.memo[:200])
            for ln in data.lines
        ]
        entry = await write_entry(
            db,
            cooperative_id,
            lines,
            kind="manual",
            description=data.description,
            entry_date=data.entry_date,
            user_id=request.user.id,
        )
        return sc.EntryOut(entry.id, entry.entry_date, entry.kind)  # type: ignore[arg-type]

    @get("/entries", summary="记账凭证（分页，可按日期、科目、来源、金额筛选）")
    async def entries(
        self,
        cooperative_id: IdParam,
        db: Db,
        start: FromQuery[date | None] = None,
        end: FromQuery[date | None] = None,
        account: CodeQuery = "",
        source: CodeQuery = "",
        min_fen: FenQuery = None,
        max_fen: FenQuery = None,
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
        per_page: Annotated[int, Parameter(ge=1, le=PER_PAGE_MAX)] = 30,
    ) -> sb.EntryPageOut:
        await require_cooperative(db, cooperative_id)
        flt = EntryFilter(start, end, account, source, min_fen, max_fen)
        return page_out(await browse_entries(db, cooperative_id, flt, page, per_page))

    @post("/entries/{entry_id:int}/reverse", summary="冲销一张凭证（红字冲销，须写明原因）")
    async def reverse(
        self, cooperative_id: IdParam, entry_id: IdParam, data: JSONBody[sb.ReverseIn], request: Request, db: Db
    ) -> sc.EntryOut:
        await require_cooperative(db, cooperative_id)
        entry = await reverse_by_hand(db, cooperative_id, entry_id, data.reason, request.user.id)
        return sc.EntryOut(entry.id, entry.entry_date, entry.kind)  # type: ignore[arg-type]

    @get("/opening", summary="期初余额是否已录入（凭证号、日期）")
    async def opening_state(self, cooperative_id: IdParam, db: Db) -> sb.OpeningOut:
        await require_cooperative(db, cooperative_id)
        entry = await opening.opening_entry(db, cooperative_id)
        return sb.OpeningOut(entry.id if entry else None, entry.entry_date if entry else None)

    @post("/opening", summary="录入期初余额（每个科目按余额方向填写，借贷必须相等；只录一次，错了先冲销）")
    async def post_opening(
        self, cooperative_id: IdParam, data: JSONBody[sb.OpeningIn], request: Request, db: Db
    ) -> sb.OpeningOut:
        balances: dict[str, int] = {}
        for row in data.balances:
            if row.account_code in balances:
                raise BadInput(f"科目 {row.account_code} 填了两次", field="balances")
            balances[row.account_code] = row.amount_fen
        entry = await opening.post_opening(db, cooperative_id, data.entry_date, balances, request.user.id)
        return sb.OpeningOut(entry.id, entry.entry_date)

    @get("/subsidies", summary="补助量化到社员的记录（可按年度）")
    async def subsidy_rows(self, cooperative_id: IdParam, db: Db, year: OptionalYearParam = None) -> sb.SubsidyOut:
        await require_cooperative(db, cooperative_id)
        rows = await subsidies.subsidies(db, cooperative_id, year)
        return sb.SubsidyOut(sum(r.amount_fen for r in rows), [sb.SubsidyRowOut(**vars(r)) for r in rows])

    @post("/subsidies", summary="把一年的政府补助量化到社员（依据、每户金额；计入分配的第三项权重）")
    async def quantify(self, cooperative_id: IdParam, data: JSONBody[sb.SubsidyIn], db: Db) -> sb.SubsidyOut:
        amounts: dict[int, int] = {}
        for line in data.lines:
            if line.member_id in amounts:
                raise BadInput("同一户社员填了两次", field=f"member_{line.member_id}")
            amounts[line.member_id] = line.amount_fen
        await subsidies.record_subsidies(db, cooperative_id, data.year, data.basis, amounts)
        rows = await subsidies.subsidies(db, cooperative_id, data.year)
        return sb.SubsidyOut(sum(r.amount_fen for r in rows), [sb.SubsidyRowOut(**vars(r)) for r in rows])

    @post("/opening/members", summary="结转社员的期初股金（编号登记）和公积金量化额（期初余额入账之后，只一次）")
    async def members_opening(
        self, cooperative_id: IdParam, data: JSONBody[sb.MembersOpeningIn], request: Request, db: Db
    ) -> sb.MembersOpeningOut:
        await require_cooperative(db, cooperative_id)
        rows = [opening_members.MemberOpening(r.member_no, r.shares, r.capital_fen, r.reserve_fen) for r in data.rows]
        count = await opening_members.post_member_opening(db, cooperative_id, rows, request.user.id)
        return sb.MembersOpeningOut(count)
