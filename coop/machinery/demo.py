"""Demo: 八道岭村's fleet (5 machines bought with 72万元), its operators, and a harvest season of bookings
in every state — past days worked and paid, today's plots for 孙德胜, the queue and the waitlist ahead.

Everything goes through the services the pages call (issue 10): the village agent books for the
households, the office schedules, the operator starts and completes, the accountant takes the cash, the
farmer rates. Past days are acted at their own moment with ``clock.frozen_at``, so every date check of
the services holds as it would have on that day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from caoyuan import clock
from caoyuan.auth.current import CurrentUser
from caoyuan.demo import DemoContext
from coop.machinery.demo_data import (
    CANCEL_REASON,
    FARMER_LOGIN,
    GOOD_WORK,
    MACHINES,
    OPERATORS,
    OUTSIDERS,
    PLOTS,
    RAIN_OFFSET,
    SERVICES,
    plan,
)
from coop.machinery.models import Booking, Machine, Operator, ServiceType
from coop.machinery.schemas import BookingIn, CompleteIn, PlotIn
from coop.machinery.services import booking as booking_service
from coop.machinery.services import fleet, payment, rating, schedule, setup, work
from coop.machinery.services.common import Caller, caller_for
from coop.models import Member


async def seed(ctx: DemoContext) -> None:
    """The fleet is set up through the same services as /machinery/setup and /api/machinery (issue 10)."""
    db = ctx.session
    coop_id: int = ctx.shared["coop.badaoling_id"]  # type: ignore[assignment]
    today = clock.today()
    await setup.update_policy(
        db,
        coop_id,
        setup.PolicyChange(
            member_discount_fen=3000,
            non_member_discount_fen=1000,
            hardship_mode="reduce",
            hardship_reduction_fen=2000,
            max_area=50000,
            season_starts_on=today - timedelta(10),
        ),
    )
    services = []
    seasons = sorted({(today - timedelta(12)).year, today.year})  # the oldest job was booked 12 days before its day
    for name, kind, corn, market in SERVICES:
        service = await setup.add_service(db, coop_id, name=name, machine_kind=kind, is_corn_harvest=corn)
        for season in seasons:
            await setup.set_price(db, coop_id, service_type_id=service.id, season=season, market_fen=market)  # type: ignore[arg-type]
        services.append(service)
    assets: list[int] = list(ctx.shared.get("coop.badaoling_machine_asset_ids") or [])  # type: ignore[call-overload]
    machines = [
        await fleet.add_machine(
            db,
            coop_id,
            kind=kind,
            model=model,
            plate=plate,
            daily_capacity=capacity,
            asset_id=assets[n] if n < len(assets) else None,
        )
        for n, (kind, model, plate, capacity) in enumerate(MACHINES)
    ]
    operators = []
    for phone, name, machine_index in OPERATORS:
        by_mu = machine_index < 2
        operators.append(
            await fleet.add_operator(
                db,
                coop_id,
                user_id=await _login(ctx, coop_id, phone, name),
                daily_capacity=7000,
                wage_basis="mu" if by_mu else "day",
                wage_rate_fen=800 if by_mu else 25000,
                machine_id=machines[machine_index].id,
            )
        )
    members = (
        await db.scalars(select(Member).where(Member.cooperative_id == coop_id).order_by(Member.member_no))
    ).all()
    await _farmer_login(ctx, coop_id, list(members))
    season = _Season(ctx, coop_id, services[0], machines[:2], operators[:2], list(members), today)
    await season.run()


async def _login(ctx: DemoContext, coop_id: int, phone: str, name: str) -> int:
    """The operator's login, made through coop's people service (so 账户 lists it) unless it exists."""
    from caoyuan.auth.models import UserAccount
    from coop.demo import person_login

    existing = await ctx.session.scalar(select(UserAccount.id).where(UserAccount.phone == phone))
    if existing:  # 孙德胜's operator login is made by the cooperative's seed
        return existing
    return (await person_login(ctx, coop_id, phone, "operator", name, "八道岭村农机手")).id  # type: ignore[return-value]


async def _farmer_login(ctx: DemoContext, coop_id: int, members: list[Member]) -> None:
    """One household books, follows and rates its own jobs on its phone (/machinery/my): a login linked
    to the household, made as the accountant makes one on 账户, then given the demo's password."""
    from caoyuan.auth.service import change_password
    from caoyuan.demo import DEMO_PASSWORD
    from coop.services.people import PersonDraft, create_person

    member_no, note = FARMER_LOGIN
    member = next((m for m in members if m.member_no == member_no), None)
    if member is None or member.user_id is not None:
        return
    draft = PersonDraft(member.phone, member.name, "member", member.id)
    account, temporary = await create_person(ctx.session, coop_id, draft, by_user_id=ctx.shared.get("admin_id"))  # type: ignore[arg-type]
    await change_password(ctx.session, account.id, temporary, DEMO_PASSWORD, DEMO_PASSWORD)  # type: ignore[arg-type]
    ctx.logins.append(("member", member.phone, member.name, note))


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment on the village's wall clock, never later than now (today's jobs are acted as they stand)."""
    return min(datetime.combine(day, time(hour, minute), clock.BEIJING), clock.now())


def _mu(hundredths: int) -> str:
    return f"{hundredths // 100}.{hundredths % 100:02d}"


class _Season:
    """Twenty-odd jobs from ten days ago to ten days ahead, each taken through its life by the services."""

    def __init__(
        self,
        ctx: DemoContext,
        coop_id: int,
        service: ServiceType,
        machines: list[Machine],
        operators: list[Operator],
        members: list[Member],
        today: date,
    ) -> None:
        self.ctx, self.db, self.coop_id, self.service, self.today = ctx, ctx.session, coop_id, service, today
        self.machines, self.operators = machines, operators
        self.farmers: list[tuple[Member | None, str, str]] = [(m, m.name, m.phone) for m in members]
        self.farmers += [(None, name, phone) for name, phone in OUTSIDERS]

    async def _caller(self, user_id: int) -> Caller:
        from caoyuan.auth.models import UserAccount

        account = await self.db.get(UserAccount, user_id)
        return await caller_for(self.db, CurrentUser.from_account(account, "session", ""), self.coop_id)  # type: ignore[arg-type]

    async def run(self) -> None:
        self.office = await self._caller(self.ctx.shared["admin_id"])  # type: ignore[arg-type]  # 王会计, the agent
        self.crews = [await self._caller(op.user_id) for op in self.operators]  # type: ignore[arg-type]
        self.own = {m.id: await self._caller(m.user_id) for m, _, _ in self.farmers if m and m.user_id}
        jobs = list(enumerate(plan()))
        for n, (offset, status, score) in jobs:
            if status != "waitlisted":
                await self._job(n, self.today + timedelta(offset), status, score)
        rain = self.today + timedelta(RAIN_OFFSET)
        await schedule.reschedule_day(self.db, self.coop_id, rain, reason="降雨", cause="rain")
        for n, (offset, status, _) in jobs:
            if status == "waitlisted":  # asked after the rain was announced, for a day with no room left
                await self._book(n, self.today + timedelta(offset), clock.now(), window=0)

    def _farmer(self, n: int) -> Caller:
        """The household itself when it has a login, else the village agent acting for it."""
        member = self.farmers[n % len(self.farmers)][0]
        return self.own.get(member.id, self.office) if member else self.office  # type: ignore[arg-type]

    async def _book(self, n: int, on: date, at: datetime, window: int = 5) -> Booking:
        """The farmer books on the phone, or the village agent books for the household."""
        member, name, phone = self.farmers[n % len(self.farmers)]
        area = 1000 + (n * 370) % 2600
        plot = PlotIn(village="八道岭村", area=_mu(area), slope=n % 3 == 0, note=PLOTS[n % len(PLOTS)])
        data = BookingIn(
            service_type_id=self.service.id,  # type: ignore[arg-type]
            plots=[plot],
            earliest_on=on - timedelta(min(window, 2)),
            latest_on=on + timedelta(window),
            member_id=member.id if member and self._farmer(n) is self.office else None,
            farmer_name="" if member else name,
            farmer_phone="" if member else phone,
            cooperative_id=self.coop_id,
        )
        with clock.frozen_at(at):
            return (await booking_service.request_booking(self.db, self._farmer(n).user, data)).booking

    async def _job(self, n: int, on: date, status: str, score: int | None) -> None:
        b = await self._book(n, on, _at(on - timedelta(6), 8, n % 60))
        if status == "cancelled":
            with clock.frozen_at(_at(on - timedelta(5), 9)):
                await schedule.cancel(self.db, b, by="farmer", reason=CANCEL_REASON)
            return
        if status == "requested":
            return
        crew = n % 2
        with clock.frozen_at(_at(on - timedelta(1), 18)):
            await schedule.assign(
                self.db, b, day=on, operator_id=self.operators[crew].id, machine_id=self.machines[crew].id
            )  # type: ignore[arg-type]
        if status == "scheduled":
            return
        with clock.frozen_at(_at(on, 7, 30)):
            await work.start(self.db, self.crews[crew], b)
        if status == "in_progress":
            return
        await self._finish(n, b, on, crew, status, score)

    async def _finish(self, n: int, b: Booking, on: date, crew: int, status: str, score: int | None) -> None:
        measured = b.flat_area + b.slope_area + (n % 5) * 10
        litres = _mu(measured * 15 // 10)
        with clock.frozen_at(_at(on, 11)):
            await work.complete(
                self.db, self.crews[crew], b, CompleteIn(measured_area=_mu(measured), fuel_litres=litres)
            )
        if status == "paid":
            with clock.frozen_at(_at(on, 13)):
                await payment.record_payment(self.db, b, "cash")
        if score:
            with clock.frozen_at(_at(on, 19)):
                await rating.rate(self.db, self._farmer(n), b, score, GOOD_WORK if score == 5 else "")
