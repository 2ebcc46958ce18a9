"""The season at a glance: work per machine-day, bookings by state, savings, income, corn share, satisfaction."""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan import clock
from coop.machinery.models import Booking, Machine, MachineDay, Rating, ServiceType
from coop.machinery.schemas import DashboardOut
from coop.machinery.services.common import policy_for
from coop.machinery.views import mu_text

DONE = ("completed", "paid")


def share_bp(part: int, whole: int) -> int:
    return part * 10_000 // whole if whole else 0


async def dashboard(db: AsyncSession, cooperative_id: int, season: int | None = None) -> DashboardOut:
    season = season or clock.today().year
    first, last = date(season, 1, 1), date(season, 12, 31)
    policy = await policy_for(db, cooperative_id)
    in_season = (Booking.cooperative_id == cooperative_id, Booking.earliest_on.between(first, last))
    by_status = dict(
        (await db.execute(select(Booking.status, func.count()).where(*in_season).group_by(Booking.status))).all()
    )
    saving, income = (
        await db.execute(
            select(
                func.coalesce(func.sum(case((Booking.status.in_(DONE), Booking.saving_fen), else_=0)), 0),
                func.coalesce(func.sum(case((Booking.status == "paid", Booking.amount_fen), else_=0)), 0),
            ).where(*in_season)
        )
    ).one()
    corn = (
        await db.scalar(
            select(func.coalesce(func.sum(Booking.measured_area), 0))
            .join(ServiceType, ServiceType.id == Booking.service_type_id)
            .where(*in_season, Booking.status.in_(DONE), ServiceType.is_corn_harvest)
        )
        or 0
    )
    rated, satisfied = (
        await db.execute(
            select(func.count(Rating.id), func.coalesce(func.sum(case((Rating.score >= 4, 1), else_=0)), 0))
            .join(Booking, Booking.id == Rating.booking_id)
            .where(*in_season)
        )
    ).one()
    return DashboardOut(
        season=season,
        bookings_by_status=by_status,
        saving_fen=int(saving),
        saving_goal_fen=policy.saving_goal_fen,
        income_fen=int(income),
        income_goal_fen=policy.income_goal_fen,
        corn_mechanised_bp=share_bp(int(corn), policy.corn_area),
        corn_area=mu_text(policy.corn_area),
        satisfied_bp=share_bp(int(satisfied), int(rated)) if rated else None,
        ratings=int(rated),
        satisfaction_goal_bp=policy.satisfaction_goal_bp,
        machines=await machine_rows(db, cooperative_id, first, last),
    )


async def machine_rows(db: AsyncSession, cooperative_id: int, first: date, last: date) -> list[dict[str, object]]:
    """Per machine: days out, mu done per working day, and booked share of the capacity it offered."""
    machines = (
        await db.scalars(select(Machine).where(Machine.cooperative_id == cooperative_id).order_by(Machine.id))
    ).all()
    days = {
        mid: (int(cap), int(booked), int(used))
        for mid, cap, booked, used in (
            await db.execute(
                select(
                    MachineDay.machine_id,
                    func.sum(MachineDay.capacity),
                    func.sum(MachineDay.booked),
                    func.sum(case((MachineDay.booked > 0, 1), else_=0)),
                )
                .where(MachineDay.day.between(first, last))
                .group_by(MachineDay.machine_id)
            )
        ).all()
    }
    done = {
        mid: (int(area), int(n))
        for mid, area, n in (
            await db.execute(
                select(
                    Booking.machine_id,
                    func.coalesce(func.sum(Booking.measured_area), 0),
                    func.count(func.distinct(Booking.scheduled_on)),
                )
                .where(
                    Booking.cooperative_id == cooperative_id,
                    Booking.status.in_(DONE),
                    Booking.scheduled_on.between(first, last),
                )
                .group_by(Booking.machine_id)
            )
        ).all()
    }
    rows = []
    for m in machines:
        capacity, booked, days_out = days.get(m.id, (0, 0, 0))  # type: ignore[arg-type]
        area, work_days = done.get(m.id, (0, 0))
        rows.append(
            {
                "id": m.id,
                "plate": m.plate,
                "kind": m.kind,
                "days_out": days_out,
                "utilisation_bp": share_bp(booked, capacity),
                "done": mu_text(area),
                "mu_per_day": mu_text(area // work_days if work_days else 0),
                "mu_per_day_hundredths": area // work_days if work_days else 0,
            }
        )
    return rows
