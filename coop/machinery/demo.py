"""Demo: 八道岭村's fleet (5 machines bought with 72万元), its operators, and a harvest season of bookings
in every state — past days worked and paid, today's plots for 孙德胜, the queue and the waitlist ahead."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from caoyuan import clock
from caoyuan.demo import DemoContext
from coop.machinery.models import (
    Booking,
    Machine,
    MachineDay,
    Notice,
    Operator,
    OperatorDay,
    Plot,
    PricingPolicy,
    Rating,
    ServiceType,
)
from coop.machinery.rules.capacity import weighted_load
from coop.machinery.rules.pricing import bill, unit_price
from coop.machinery.services import fleet, setup
from coop.machinery.services.books import accrue_wage, post_payment
from coop.machinery.services.common import price_rule
from coop.models import Member

MACHINES = [  # in the order of coop's BADAOLING_MACHINES assets: kind, model, plate, flat mu a day
    ("玉米收割机", "约翰迪尔 4YZ-4", "蒙D·A1201", 8000),
    ("玉米收割机", "雷沃 4YZP-4", "蒙D·A1202", 8000),
    ("拖拉机", "东方红 LX1304", "蒙D·T0801", 12000),
    ("打捆机", "秸秆捡拾打捆机", "BDL-04", 10000),
    ("深松机", "深松整地联合作业机", "BDL-05", 9000),
]
OPERATORS = [("13900000004", "孙德胜", 0), ("13900000041", "刘建军", 1), ("13900000042", "赵志刚", 2)]
PLOTS = ["东山坡", "南洼地", "大井沿", "北梁", "西沟", "庙后", "河套地"]


SERVICES = [  # name, machine kind, corn harvest, market price per mu (fen)
    ("玉米收割", "玉米收割机", True, 8000),
    ("深松整地", "深松机", False, 6000),
    ("播种", "拖拉机", False, 4000),
    ("秸秆打捆", "打捆机", False, 3000),
]


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
    for name, kind, corn, market in SERVICES:
        service = await setup.add_service(db, coop_id, name=name, machine_kind=kind, is_corn_harvest=corn)
        await setup.set_price(db, coop_id, service_type_id=service.id, season=today.year, market_fen=market)  # type: ignore[arg-type]
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
    await _season(ctx, coop_id, services[0], machines[:2], operators[:2], members, today)


async def _login(ctx: DemoContext, coop_id: int, phone: str, name: str) -> int:
    """The operator's login, made through coop's people service (so 账户 lists it) unless it exists."""
    from caoyuan.auth.models import UserAccount
    from coop.demo import person_login

    existing = await ctx.session.scalar(select(UserAccount.id).where(UserAccount.phone == phone))
    if existing:  # 孙德胜's operator login is made by the cooperative's seed
        return existing
    return (await person_login(ctx, coop_id, phone, "operator", name, "八道岭村农机手")).id  # type: ignore[return-value]


async def _season(
    ctx: DemoContext,
    coop_id: int,
    service: ServiceType,
    machines: list[Machine],
    operators: list[Operator],
    members: list[Member],
    today: date,
) -> None:
    """Twenty-odd jobs from ten days ago to ten days ahead, in every state."""
    db = ctx.session
    policy = PricingPolicy(cooperative_id=coop_id)
    farmers: list[tuple[Member | None, str, str]] = [(m, m.name, m.phone) for m in members]
    farmers += [(None, "外村王大爷", "13704760001"), (None, "外村高秀兰", "13704760002")]
    plan = []  # offset from today, status, rating
    for offset in range(-10, 0):
        plan.append((offset, "paid", 5 if offset % 4 else 4))
        plan.append((offset, "paid" if offset < -3 else "completed", 5 if offset % 3 else None))
    plan += [
        (0, "in_progress", None),
        (0, "scheduled", None),
        (1, "scheduled", None),
        (2, "scheduled", None),
        (3, "requested", None),
        (4, "requested", None),
        (5, "waitlisted", None),
        (2, "cancelled", None),
    ]
    for n, (offset, status, score) in enumerate(plan):
        member, name, phone = farmers[n % len(farmers)]
        slope = n % 3 == 0
        area = 1000 + (n * 370) % 2600
        unit = unit_price(
            8000, price_rule(policy), member=member is not None, hardship=bool(member and member.hardship)
        )
        on = today + timedelta(offset)
        crew = n % 2
        b = Booking(
            cooperative_id=coop_id,
            service_type_id=service.id,
            member_id=member.id if member else None,  # type: ignore[arg-type]
            farmer_name=name,
            farmer_phone=phone,
            hardship=bool(member and member.hardship),
            earliest_on=on - timedelta(2),
            latest_on=on + timedelta(5),
            status=status,
            flat_area=0 if slope else area,
            slope_area=area if slope else 0,
            market_fen=unit.market_fen,
            list_fen=unit.list_fen,
            price_fen=unit.price_fen,
            created_at=datetime.combine(on - timedelta(6), time(8, n % 60), clock.BEIJING),
        )
        if status not in ("requested", "waitlisted", "cancelled"):
            b.scheduled_on, b.operator_id, b.machine_id = on, operators[crew].id, machines[crew].id
            b.load = weighted_load(b.flat_area, b.slope_area, machines[crew].slope_factor_bp)
            await _hold(ctx, b)
        if status == "cancelled":
            b.cancel_reason, b.cancelled_by = "家里自己收了", "farmer"
        db.add(b)
        await db.flush()
        db.add(Plot(booking_id=b.id, village="八道岭村", note=PLOTS[n % len(PLOTS)], area=area, slope=slope))  # type: ignore[arg-type]
        await _work(ctx, b, operators[crew], unit, on, n)
        if score:
            db.add(Rating(booking_id=b.id, score=score, comment="师傅认真，割得干净" if score == 5 else ""))  # type: ignore[arg-type]
    if plan:
        moved = await db.scalar(
            select(Booking).where(
                Booking.status == "scheduled",
                Booking.scheduled_on == today + timedelta(2),
                Booking.cooperative_id == coop_id,
            )
        )
        if moved is not None:
            db.add(
                Notice(
                    booking_id=moved.id,
                    text=f"因降雨，您 {today + timedelta(1)} 的作业改到 {today + timedelta(2)}，请留意。",
                )
            )  # type: ignore[arg-type]


async def _hold(ctx: DemoContext, b: Booking) -> None:
    """Past days are history: their capacity rows are written as they stood."""
    db = ctx.session
    for table, key, owner, capacity in (
        (OperatorDay, "operator_id", b.operator_id, 7000),
        (MachineDay, "machine_id", b.machine_id, 8000),
    ):
        row = await db.scalar(select(table).where(getattr(table, key) == owner, table.day == b.scheduled_on))
        if row is None:
            row = table(**{key: owner, "day": b.scheduled_on, "capacity": capacity, "booked": 0})
            db.add(row)
        row.booked += b.load
        await db.flush()


async def _work(ctx: DemoContext, b: Booking, operator: Operator, unit, on: date, n: int) -> None:  # type: ignore[no-untyped-def]
    if b.status not in ("completed", "paid"):
        if b.status in ("scheduled", "requested"):
            ctx.session.add(
                Notice(
                    booking_id=b.id,
                    text=f"作业已排在 {on}。" if b.scheduled_on else "已收到您的预约，调度员排班后会通知您作业日期。",
                )
            )  # type: ignore[arg-type]
        return
    measured = b.flat_area + b.slope_area + (n % 5) * 10
    total = bill(measured, unit)
    b.measured_area, b.amount_fen, b.relief_fen, b.saving_fen = (
        measured,
        total.amount_fen,
        total.relief_fen,
        total.saving_fen,
    )
    b.started_at = datetime.combine(on, time(7, 30), clock.BEIJING)
    b.ended_at = datetime.combine(on, time(11, 0), clock.BEIJING)
    b.fuel_centilitres = measured * 15 // 10
    await accrue_wage(ctx.session, b, operator, b.ended_at)
    if b.status == "paid":
        result = await post_payment(ctx.session, b, "cash", b.ended_at + timedelta(hours=2))
        b.paid_at, b.payment_channel, b.entry_id, b.splits = b.ended_at, "cash", result.entry_id, dict(result.splits)
    await ctx.session.flush()
