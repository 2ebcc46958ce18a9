"""Money reaching the cooperative's books goes through coop.posting — never into coop tables directly."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coop.machinery.models import Booking, Operator, Wage
from coop.machinery.rules.pricing import per_mu
from coop.posting import MachineryServicePaid, OperatorWageAccrued, PostingResult, post


async def post_payment(db: AsyncSession, booking: Booking, channel: str, at: datetime) -> PostingResult:
    return await post(
        db,
        MachineryServicePaid(
            cooperative_id=booking.cooperative_id,
            reference=f"machinery-booking:{booking.id}:paid",
            occurred_at=at,
            farmer_member_id=booking.member_id,
            amount_fen=booking.amount_fen or 0,
            relief_fen=booking.relief_fen or 0,
            channel=channel,
            description=f"农机作业费 #{booking.id} {booking.farmer_name}",
        ),
    )


async def accrue_wage(db: AsyncSession, booking: Booking, operator: Operator, at: datetime) -> Wage | None:
    """Per mu: for each job on its measured area. Per day: once for each day the operator worked."""
    day = booking.scheduled_on or at.date()
    if operator.wage_basis == "day":
        reference, amount = f"machinery-operator:{operator.id}:{day}:wage", operator.wage_rate_fen
    else:
        reference, amount = (
            f"machinery-booking:{booking.id}:wage",
            per_mu(booking.measured_area or 0, operator.wage_rate_fen),
        )
    if amount <= 0 or await db.scalar(select(Wage.id).where(Wage.reference == reference)):
        return None
    result = await post(
        db,
        OperatorWageAccrued(
            cooperative_id=booking.cooperative_id,
            reference=reference,
            occurred_at=at,
            operator_user_id=operator.user_id,
            amount_fen=amount,
            description=f"农机手 {operator.name} {day} 工资（预约 #{booking.id}）",
        ),
    )
    wage = Wage(
        operator_id=operator.id,
        reference=reference,
        day=day,
        amount_fen=amount,  # type: ignore[arg-type]
        booking_id=booking.id,
        entry_id=result.entry_id,
    )
    db.add(wage)
    return wage
