"""The distribution wizard (preview → approve → post → publish → pay), the 公示 table and statements."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, Parameter, URLEncodedBody
from litestar.response import Redirect, Response, Template

from caoyuan import clock
from caoyuan.auth import Role
from caoyuan.auth.current import ensure_self_or_admin, requires
from caoyuan.bounds import YEAR_MAX, YEAR_MIN, IdParam
from caoyuan.deps import Db
from caoyuan.errors import AppError, BadInput, NotFound
from caoyuan.money import format_fen
from caoyuan.web.forms import refused_form
from coop.access import coop_scope
from coop.models import DISTRIBUTION_STATE_LABELS, Distribution
from coop.pages import forms as f
from coop.pages.admin import XLSX, back, cooperative
from coop.params import DoneParam, PageParam
from coop.rules.assembly import BODIES, AssemblyError, body_of, format_numbers, parse_numbers
from coop.rules.capital import BASES
from coop.rules.explain import zero_reason
from coop.rules.reports import PublicityError, PublicityNotice, publicity_notice
from coop.services import distribution as flow
from coop.services.charter import terms_in_force
from coop.services.distribution import views
from coop.services.distribution.approve import AssemblyVote, register_on
from coop.services.distribution.common import load, reversed_by
from coop.services.distribution.pay import PAY_CHANNELS
from coop.services.statements import ALLOC_FIELDS, as_dict, publicity_rows, publicity_xlsx, statement, steps_of

ADMIN = [requires(Role.ADMIN), coop_scope]


def _default_year() -> int:
    """Before July the accountant is closing last year; from July on, this one (Beijing's calendar)."""
    today = clock.today()
    return today.year - (1 if today.month < 7 else 0)


class DistributionPages(Controller):
    path = "/coop"
    include_in_schema = False

    @get("/{cooperative_id:int}/distributions", guards=ADMIN)
    async def index(self, cooperative_id: IdParam, db: Db) -> Template:
        return Template("coop/distributions.html", context=await index_context(db, cooperative_id))

    @post("/{cooperative_id:int}/distributions", guards=ADMIN)
    async def compute(
        self, cooperative_id: IdParam, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect | Template:
        try:
            year = f.integer(data, "year", "年度", lo=YEAR_MIN, hi=YEAR_MAX)
            draft = await flow.compute_draft(db, cooperative_id, year)
        except AppError as exc:
            return await refused_form(
                db, exc, "coop/distributions.html", data, lambda: index_context(db, cooperative_id)
            )
        return back(f"/coop/distributions/{draft.id}", "草案已计算，请核对")

    @get("/distributions/{distribution_id:int}", guards=ADMIN)
    async def wizard(self, distribution_id: IdParam, db: Db, done: DoneParam = "", page: PageParam = 1) -> Template:
        return Template("coop/distribution.html", context=await wizard_context(db, distribution_id, done, page))

    @post("/distributions/{distribution_id:int}/approve", guards=ADMIN)
    async def approve(
        self, distribution_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect | Template:
        try:
            vote = AssemblyVote(
                f.day(data, "assembly_on", "成员大会日期"),
                *(_numbers(data, name) for name in ("votes_for", "votes_against", "votes_abstain")),
            )
            await flow.approve(db, distribution_id, vote, request.user.id)
        except AppError as exc:
            return await _refused(db, exc, distribution_id, data)
        return back(f"/coop/distributions/{distribution_id}", "成员大会已审议通过")

    @post("/distributions/{distribution_id:int}/post", guards=ADMIN)
    async def post_it(
        self, distribution_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect | Template:
        try:
            dist = await load(db, distribution_id)
            _confirmed(
                data,
                f"入账会向 {dist.members_count} 户成员账户记入共 "
                f"{format_fen(dist.patronage_fen + dist.remainder_fen)}，入账后不能修改，只能整体冲销",
            )
            await flow.post_distribution(db, distribution_id, request.user.id)
        except AppError as exc:
            return await _refused(db, exc, distribution_id, data)
        return back(f"/coop/distributions/{distribution_id}", "已入账，成员账户已记入")

    @post("/distributions/{distribution_id:int}/publish", guards=ADMIN)
    async def publish(
        self, distribution_id: IdParam, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect | Template:
        try:
            _confirmed(data, "公示后全体社员都能看到公示表和本户明细，公示不能撤回")
            await flow.publish(db, distribution_id)
        except AppError as exc:
            return await _refused(db, exc, distribution_id, data)
        return back(f"/coop/distributions/{distribution_id}", "已公示，社员可在手机上查看")

    @post("/distributions/{distribution_id:int}/pay", guards=ADMIN)
    async def pay(
        self, distribution_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect | Template:
        try:
            # a blank date means today on Beijing's calendar, the day the books are kept in
            channel, paid_on = f.text(data, "channel", "cash"), f.day(data, "paid_on", "发放日期", clock.today())
            who = f.text(data, "member_id")
            if not who:
                raise BadInput("请选择发放给哪一户，或选择「全部未发放的社员」", field="member_id")
            member_id = None if who == "all" else f.ident(data, "member_id", "社员")
            count, total = await _to_pay(db, distribution_id, member_id)
            _confirmed(
                data,
                f"将以{PAY_CHANNELS.get(channel, channel)}向 {count} 户发放共 {format_fen(total)}，"
                "登记后记入凭证，不能撤回",
            )
            if member_id is None:
                count = await flow.pay_all(db, distribution_id, channel, paid_on, request.user.id)
                return back(f"/coop/distributions/{distribution_id}", f"已批量发放 {count} 户，共 {format_fen(total)}")
            await flow.pay(db, distribution_id, member_id, channel, paid_on, request.user.id)
        except AppError as exc:
            return await _refused(db, exc, distribution_id, data)
        return back(f"/coop/distributions/{distribution_id}", f"已登记发放 {format_fen(total)}")

    @post("/distributions/{distribution_id:int}/reverse", guards=ADMIN)
    async def reverse(
        self, distribution_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect | Template:
        try:
            rev = await flow.reverse_distribution(db, distribution_id, f.text(data, "reason"), request.user.id)
        except AppError as exc:
            return await _refused(db, exc, distribution_id, data)
        return back(f"/coop/distributions/{rev.id}", "已生成冲销方案；可重新计算该年度草案")

    @get("/distributions/{distribution_id:int}/publicity", guards=ADMIN)
    async def publicity(
        self,
        distribution_id: IdParam,
        db: Db,
        publicity_start: FromQuery[date | None] = None,
        publicity_end: FromQuery[date | None] = None,
        phone: PhoneQuery = "",
    ) -> Template:
        dist = await load(db, distribution_id)
        notice, errors = _notice(dist, publicity_start, publicity_end, phone)
        rows = await publicity_rows(db, distribution_id)
        return Template(
            "coop/publicity.html",
            context={
                "coop": await cooperative(db, dist.cooperative_id),
                "d": dist,
                "steps": await steps_of(db, distribution_id),
                "rows": rows,
                "why": {a.member_id: zero_reason(dist.policy, as_dict(a, ALLOC_FIELDS)) for a, _, _ in rows},
                "shares_total": sum(a.shares for a, _, _ in rows),
                "bases": BASES,
                "notice": notice,
                "errors": errors,
                "form": {"phone": phone},
            },
        )

    @get("/distributions/{distribution_id:int}/publicity.xlsx", guards=ADMIN)
    async def publicity_file(
        self,
        distribution_id: IdParam,
        db: Db,
        publicity_start: FromQuery[date | None] = None,
        publicity_end: FromQuery[date | None] = None,
        phone: PhoneQuery = "",
    ) -> Response:
        dist = await load(db, distribution_id)
        notice, errors = _notice(dist, publicity_start, publicity_end, phone)
        if errors:
            field, message = next(iter(errors.items()))
            raise BadInput(message, field=field)
        return Response(
            await publicity_xlsx(db, distribution_id, notice),
            media_type=XLSX,
            headers={"content-disposition": f"attachment; filename=publicity-{dist.year}.xlsx"},
        )

    @get(
        "/distributions/{distribution_id:int}/statements/{member_id:int}",
        guards=[requires(Role.ADMIN, Role.MEMBER), coop_scope],
    )
    async def statement_page(self, distribution_id: IdParam, member_id: IdParam, request: Request, db: Db) -> Template:
        member = await views.statement_member(db, member_id)
        ensure_self_or_admin(request.user, member.user_id)
        return await statement_template(db, distribution_id, member_id, admin=request.user.role == Role.ADMIN)


async def index_context(db: Db, cooperative_id: int) -> dict:
    coop = await cooperative(db, cooperative_id)
    rows = await views.of_cooperative(db, cooperative_id)
    return {
        "coop": coop,
        "rows": rows,
        "reversed_ids": {r.reverses_distribution_id for r in rows if r.reverses_distribution_id},
        "states": DISTRIBUTION_STATE_LABELS,
        "year": _default_year(),
    }


def _confirmed(data: dict[str, str], what: str) -> None:
    """An irreversible step goes ahead only with its box ticked; the refusal says what would happen."""
    if data.get("confirm") != "on":
        raise BadInput(f"{what}。请核对后勾选「我已核对」再提交", field="confirm")


async def _to_pay(db: Db, distribution_id: int, member_id: int | None) -> tuple[int, int]:
    """How many households and how much a payout would cover: one member, or everyone not yet paid."""
    count, total = await views.unpaid(db, distribution_id, member_id)
    if not count:
        raise BadInput("没有待发放的社员" if member_id is None else "这位社员没有待发放的金额", field="member_id")
    return count, total


async def _refused(db: Db, exc: AppError, distribution_id: int, data: dict[str, str]) -> Template:
    return await refused_form(
        db, exc, "coop/distribution.html", data, lambda: wizard_context(db, distribution_id, "", 1)
    )


def _numbers(data: dict[str, str], name: str) -> frozenset[int]:
    try:
        return parse_numbers(data.get(name, ""), name)
    except AssemblyError as exc:
        raise BadInput(str(exc), field=exc.field) from None


async def wizard_context(db: Db, distribution_id: int, done: str, page: int) -> dict:
    dist = await load(db, distribution_id)
    coop = await cooperative(db, dist.cooperative_id)
    rows = await publicity_rows(db, distribution_id)
    size = 200
    unpaid, unpaid_fen = await views.unpaid(db, distribution_id)
    today = clock.today()
    register = await register_on(db, dist.cooperative_id, today)
    _, terms = await terms_in_force(db, dist.cooperative_id, today)
    ballots: dict[str, list[int]] = {"for": [], "against": [], "abstain": []}
    for no, how in await views.ballots(db, distribution_id):
        ballots.setdefault(how, []).append(no)
    return {
        "coop": coop,
        "d": dist,
        "steps": await steps_of(db, distribution_id),
        "rows": rows[(page - 1) * size : page * size],
        "unpaid_rows": [r for r in rows if r[0].paid_on is None and r[0].total_fen > 0],
        "pages": (len(rows) + size - 1) // size,
        "page": page,
        "states": DISTRIBUTION_STATE_LABELS,
        "done": done,
        "unpaid": int(unpaid),
        "unpaid_fen": int(unpaid_fen),
        "channels": PAY_CHANNELS,
        "reversed_by": await reversed_by(db, distribution_id),
        "register_count": len(register),
        "body": BODIES[body_of(terms.representatives)],
        "representatives": terms.representatives,
        "ballots": {how: format_numbers(nos) for how, nos in ballots.items()},
        "bodies": BODIES,
        "today": today.isoformat(),
    }


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


PhoneQuery = Annotated[str, Parameter(max_length=20)]


def _notice(
    dist: Distribution, start: date | None, end: date | None, phone: str
) -> tuple[PublicityNotice, dict[str, str]]:
    """The 公示 period and objection phone for the printed table; a bad value shows at its box, defaults kept."""
    published_on = clock.beijing_day(dist.published_at) if dist.published_at else clock.today()
    try:
        return publicity_notice(published_on, start, end, phone), {}
    except PublicityError as exc:
        return publicity_notice(published_on, None, None, ""), {exc.field: str(exc)}
