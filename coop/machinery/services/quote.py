"""A quote before anything is booked: the price per mu, the saving against market, the earliest dates."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan import clock
from caoyuan.db import Database
from caoyuan.errors import BadInput, NotFound
from coop.machinery.models import SeasonPrice, ServiceType
from coop.machinery.rules.pricing import Bill, UnitPrice, bill, unit_price
from coop.machinery.rules.scheduling import Request, earliest_days
from coop.machinery.services.capacity import crews, free_capacity
from coop.machinery.services.common import policy_for, price_rule
from coop.models import Member

HORIZON_DAYS = 30
log = logging.getLogger("caoyuan.machinery.quote")


@dataclass(frozen=True, slots=True)
class Service:
    """A service type as plain values: quotes are cached across requests, ORM rows must not be."""

    id: int
    cooperative_id: int
    name: str
    machine_kind: str


@dataclass(frozen=True, slots=True)
class Quote:
    service: Service
    member: bool
    hardship: bool
    unit: UnitPrice
    flat_area: int
    slope_area: int
    total: Bill
    earliest: list[date]


async def service_by_id(db: AsyncSession, service_type_id: int) -> Service:
    row = await db.get(ServiceType, service_type_id)
    if row is None:
        raise NotFound("没有这项作业服务", field="service_type_id")
    if not row.active:  # retired on the set-up page: its old bookings stay, new ones are refused
        raise BadInput(f"「{row.name}」已停办，请选择其他服务", field="service_type_id")
    return Service(row.id, row.cooperative_id, row.name, row.machine_kind)  # type: ignore[arg-type]


async def service_in(db: AsyncSession, cooperative_id: int, service_type_id: int) -> Service:
    service = await service_by_id(db, service_type_id)
    if service.cooperative_id != cooperative_id:
        raise NotFound("没有这项作业服务", field="service_type_id")
    return service


def member_here(member: Member | None, cooperative_id: int) -> bool:
    """Member prices and hardship relief are for admitted members of the cooperative doing the work."""
    return member is not None and member.status == "admitted" and member.cooperative_id == cooperative_id


async def unit_price_for(db: AsyncSession, service: Service, season: int, member: Member | None) -> UnitPrice:
    price = await db.scalar(
        select(SeasonPrice).where(SeasonPrice.service_type_id == service.id, SeasonPrice.season == season)
    )
    if price is None:
        raise BadInput(f"{season} 年「{service.name}」还没有定价，请联系合作社", field="service_type_id")
    policy = await policy_for(db, service.cooperative_id)
    is_member = member_here(member, service.cooperative_id)
    return unit_price(
        price.market_fen,
        price_rule(policy),
        member=is_member,
        hardship=bool(is_member and member.hardship),  # type: ignore[union-attr]
        member_fen=price.member_fen,
        non_member_fen=price.non_member_fen,
    )


def check_area(flat: int, slope: int, max_area: int) -> None:
    if flat < 0 or slope < 0 or flat + slope <= 0:
        raise BadInput("作业面积必须大于零", field="area")
    if flat + slope > max_area:
        raise BadInput(f"一次预约最多 {max_area // 100} 亩，面积更大请分几次预约", field="area")


class QuoteCache:
    """Quote inputs kept for a moment per process: prices and services for 10 s, free capacity for 1 s.

    A quote may so be a second out of date; a booking never is — it claims capacity in the database.
    Free capacity takes a dozen queries to read, so once an entry is half its age, the next quote starts
    reading the new figures in the background (the cache's own session, one read at a time per entry) and is
    answered from the entry still valid: under steady asking no quote waits for that read.
    """

    STATIC_SECONDS, CAPACITY_SECONDS, MAX_ENTRIES = 10.0, 1.0, 4096

    def __init__(self, database: Database | None = None) -> None:
        self.database = database  # for reads ahead; without it every read happens when an entry expires
        self._items: dict[tuple, tuple[float, object]] = {}
        self._ahead: dict[tuple, asyncio.Task] = {}  # reads ahead in flight (held: a task must not be collected)

    async def get(self, key: tuple, seconds: float, load, ahead=None):  # type: ignore[no-untyped-def]
        """``load()`` reads now (the request's session); ``ahead(session)``, if given, may read in advance."""
        now = time.monotonic()
        hit = self._items.get(key)
        if hit is not None and hit[0] > now:
            if ahead is not None and hit[0] - now < seconds / 2:
                self._read_ahead(key, seconds, ahead)
            return hit[1]
        value = await load()
        self._put(key, seconds, value)
        return value

    def _put(self, key: tuple, seconds: float, value: object) -> None:
        if len(self._items) >= self.MAX_ENTRIES:
            self._items.clear()
        self._items[key] = (time.monotonic() + seconds, value)

    def _read_ahead(self, key: tuple, seconds: float, ahead) -> None:  # type: ignore[no-untyped-def]
        if self.database is None or key in self._ahead:
            return
        database = self.database

        async def read() -> None:
            async with database.reader() as session:  # type: ignore[misc]
                value = await ahead(session)
            self._put(key, seconds, value)

        task = self._ahead[key] = asyncio.get_running_loop().create_task(read())
        task.add_done_callback(lambda done: self._read(key, done))

    def _read(self, key: tuple, done: asyncio.Task) -> None:
        self._ahead.pop(key, None)
        if not done.cancelled() and done.exception() is not None:
            log.warning("quote figures could not be read ahead: %r", done.exception())  # read when they expire


async def _direct(key: tuple, seconds: float, load, ahead=None):  # type: ignore[no-untyped-def]
    return await load()


async def quote(
    db: AsyncSession,
    service: Service,
    flat: int,
    slope: int,
    member: Member | None,
    earliest_on: date | None = None,
    cache: QuoteCache | None = None,
) -> Quote:
    """A quote for ``service`` in its own cooperative; ``member`` counts only as a member of that one."""
    get = cache.get if cache is not None else _direct
    cooperative_id = service.cooperative_id
    policy = await get(("policy", cooperative_id), QuoteCache.STATIC_SECONDS, lambda: policy_for(db, cooperative_id))
    check_area(flat, slope, policy.max_area)
    today = clock.today()
    start = max(earliest_on or today, today)
    if member is not None and not member_here(member, cooperative_id):
        member = None
    unit = await get(
        ("price", service.id, start.year, member.id if member else None, member and member.hardship),
        QuoteCache.STATIC_SECONDS,
        lambda: unit_price_for(db, service, start.year, member),
    )
    last = start + timedelta(HORIZON_DAYS - 1)

    async def availability(session: AsyncSession):  # type: ignore[no-untyped-def]
        return (
            await free_capacity(session, cooperative_id, start, last),
            await crews(session, cooperative_id, service.machine_kind),
        )

    free, crew_list = await get(
        ("free", cooperative_id, service.machine_kind, start),
        QuoteCache.CAPACITY_SECONDS,
        lambda: availability(db),
        availability,
    )
    request = Request(0, None, flat, slope, False, start, last, service.machine_kind)  # type: ignore[arg-type]
    days = earliest_days(request, [start + timedelta(n) for n in range(HORIZON_DAYS)], crew_list, free)
    return Quote(
        service, member is not None, bool(member and member.hardship), unit, flat, slope, bill(flat + slope, unit), days
    )
