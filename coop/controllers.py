"""Thin HTTP for the cooperative (/api/coop/...): parse, call a service, shape the answer."""

from __future__ import annotations

from datetime import date

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, JSONBody

from caoyuan import clock
from caoyuan.auth import Role
from caoyuan.auth.current import CurrentUser, ensure_self_or_admin, requires
from caoyuan.bounds import IdParam
from caoyuan.deps import Db
from caoyuan.errors import BadInput, NotFound
from coop import schemas as sc
from coop.access import coop_scope
from coop.models import Member
from coop.rules.charter import Terms
from coop.rules.members import MemberDraft
from coop.services import accounts, founding, members, reports, shares
from coop.services import distribution as dist_service
from coop.services.charter import record_charter
from coop.services.contributions import contribute
from coop.services.distribution.approve import AssemblyVote
from coop.services.distribution.common import load
from coop.views import distribution_out, member_public, statement_out

ADMIN = [requires(Role.ADMIN), coop_scope]  # coop_scope: an admin stays inside their granted cooperatives
ADMIN_OR_MEMBER = [requires(Role.ADMIN, Role.MEMBER), coop_scope]


class MemberApi(Controller):
    path = "/api/coop/members"
    tags = ["coop"]

    @get("/{member_id:int}", guards=ADMIN_OR_MEMBER, summary="一户社员（社员只能看本户）")
    async def get_member(self, member_id: IdParam, request: Request, db: Db) -> sc.MemberPublic:
        user: CurrentUser = request.user
        member = await db.get(Member, member_id)
        if member is None:
            raise NotFound("没有这位社员")
        ensure_self_or_admin(user, member.user_id)
        return member_public(member)

    @get("/{member_id:int}/account", guards=ADMIN_OR_MEMBER, summary="成员账户（出资、量化公积金、交易量、分红）")
    async def account(self, member_id: IdParam, request: Request, db: Db) -> sc.AccountOut:
        member = await members.get_member(db, member_id)
        ensure_self_or_admin(request.user, member.user_id)
        acct = await accounts.member_account(db, member)
        return sc.AccountOut(
            member_id,
            acct.shares,
            acct.capital_fen,
            acct.reserve_share_fen,
            acct.subsidy_share_fen,
            acct.volume_by_year,
            acct.items_by_year,
        )

    @post("/{member_id:int}/status", guards=ADMIN, summary="成员身份变更（暂停、恢复、退社、去世及继承人）")
    async def change_status(
        self, member_id: IdParam, data: JSONBody[sc.StatusIn], request: Request, db: Db
    ) -> sc.MemberPublic:
        member = await members.change_status(
            db,
            member_id,
            data.status,
            data.effective_on,
            data.reason,
            heir_member_id=data.heir_member_id,
            by_user_id=request.user.id,
        )
        return member_public(member)


class CooperativeApi(Controller):
    path = "/api/coop/{cooperative_id:int}"
    tags = ["coop"]
    guards = ADMIN

    @post("/members", summary="登记一户新社员")
    async def admit(
        self, cooperative_id: IdParam, data: JSONBody[sc.MemberIn], request: Request, db: Db
    ) -> sc.MemberPublic:
        draft = MemberDraft(
            data.member_no,
            data.name,
            data.id_number,
            data.phone,
            data.village,
            data.group_name,
            data.household_size,
            data.hardship,
            data.joined_on,
        )
        member = await members.admit(db, cooperative_id, draft, user_id=data.user_id, by_user_id=request.user.id)
        return member_public(member)

    @post("/contributions", summary="社员入股（土地、现金、实物、劳动力）")
    async def contribute(
        self, cooperative_id: IdParam, data: JSONBody[sc.ContributionIn], request: Request, db: Db
    ) -> sc.ContributionOut:
        c = await contribute(
            db,
            cooperative_id,
            data,
            by_user_id=request.user.id,
        )
        return sc.ContributionOut(
            c.id,
            c.member_id,
            c.kind,
            c.value_fen,
            c.shares,
            c.share_value_fen,  # type: ignore[arg-type]
            c.capital_reserve_fen,
            c.entry_id,
        )

    @post("/transfers", summary="股份转让（双方记录都保留）")
    async def transfer(
        self, cooperative_id: IdParam, data: JSONBody[sc.TransferIn], request: Request, db: Db
    ) -> sc.OperationOut:
        return sc.OperationOut(
            await shares.transfer(
                db,
                cooperative_id,
                data.from_member_id,
                data.to_member_id,
                data.shares,
                data.effective_on,
                data.reason,
                by_user_id=request.user.id,
            )
        )

    @post("/redemptions", summary="退股（按章程）")
    async def redeem(
        self, cooperative_id: IdParam, data: JSONBody[sc.RedeemIn], request: Request, db: Db
    ) -> sc.OperationOut:
        return sc.OperationOut(
            await shares.redeem(
                db,
                cooperative_id,
                data.member_id,
                data.shares,
                data.effective_on,
                data.channel,
                data.reason,
                by_user_id=request.user.id,
            )
        )

    @post("/charters", summary="登记新一版章程（按生效日期）")
    async def charter(
        self, cooperative_id: IdParam, data: JSONBody[sc.CharterIn], request: Request, db: Db
    ) -> sc.CharterOut:
        fields = {f: getattr(data, f) for f in data.__struct_fields__ if f not in ("effective_on", "note")}
        charter = await record_charter(
            db, cooperative_id, data.effective_on, Terms(**fields), data.note, by_user_id=request.user.id
        )
        return sc.CharterOut(charter.id, charter.effective_on, charter.policy, charter.patronage_rate_bp)  # type: ignore[arg-type]

    @get("/reports/trial-balance", summary="科目余额表")
    async def trial_balance(
        self, cooperative_id: IdParam, start: FromQuery[date], end: FromQuery[date], db: Db
    ) -> list[sc.TrialRowOut]:
        rows = await reports.trial_balance(db, cooperative_id, start, end)
        return [sc.TrialRowOut(r.code, r.name, r.opening, r.debit, r.credit, r.closing) for r in rows]

    @get("/reports/income-statement", summary="收支明细（成员与非成员业务分开）")
    async def income_statement(
        self, cooperative_id: IdParam, start: FromQuery[date], end: FromQuery[date], db: Db
    ) -> sc.IncomeStatementOut:
        st = await reports.income_statement(db, cooperative_id, start, end)
        rows = lambda sec: [sc.ReportRow(c, n, a) for c, n, a in sec.lines]  # noqa: E731
        return sc.IncomeStatementOut(
            rows(st.income),
            rows(st.expenses),
            st.income.total,
            st.expenses.total,
            st.surplus,
            st.member_income,
            st.non_member_income,
        )

    @get("/reports/income-and-distribution", summary="收益及收益分配表（股份经济合作社，财会〔2023〕14号）")
    async def income_and_distribution(
        self, cooperative_id: IdParam, start: FromQuery[date], end: FromQuery[date], db: Db
    ) -> sc.CollectiveReportOut:
        report = await reports.collective_income_report(db, cooperative_id, start, end)
        if report is None:
            raise BadInput("农民专业合作社编制收支明细表，请用 /reports/income-statement", field="cooperative_id")
        title, lines = report
        return sc.CollectiveReportOut(title, [sc.StatementLineOut(r.label, r.amount, r.total) for r in lines])

    @get("/reports/balance-sheet", summary="资产负债表")
    async def balance_sheet(self, cooperative_id: IdParam, on: FromQuery[date], db: Db) -> sc.BalanceSheetOut:
        bs = await reports.balance_sheet(db, cooperative_id, on)
        rows = lambda sec: [sc.ReportRow(c, n, a) for c, n, a in sec.lines]  # noqa: E731
        return sc.BalanceSheetOut(
            rows(bs.assets),
            rows(bs.liabilities),
            rows(bs.equity),
            bs.assets.total,
            bs.liabilities.total,
            bs.equity.total,
            bs.balanced,
        )

    @post("/distributions", summary="计算（或重新计算）某年度分配草案")
    async def compute(self, cooperative_id: IdParam, data: JSONBody[sc.DistributionIn], db: Db) -> sc.DistributionOut:
        return await distribution_out(db, await dist_service.compute_draft(db, cooperative_id, data.year))


class DistributionApi(Controller):
    path = "/api/coop/distributions/{distribution_id:int}"
    tags = ["coop"]

    @get("/", guards=ADMIN, summary="分配方案及各步骤")
    async def show(self, distribution_id: IdParam, db: Db) -> sc.DistributionOut:
        return await distribution_out(db, await load(db, distribution_id))

    @post("/approve", guards=ADMIN, summary="成员大会审议通过")
    async def approve(
        self, distribution_id: IdParam, data: JSONBody[sc.ApproveIn], request: Request, db: Db
    ) -> sc.DistributionOut:
        vote = AssemblyVote(
            data.assembly_on, frozenset(data.votes_for), frozenset(data.votes_against), frozenset(data.votes_abstain)
        )
        return await distribution_out(db, await dist_service.approve(db, distribution_id, vote, request.user.id))

    @post("/post", guards=ADMIN, summary="入账（写凭证、记入成员账户）")
    async def post_it(self, distribution_id: IdParam, request: Request, db: Db) -> sc.DistributionOut:
        return await distribution_out(db, await dist_service.post_distribution(db, distribution_id, request.user.id))

    @post("/publish", guards=ADMIN, summary="公示")
    async def publish(self, distribution_id: IdParam, db: Db) -> sc.DistributionOut:
        return await distribution_out(db, await dist_service.publish(db, distribution_id))

    @post("/reverse", guards=ADMIN, summary="冲销（生成反向分配方案）")
    async def reverse(
        self, distribution_id: IdParam, data: JSONBody[sc.ReverseIn], request: Request, db: Db
    ) -> sc.DistributionOut:
        rev = await dist_service.reverse_distribution(db, distribution_id, data.reason, request.user.id)
        return await distribution_out(db, rev)

    @post("/payments", guards=ADMIN, summary="向一户社员发放（现金或转账）")
    async def pay(
        self, distribution_id: IdParam, data: JSONBody[sc.PayIn], request: Request, db: Db
    ) -> sc.StatementOut:
        await dist_service.pay(
            db, distribution_id, data.member_id, data.channel, data.paid_on or clock.today(), request.user.id
        )
        return await statement_out(db, distribution_id, data.member_id)

    @get("/statements/{member_id:int}", guards=ADMIN_OR_MEMBER, summary="一户社员的分配明细（社员只能看本户）")
    async def statement(
        self, distribution_id: IdParam, member_id: IdParam, request: Request, db: Db
    ) -> sc.StatementOut:
        member = await members.get_member(db, member_id)
        ensure_self_or_admin(request.user, member.user_id)
        dist = await load(db, distribution_id)
        if request.user.role != Role.ADMIN and (dist.state not in ("posted", "paid") or dist.published_at is None):
            raise NotFound("这次分配还没有公示")
        return await statement_out(db, distribution_id, member_id)


class FoundingApi(Controller):
    path = "/api/coop"
    tags = ["coop"]
    guards = ADMIN

    @post("/", summary="建立合作社（登记信息与第一版章程）")
    async def found(self, data: JSONBody[sc.FoundingIn], request: Request, db: Db) -> sc.CooperativeOut:
        c = data.charter
        terms = Terms(**{k: getattr(c, k) for k in c.__struct_fields__ if k not in ("effective_on", "note")})
        coop, charter = await founding.found(
            db,
            founding.Founding(
                data.name,
                data.kind,
                data.banner,
                data.village,
                data.credit_code,
                data.registered_on,
                data.legal_representative,
                data.town,
            ),
            terms,
            c.effective_on,
            c.note,
            by_user_id=request.user.id,
        )
        return sc.CooperativeOut(coop.id, coop.name, coop.kind, coop.credit_code or "", charter.id)  # type: ignore[arg-type]
