"""After the work, the farmer rates it (1–5 and a comment)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import BadInput, Conflict, Forbidden
from coop.machinery.errors import MachineryCode
from coop.machinery.models import Booking, Rating
from coop.machinery.rules.states import allowed
from coop.machinery.services.common import Caller


async def rate(db: AsyncSession, caller: Caller, booking: Booking, score: int, comment: str = "") -> Rating:
    own = caller.member is not None and caller.member.id == booking.member_id
    if not (own or caller.agent):
        raise Forbidden("只有农户本人或代办员可以评价")
    if not 1 <= score <= 5:
        raise BadInput("评分是 1 到 5 分", field="score")
    if not allowed("rate", booking.status):
        raise Conflict("作业完成后才能评价", code=MachineryCode.BAD_STATE)
    if await db.scalar(select(Rating.id).where(Rating.booking_id == booking.id)):
        raise Conflict("这项作业已经评价过了", code=MachineryCode.ALREADY_RATED)
    rating = Rating(booking_id=booking.id, score=score, comment=comment.strip()[:300])  # type: ignore[arg-type]
    db.add(rating)
    await db.flush()
    return rating
