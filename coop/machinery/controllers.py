"""Thin JSON API under /api/machinery (bearer tokens): parse, call a service, shape the answer."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from caoyuan.auth import Role
from caoyuan.auth.current import CurrentUser, requires
from caoyuan.bounds import IdParam, OptionalIdParam, OptionalYearParam, check_day
from caoyuan.db import Database
from caoyuan.deps import Db
from caoyuan.errors import Forbidden
from caoyuan.web.admission import limit
from coop.machinery.rules.scheduling import Slot
from coop.machinery.schemas import (
    BookingIn,
    BookingOut,
    CancelIn,
    CompleteIn,
    DashboardOut,
    MaintenanceIn,
    PayIn,
    PriceOut,
    ProposalConfirmIn,
    ProposalOut,
    QuoteOut,
    RatingIn,
    RescheduleIn,
    ScheduleIn,
    SlotOut,
)
from coop.machinery.services import booking as booking_service
from coop.machinery.services import fleet, listings, payment, rating, schedule, work
from coop.machinery.services.common import (
    booking_for,
    caller_for,
    ensure_can_read,
)
from coop.machinery.services.dashboard import dashboard
from coop.machinery.services.quote import Quote
from coop.machinery.services.quote_desk import QuoteDesk, acting_cooperative, quote_for
from coop.machinery.views import booked_view, booking_view, booking_views, mu_text

AreaParam = Annotated[str, Parameter(max_length=20)]
StatusParam = Annotated[str | None, Parameter(max_length=16)]


# A booking is a transaction of a dozen round trips ending on an operator-day row lock. A flood of them would
# take every pooled connection (those that waited past the pool's timeout were 500s) and keep the event loop
# busy preparing requests that can only wait, while quotes waited behind them. So a few run at a time per
# process, each to its commit; the rest wait before the app reads them (caoyuan.web.admission).
BOOKINGS_IN_FLIGHT = 4  # well under the pool (10 + 10); one operator-day takes one at a time anyway


def quote_out(q: Quote) -> QuoteOut:
    u = q.unit
    return QuoteOut(
        q.service.name,
        q.member,
        q.hardship,
        PriceOut(u.market_fen, u.list_fen, u.price_fen, u.relief_fen, u.saving_fen),
        mu_text(q.flat_area + q.slope_area),
        q.total.amount_fen,
        q.total.saving_fen,
        q.total.relief_fen,
        q.total.market_fen,
        q.earliest,
    )


def slot_out(s: Slot) -> SlotOut:
    return SlotOut(s.request_id, s.day, s.operator_id, s.machine_id, mu_text(s.load))


class MachineryApi(Controller):
    path = "/api/machinery"
    tags = ["machinery"]

    @get("/quote", summary="询价：每亩价格、比市场价节省多少、最早可作业日期")
    async def get_quote(
        self,
        request: Request,
        service_type_id: IdParam,
        area: AreaParam = "0",
        slope_area: AreaParam = "0",
        member_id: OptionalIdParam = None,
        earliest_on: FromQuery[date | None] = None,
        cooperative_id: OptionalIdParam = None,
    ) -> QuoteOut:
        # Quotes read through their own small pool and a one-second snapshot, so a rush of bookings
        # queueing for the main pool does not hold them up.
        desk: QuoteDesk = request.app.state.machinery_quotes
        async with desk.database.session() as db:
            q = await quote_for(
                db,
                request.scope.get("user"),
                service_type_id,
                area,
                slope_area,
                member_id,
                earliest_on,
                cooperative_id,
                desk.cache,
            )
        return quote_out(q)

    @post("/bookings", guards=[requires()], summary="预约作业（社员本人，或代办员代农户预约）")
    async def create_booking(self, request: Request, data: JSONBody[BookingIn]) -> BookingOut:
        # Gated (see below). A flood for a day known full is refused before a session is opened; the rest
        # get the request's transaction as Db would give it: committed on return, rolled back on error.
        database: Database = request.app.state.database
        booking_service.refuse_if_known_full(database.engine, data)
        async with database.session() as db:
            return booked_view(await booking_service.request_booking(db, request.user, data))

    @get("/bookings", guards=[requires()], summary="预约列表：社员看本户，农机手看派给自己的，代办员看全部")
    async def list_bookings(
        self,
        request: Request,
        db: Db,
        status: StatusParam = None,
        day: FromQuery[date | None] = None,
        cooperative_id: OptionalIdParam = None,
    ) -> list[BookingOut]:
        user: CurrentUser = request.user
        caller_coop = await acting_cooperative(db, user, cooperative_id)
        caller = await caller_for(db, user, caller_coop)
        rows = await listings.bookings_seen_by(db, caller, caller_coop, status=status, day=day)
        return await booking_views(db, rows)

    @get("/bookings/{booking_id:int}", guards=[requires()], summary="一条预约（农户只能看本户的）")
    async def get_booking(self, request: Request, db: Db, booking_id: IdParam) -> BookingOut:
        booking = await booking_for(db, booking_id)
        await ensure_can_read(db, request.user, booking)
        return await booking_view(db, booking)

    @post("/bookings/{booking_id:int}/schedule", guards=[requires(Role.ADMIN)], summary="调度：排班或改期")
    async def schedule_booking(
        self, request: Request, db: Db, booking_id: IdParam, data: JSONBody[ScheduleIn]
    ) -> BookingOut:
        booking = await booking_for(db, booking_id, lock=True)
        await ensure_can_read(db, request.user, booking)  # the admin's own cooperative only
        await schedule.assign(db, booking, day=data.day, operator_id=data.operator_id, machine_id=data.machine_id)
        return await booking_view(db, booking)

    @post("/bookings/{booking_id:int}/cancel", guards=[requires()], summary="取消（农户或合作社，须说明原因）")
    async def cancel_booking(
        self, request: Request, db: Db, booking_id: IdParam, data: JSONBody[CancelIn]
    ) -> BookingOut:
        booking = await booking_for(db, booking_id, lock=True)
        caller = await ensure_can_read(db, request.user, booking)
        if caller.operator is not None and not caller.agent:
            raise Forbidden("农机手不能取消预约，请联系调度员")
        by = "collective" if caller.agent else "farmer"
        await schedule.cancel(db, booking, by=by, reason=data.reason)
        return await booking_view(db, booking)

    @post("/bookings/{booking_id:int}/start", guards=[requires(Role.OPERATOR, Role.ADMIN)], summary="开始作业")
    async def start_work(self, request: Request, db: Db, booking_id: IdParam) -> BookingOut:
        booking = await booking_for(db, booking_id, lock=True)
        await work.start(db, await caller_for(db, request.user, booking.cooperative_id), booking)
        return await booking_view(db, booking)

    @post(
        "/bookings/{booking_id:int}/complete",
        guards=[requires(Role.OPERATOR, Role.ADMIN)],
        summary="完工登记：实测面积、起止时间、油耗",
    )
    async def complete_work(
        self, request: Request, db: Db, booking_id: IdParam, data: JSONBody[CompleteIn]
    ) -> BookingOut:
        booking = await booking_for(db, booking_id, lock=True)
        await work.complete(db, await caller_for(db, request.user, booking.cooperative_id), booking, data)
        return await booking_view(db, booking)

    @post("/bookings/{booking_id:int}/confirm", guards=[requires()], summary="农户确认实测面积")
    async def confirm_area(self, request: Request, db: Db, booking_id: IdParam) -> BookingOut:
        booking = await booking_for(db, booking_id, lock=True)
        caller = await ensure_can_read(db, request.user, booking)
        await work.confirm_area(db, caller, booking)
        return await booking_view(db, booking)

    @post("/bookings/{booking_id:int}/pay", guards=[requires(Role.ADMIN)], summary="会计登记收款并入账")
    async def pay(self, request: Request, db: Db, booking_id: IdParam, data: JSONBody[PayIn]) -> BookingOut:
        booking = await booking_for(db, booking_id, lock=True)
        await ensure_can_read(db, request.user, booking)  # the admin's own cooperative only
        await payment.record_payment(db, booking, data.channel)
        return await booking_view(db, booking)

    @post("/bookings/{booking_id:int}/rating", guards=[requires()], summary="农户评价（1–5 分）")
    async def rate(self, request: Request, db: Db, booking_id: IdParam, data: JSONBody[RatingIn]) -> BookingOut:
        booking = await booking_for(db, booking_id)
        caller = await ensure_can_read(db, request.user, booking)
        await rating.rate(db, caller, booking, data.score, data.comment)
        return await booking_view(db, booking)

    @get("/proposal", guards=[requires(Role.ADMIN)], summary="某天的自动排班建议（不写入）")
    async def get_proposal(
        self, request: Request, db: Db, day: FromQuery[date], cooperative_id: OptionalIdParam = None
    ) -> ProposalOut:
        check_day(day, "day")
        slots, unplaced = await schedule.proposal(db, await acting_cooperative(db, request.user, cooperative_id), day)
        return ProposalOut(day, [slot_out(s) for s in slots], unplaced)

    @post("/proposal/confirm", guards=[requires(Role.ADMIN)], summary="确认某天的排班建议")
    async def confirm_proposal(self, request: Request, db: Db, data: JSONBody[ProposalConfirmIn]) -> list[BookingOut]:
        done = await schedule.confirm_proposal(
            db, await acting_cooperative(db, request.user, data.cooperative_id), data.day
        )
        return await booking_views(db, done)

    @post("/days/{day:date}/reschedule", guards=[requires(Role.ADMIN)], summary="整天改期（降雨或故障）")
    async def reschedule(
        self, request: Request, db: Db, day: FromPath[date], data: JSONBody[RescheduleIn]
    ) -> list[BookingOut]:
        check_day(day, "day")
        coop_id = await acting_cooperative(db, request.user, data.cooperative_id)
        moved = await schedule.reschedule_day(
            db, coop_id, day, reason=data.reason, cause=data.cause, machine_id=data.machine_id
        )
        return await booking_views(db, moved)

    @post("/machines/{machine_id:int}/maintenance", guards=[requires(Role.ADMIN)], summary="检修停用")
    async def add_maintenance(
        self, request: Request, db: Db, machine_id: IdParam, data: JSONBody[MaintenanceIn]
    ) -> dict[str, int]:
        machine = await fleet.machine_in(db, await acting_cooperative(db, request.user, None), machine_id)
        upkeep = await schedule.add_maintenance(db, machine, data.starts_on, data.ends_on, data.note)
        return {"id": upkeep.id}  # type: ignore[dict-item]

    @get("/dashboard", guards=[requires(Role.ADMIN)], summary="农机服务看板数据")
    async def get_dashboard(
        self, request: Request, db: Db, season: OptionalYearParam = None, cooperative_id: OptionalIdParam = None
    ) -> DashboardOut:
        return await dashboard(db, await acting_cooperative(db, request.user, cooperative_id), season)


limit("POST", f"{MachineryApi.path}/bookings", BOOKINGS_IN_FLIGHT)
