"""The distribution wizard (preview → approve → post → publish → pay), the 公示 table and statements."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Response, Template
from sqlalchemy import func, select

from caoyuan import clock
from caoyuan.auth import Role
from caoyuan.auth.current import ensure_self_or_admin, requires
from caoyuan.bounds import YEAR_MAX, YEAR_MIN, IdParam
from caoyuan.deps import Db
from caoyuan.errors import NotFound
from coop.models import DISTRIBUTION_STATE_LABELS, Allocation, Distribution, Member
from coop.pages import forms as f
from coop.pages.admin import XLSX, back, cooperative
from coop.params import DoneParam, PageParam
from coop.services import distribution as flow
from coop.services.distribution.approve import AssemblyVote
from coop.services.distribution.common import load, reversed_by
from coop.services.distribution.pay import PAY_CHANNELS
from coop.services.statements import publicity_rows, publicity_xlsx, statement, steps_of

ADMIN = [requires(Role.ADMIN)]


def _default_year() -> int:
    """Before July the accountant is closing last year; from July on, this one (Beijing's calendar)."""
    today = clock.today()
    return today.year - (1 if today.month < 7 else 0)


class DistributionPages(Controller):
    path = "/coop"
    include_in_schema = False

    @get("/{cooperative_id:int}/distributions", guards=ADMIN)
    async def index(self, cooperative_id: IdParam, db: Db) -> Template:
        coop = await cooperative(db, cooperative_id)
        rows = (
            await db.scalars(
                select(Distribution)
                .where(Distribution.cooperative_id == cooperative_id)
                .order_by(Distribution.year.desc(), Distribution.id.desc())
            )
        ).all()
        reversed_ids = {r.reverses_distribution_id for r in rows if r.reverses_distribution_id}
        return Template(
            "coop/distributions.html",
            context={
                "coop": coop,
                "rows": rows,
                "reversed_ids": reversed_ids,
                "states": DISTRIBUTION_STATE_LABELS,
                "year": _default_year(),
            },
        )

    @post("/{cooperative_id:int}/distributions", guards=ADMIN)
    async def compute(self, cooperative_id: IdParam, db: Db, data: URLEncodedBody[dict[str, str]]) -> Redirect:
        draft = await flow.compute_draft(db, cooperative_id, f.integer(data, "year", "年度", lo=YEAR_MIN, hi=YEAR_MAX))
        return back(f"/coop/distributions/{draft.id}", "草案已计算，请核对")

    @get("/distributions/{distribution_id:int}", guards=ADMIN)
    async def wizard(self, distribution_id: IdParam, db: Db, done: DoneParam = "", page: PageParam = 1) -> Template:
        dist = await load(db, distribution_id)
        coop = await cooperative(db, dist.cooperative_id)
        rows = await publicity_rows(db, distribution_id)
        size = 200
        unpaid = await db.scalar(
            select(func.count())
            .select_from(Allocation)
            .where(
                Allocation.distribution_id == distribution_id, Allocation.paid_on.is_(None), Allocation.total_fen > 0
            )
        )
        members_total = await db.scalar(
            select(func.count())
            .select_from(Member)
            .where(Member.cooperative_id == dist.cooperative_id, Member.status == "admitted")
        )
        return Template(
            "coop/distribution.html",
            context={
                "coop": coop,
                "d": dist,
                "steps": await steps_of(db, distribution_id),
                "rows": rows[(page - 1) * size : page * size],
                "pages": (len(rows) + size - 1) // size,
                "page": page,
                "states": DISTRIBUTION_STATE_LABELS,
                "done": done,
                "unpaid": unpaid,
                "channels": PAY_CHANNELS,
                "reversed_by": await reversed_by(db, distribution_id),
                "members_total": members_total,
                "today": clock.today().isoformat(),
            },
        )

    @post("/distributions/{distribution_id:int}/approve", guards=ADMIN)
    async def approve(
        self, distribution_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect:
        vote = AssemblyVote(
            f.day(data, "assembly_on", "成员大会日期"),
            f.integer(data, "members_total", "成员总数"),
            f.integer(data, "attendance", "出席人数"),
            f.integer(data, "votes_for", "赞成票"),
            f.integer(data, "votes_against", "反对票", 0),
            f.integer(data, "votes_abstain", "弃权票", 0),
        )
        await flow.approve(db, distribution_id, vote, request.user.id)
        return back(f"/coop/distributions/{distribution_id}", "成员大会已审议通过")

    @post("/distributions/{distribution_id:int}/post", guards=ADMIN)
    async def post_it(self, distribution_id: IdParam, request: Request, db: Db) -> Redirect:
        await flow.post_distribution(db, distribution_id, request.user.id)
        return back(f"/coop/distributions/{distribution_id}", "已入账，成员账户已记入")

    @post("/distributions/{distribution_id:int}/publish", guards=ADMIN)
    async def publish(self, distribution_id: IdParam, db: Db) -> Redirect:
        await flow.publish(db, distribution_id)
        return back(f"/coop/distributions/{distribution_id}", "已公示，社员可在手机上查看")

    @post("/distributions/{distribution_id:int}/pay", guards=ADMIN)
    async def pay(
        self, distribution_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect:
        # a blank date means today on Beijing's calendar, the day the books are kept in
        channel, paid_on = f.text(data, "channel", "cash"), f.day(data, "paid_on", "发放日期", clock.today())
        if f.text(data, "member_id") == "all":
            count = await flow.pay_all(db, distribution_id, channel, paid_on, request.user.id)
            return back(f"/coop/distributions/{distribution_id}", f"已批量发放 {count} 户")
        await flow.pay(db, distribution_id, f.ident(data, "member_id", "社员"), channel, paid_on, request.user.id)
        return back(f"/coop/distributions/{distribution_id}", "已登记发放")

    @post("/distributions/{distribution_id:int}/reverse", guards=ADMIN)
    async def reverse(
        self, distribution_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect:
        rev = await flow.reverse_distribution(db, distribution_id, f.text(data, "reason"), request.user.id)
        return back(f"/coop/distributions/{rev.id}", "已生成冲销方案；可重新计算该年度草案")

    @get("/distributions/{distribution_id:int}/publicity", guards=ADMIN)
    async def publicity(self, distribution_id: IdParam, db: Db) -> Template:
        dist = await load(db, distribution_id)
        return Template(
            "coop/publicity.html",
            context={
                "coop": await cooperative(db, dist.cooperative_id),
                "d": dist,
                "steps": await steps_of(db, distribution_id),
                "rows": await publicity_rows(db, distribution_id),
            },
        )

    @get("/distributions/{distribution_id:int}/publicity.xlsx", guards=ADMIN)
    async def publicity_file(self, distribution_id: IdParam, db: Db) -> Response:
        dist = await load(db, distribution_id)
        return Response(
            await publicity_xlsx(db, distribution_id),
            media_type=XLSX,
            headers={"content-disposition": f"attachment; filename=publicity-{dist.year}.xlsx"},
        )

    @get("/distributions/{distribution_id:int}/statements/{member_id:int}", guards=[requires(Role.ADMIN, Role.MEMBER)])
    async def statement_page(self, distribution_id: IdParam, member_id: IdParam, request: Request, db: Db) -> Template:
        member = await db.get(Member, member_id)
        if member is None:
            raise NotFound("没有这位社员")
        ensure_self_or_admin(request.user, member.user_id)
        return await statement_template(db, distribution_id, member_id, admin=request.user.role == Role.ADMIN)


async def statement_template(db: Db, distribution_id: int, member_id: int, *, admin: bool) -> Template:
    dist = await load(db, distribution_id)
    if not admin and (
        dist.state not in ("posted", "paid") or dist.published_at is None or await reversed_by(db, distribution_id)
    ):
        raise NotFound("这次分配还没有公示")
    st = await statement(db, distribution_id, member_id)
    return Template(
        "coop/statement.html",
        context={
            "st": st,
            "coop": await cooperative(db, dist.cooperative_id),
            "channels": {**PAY_CHANNELS, "capital": "转增股金"},
            "back_url": f"/coop/distributions/{distribution_id}" if admin else "/coop/me",
        },
    )
