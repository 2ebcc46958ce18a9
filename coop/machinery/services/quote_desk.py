"""Quotes as the API and the booking page ask for them: who may be quoted which price, read through the
quote desk's own small pool and short cache (see :class:`QuoteDesk`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.area import AreaError, parse_mu
from caoyuan.auth.current import CurrentUser
from caoyuan.bounds import check_day
from caoyuan.db import Database, create_database
from caoyuan.errors import BadInput, Forbidden, NotFound
from coop.machinery.services import setup
from coop.machinery.services.common import caller_for, member_of_user
from coop.machinery.services.quote import Quote, QuoteCache, quote, service_by_id
from coop.models import Cooperative, Member


@dataclass
class QuoteDesk:
    """Made at start-up (see domain.py): a two-connection pool and a cache for quotes."""

    database: Database
    cache: QuoteCache


async def open_quote_desk(app) -> None:  # type: ignore[no-untyped-def]
    settings = app.state.settings
    database = create_database(settings.database_url, 2)
    app.state.machinery_quotes = QuoteDesk(database, QuoteCache(database))


async def close_quote_desk(app) -> None:  # type: ignore[no-untyped-def]
    desk = getattr(app.state, "machinery_quotes", None)
    if desk is not None:
        await desk.database.dispose()


CAPACITY_MAX = 10_000_000  # hundredths of a mu a day: 100,000 mu, far above any machine


def area_param(text: str, field: str) -> int:
    try:
        hundredths = parse_mu(text or "0")
    except AreaError as exc:
        raise BadInput(str(exc), field=field) from None
    if hundredths > CAPACITY_MAX:
        raise BadInput(f"面积最多 {CAPACITY_MAX // 100} 亩", field=field)
    return hundredths


async def quote_for(
    db: AsyncSession,
    user: CurrentUser | None,
    service_type_id: int,
    area: str,
    slope_area: str,
    member_id: int | None,
    earliest_on: date | None,
    cooperative_id: int | None,
    cache: QuoteCache | None = None,
) -> Quote:
    """The service names the cooperative. Members are quoted their own price (as a member only in their own
    cooperative); agents may quote for a named member household of that cooperative."""
    check_day(earliest_on, "earliest_on")
    service = await (
        cache.get(("service", service_type_id), QuoteCache.STATIC_SECONDS, lambda: service_by_id(db, service_type_id))
        if cache
        else service_by_id(db, service_type_id)
    )
    coop_id = service.cooperative_id
    if cooperative_id is not None and cooperative_id != coop_id:
        raise NotFound("本社没有这项作业服务", field="service_type_id")
    member = await member_of_user(db, user.id) if user and user.role == "member" else None
    if member_id is not None and (member is None or member.id != member_id):
        if user is None or not (await caller_for(db, user, coop_id)).agent:
            raise Forbidden("只能为本户询价")
        member = await db.get(Member, member_id)
        if member is None or member.cooperative_id != coop_id:
            raise NotFound("本社没有这户社员", field="member_id")
    return await quote(
        db, service, area_param(area, "area"), area_param(slope_area, "slope_area"), member, earliest_on, cache
    )


async def acting_cooperative(db: AsyncSession, user: CurrentUser, given: int | None) -> int:
    """The cooperative a caller acts in: a member's own, or the one a fleet manager keeps."""
    if given and await db.get(Cooperative, given) is None:
        raise NotFound("没有这个合作社", field="cooperative_id")
    member = await member_of_user(db, user.id) if user.role == "member" else None
    if member is not None:
        return given or member.cooperative_id
    return await setup.cooperative_of(db, user, given)  # a fleet manager acts on their own cooperative only
