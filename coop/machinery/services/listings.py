"""Read-only lookups the machinery pages and API list from (issue 14: pages and controllers hold no queries).

Each function is one query that used to sit inside a page or a controller; the caller still decides who may
see what (coop_scope, requires(), the Caller's capacities) before asking.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from caoyuan.auth.models import UserAccount
from caoyuan.bounds import check_day
from caoyuan.errors import Forbidden
from coop.machinery.models import Booking, Machine, Maintenance, Operator, ServiceType
from coop.machinery.services.common import Caller
from coop.models import Member

API_LIST_LIMIT = 500  # the API's booking list is a recent window, never the whole history


async def bookings_seen_by(
    db: AsyncSession, caller: Caller, cooperative_id: int, *, status: str | None, day: date | None
) -> Sequence[Booking]:
    """The API's booking list: an agent sees the cooperative's, a member their household's, an operator the
    jobs given to them; anyone else is refused before the filters are read."""
    query = select(Booking).order_by(col(Booking.id).desc()).limit(API_LIST_LIMIT)
    if caller.agent:
        query = query.where(col(Booking.cooperative_id) == cooperative_id)
    elif caller.member is not None:
        query = query.where(col(Booking.member_id) == caller.member.id)
    elif caller.operator is not None:
        query = query.where(col(Booking.operator_id) == caller.operator.id)
    else:
        raise Forbidden("只能查看本人的预约")
    if status:
        query = query.where(col(Booking.status) == status)
    if check_day(day, "day"):
        query = query.where(col(Booking.scheduled_on) == day)
    return (await db.scalars(query)).all()


async def member_bookings(db: AsyncSession, member_id: int) -> Sequence[Booking]:
    """A household's bookings, newest first (/machinery/my)."""
    return (
        await db.scalars(select(Booking).where(col(Booking.member_id) == member_id).order_by(col(Booking.id).desc()))
    ).all()


async def active_services(db: AsyncSession, cooperative_id: int) -> Sequence[ServiceType]:
    query = select(ServiceType).where(col(ServiceType.cooperative_id) == cooperative_id, col(ServiceType.active))
    return (await db.scalars(query.order_by(col(ServiceType.id)))).all()


async def admitted_members(db: AsyncSession, cooperative_id: int) -> Sequence[Member]:
    """The households an agent may book for, by member number."""
    query = select(Member).where(col(Member.cooperative_id) == cooperative_id, col(Member.status) == "admitted")
    return (await db.scalars(query.order_by(col(Member.member_no)))).all()


async def operator_with_phone(db: AsyncSession, operator_id: int) -> tuple[Operator | None, str | None]:
    """The operator and the whole number of their login (only for a reader allowed to call them)."""
    operator = await db.get(Operator, operator_id)
    if operator is None:
        return None, None
    return operator, await db.scalar(select(col(UserAccount.phone)).where(col(UserAccount.id) == operator.user_id))


async def active_crew(db: AsyncSession, cooperative_id: int) -> tuple[Sequence[Machine], Sequence[Operator]]:
    """The machines and operators a dispatcher can choose from, in id order."""
    machines = select(Machine).where(col(Machine.cooperative_id) == cooperative_id, col(Machine.active))
    operators = select(Operator).where(col(Operator.cooperative_id) == cooperative_id, col(Operator.active))
    return (
        (await db.scalars(machines.order_by(col(Machine.id)))).all(),
        (await db.scalars(operators.order_by(col(Operator.id)))).all(),
    )


async def booking_day(db: AsyncSession, booking_id: int) -> date | None:
    """The day a booking is scheduled on (None: unscheduled or no such booking)."""
    return await db.scalar(select(col(Booking.scheduled_on)).where(col(Booking.id) == booking_id))


async def jobs_on(db: AsyncSession, day: date, statuses: Collection[str], operator_id: int | None) -> Sequence[Booking]:
    """A day's jobs in the given states, by operator; operator_id None: every operator's (the admin's view)."""
    query = select(Booking).where(col(Booking.scheduled_on) == day, col(Booking.status).in_(statuses))
    if operator_id is not None:
        query = query.where(col(Booking.operator_id) == operator_id)
    return (await db.scalars(query.order_by(col(Booking.operator_id), col(Booking.id)))).all()


async def next_scheduled_job(db: AsyncSession, operator_id: int, after: date) -> Booking | None:
    """The operator's first scheduled job on a later day."""
    query = select(Booking).where(
        col(Booking.operator_id) == operator_id, col(Booking.status) == "scheduled", col(Booking.scheduled_on) > after
    )
    return await db.scalar(query.order_by(col(Booking.scheduled_on), col(Booking.id)).limit(1))


async def board_day(db: AsyncSession, cooperative_id: int, day: date, statuses: Collection[str]) -> Sequence[Booking]:
    """The cooperative's jobs on a day in the given states, in booking order (the day board)."""
    query = select(Booking).where(
        col(Booking.cooperative_id) == cooperative_id,
        col(Booking.scheduled_on) == day,
        col(Booking.status).in_(statuses),
    )
    return (await db.scalars(query.order_by(col(Booking.id)))).all()


BOARD_QUEUE_LIMIT = 200  # the board shows the oldest waiting requests; the rest wait their turn on the page


async def waiting_queue(db: AsyncSession, cooperative_id: int) -> Sequence[Booking]:
    """Requests not yet placed (requested or waitlisted), oldest first."""
    query = select(Booking).where(
        col(Booking.cooperative_id) == cooperative_id, col(Booking.status).in_(("requested", "waitlisted"))
    )
    return (await db.scalars(query.order_by(col(Booking.created_at)).limit(BOARD_QUEUE_LIMIT))).all()


async def machines_of(db: AsyncSession, cooperative_id: int) -> Sequence[Machine]:
    """Every machine of the cooperative, retired ones too, in id order."""
    return (
        await db.scalars(select(Machine).where(col(Machine.cooperative_id) == cooperative_id).order_by(col(Machine.id)))
    ).all()


async def operators_of(db: AsyncSession, cooperative_id: int) -> Sequence[Operator]:
    """Every operator of the cooperative, inactive ones too, in id order."""
    query = select(Operator).where(col(Operator.cooperative_id) == cooperative_id).order_by(col(Operator.id))
    return (await db.scalars(query)).all()


async def upkeep_ahead(db: AsyncSession, machine_ids: Collection[int | None], today: date) -> Sequence[Maintenance]:
    """Maintenance on these machines that has not ended before today, by start day."""
    query = select(Maintenance).where(col(Maintenance.machine_id).in_(machine_ids), col(Maintenance.ends_on) >= today)
    return (await db.scalars(query.order_by(col(Maintenance.starts_on)))).all()


LOGIN_CHOICES_LIMIT = 100
ASSET_CHOICES_LIMIT = 500


async def free_operator_logins(db: AsyncSession) -> Sequence[UserAccount]:
    """Operator logins no operator record holds yet (the setup page offers them to a new operator)."""
    taken = select(col(Operator.user_id))
    query = select(UserAccount).where(col(UserAccount.role) == "operator", col(UserAccount.id).not_in(taken))
    return (await db.scalars(query.order_by(col(UserAccount.id)).limit(LOGIN_CHOICES_LIMIT))).all()


async def login_phones(db: AsyncSession, user_ids: Collection[int]) -> dict[int | None, str]:
    """The whole phone number of each login (the caller masks them for the page)."""
    rows = await db.execute(
        select(col(UserAccount.id), col(UserAccount.phone)).where(col(UserAccount.id).in_(user_ids))
    )
    return dict(rows.all())


async def asset_choices(db: AsyncSession, cooperative_id: int) -> list[tuple[int | None, str, str]]:
    """(id, asset number, name) of the cooperative's fixed assets, for linking a machine to its register row."""
    from coop.models import FixedAsset  # the cooperative's 三资 register; read only

    query = select(col(FixedAsset.id), col(FixedAsset.asset_no), col(FixedAsset.name)).where(
        col(FixedAsset.cooperative_id) == cooperative_id
    )
    return list((await db.execute(query.order_by(col(FixedAsset.id)).limit(ASSET_CHOICES_LIMIT))).all())
