"""Read-only lookups the machinery pages and API list from (issue 14: pages and controllers hold no queries).

Each function is one query that used to sit inside a page or a controller; the caller still decides who may
see what (coop_scope, requires(), the Caller's capacities) before asking.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.bounds import check_day
from caoyuan.errors import Forbidden
from coop.machinery.models import Booking
from coop.machinery.services.common import Caller

API_LIST_LIMIT = 500  # the API's booking list is a recent window, never the whole history


async def bookings_seen_by(
    db: AsyncSession, caller: Caller, cooperative_id: int, *, status: str | None, day: date | None
) -> Sequence[Booking]:
    """The API's booking list: an agent sees the cooperative's, a member their household's, an operator the
    jobs given to them; anyone else is refused before the filters are read."""
    query = select(Booking).order_by(Booking.id.desc()).limit(API_LIST_LIMIT)
    if caller.agent:
        query = query.where(Booking.cooperative_id == cooperative_id)
    elif caller.member is not None:
        query = query.where(Booking.member_id == caller.member.id)
    elif caller.operator is not None:
        query = query.where(Booking.operator_id == caller.operator.id)
    else:
        raise Forbidden("只能查看本人的预约")
    if status:
        query = query.where(Booking.status == status)
    if check_day(day, "day"):
        query = query.where(Booking.scheduled_on == day)
    return (await db.scalars(query)).all()
