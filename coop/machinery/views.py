"""Bookings as the API and the pages show them (batched lookups, phone numbers masked)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.area import format_mu
from caoyuan.identity import mask_phone
from coop.machinery.models import STATUS_LABELS, Booking, Machine, Notice, Operator, Plot, Rating, ServiceType
from coop.machinery.schemas import BookingOut, PlotOut


def mu_text(hundredths: int) -> str:
    return format_mu(hundredths).removesuffix(" 亩").replace(",", "")


async def booking_views(db: AsyncSession, bookings: Sequence[Booking]) -> list[BookingOut]:
    ids = [b.id for b in bookings]
    if not ids:
        return []
    plots: dict[int, list[Plot]] = {}
    for p in (await db.scalars(select(Plot).where(Plot.booking_id.in_(ids)).order_by(Plot.id))).all():
        plots.setdefault(p.booking_id, []).append(p)
    notices: dict[int, list[str]] = {}
    for n in (await db.scalars(select(Notice).where(Notice.booking_id.in_(ids)).order_by(Notice.id))).all():
        notices.setdefault(n.booking_id, []).append(n.text)
    ratings = dict((await db.execute(select(Rating.booking_id, Rating.score).where(Rating.booking_id.in_(ids)))).all())
    services = dict((await db.execute(select(ServiceType.id, ServiceType.name))).all())
    operators = dict((await db.execute(select(Operator.id, Operator.name))).all())
    machines = dict((await db.execute(select(Machine.id, Machine.plate))).all())
    return [
        BookingOut(
            id=b.id,
            status=b.status,
            status_label=STATUS_LABELS[b.status],
            service=services.get(b.service_type_id, ""),  # type: ignore[arg-type]
            farmer_name=b.farmer_name,
            farmer_phone_masked=mask_phone(b.farmer_phone) if b.farmer_phone else "",
            member_id=b.member_id,
            hardship=b.hardship,
            plots=[PlotOut(p.village, p.note, mu_text(p.area), p.slope) for p in plots.get(b.id, [])],  # type: ignore[index]
            area=mu_text(b.flat_area + b.slope_area),
            earliest_on=b.earliest_on,
            latest_on=b.latest_on,
            price_per_mu_fen=b.price_fen,
            market_per_mu_fen=b.market_fen,
            scheduled_on=b.scheduled_on,
            operator=operators.get(b.operator_id),
            machine=machines.get(b.machine_id),
            measured_area=mu_text(b.measured_area) if b.measured_area is not None else None,
            needs_confirmation=b.needs_confirmation,
            confirmed=b.confirmed_at is not None,
            amount_fen=b.amount_fen,
            relief_fen=b.relief_fen,
            saving_fen=b.saving_fen,
            payment_channel=b.payment_channel,
            entry_id=b.entry_id,
            splits=b.splits,
            cancel_reason=b.cancel_reason,
            rating=ratings.get(b.id),
            notices=notices.get(b.id, []),
            created_at=b.created_at,  # type: ignore[arg-type]
        )
        for b in bookings
    ]


async def booking_view(db: AsyncSession, booking: Booking) -> BookingOut:
    return (await booking_views(db, [booking]))[0]


def booked_view(booked) -> BookingOut:  # type: ignore[no-untyped-def]
    """The answer to a new booking, from what the service already holds (no queries while rows are locked)."""
    b = booked.booking
    return BookingOut(
        id=b.id,
        status=b.status,
        status_label=STATUS_LABELS[b.status],
        service=booked.service_name,
        farmer_name=b.farmer_name,
        farmer_phone_masked=mask_phone(b.farmer_phone) if b.farmer_phone else "",
        member_id=b.member_id,
        hardship=b.hardship,
        plots=[PlotOut(p.village, p.note, mu_text(p.area), p.slope) for p in booked.plots],
        area=mu_text(b.flat_area + b.slope_area),
        earliest_on=b.earliest_on,
        latest_on=b.latest_on,
        price_per_mu_fen=b.price_fen,
        market_per_mu_fen=b.market_fen,
        scheduled_on=b.scheduled_on,
        notices=[n.text for n in booked.notices],
        created_at=b.created_at,
    )
