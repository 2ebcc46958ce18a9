"""Lookups every action needs: the charter's policy, who the caller is, may they read a booking.

Today in the village is `caoyuan.clock.today()` (the Beijing day), never the server's date.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan import clock
from caoyuan.auth.current import CurrentUser
from caoyuan.errors import BadInput, Forbidden, NotFound
from coop.machinery.models import Booking, Manager, Operator, PricingPolicy
from coop.machinery.rules.pricing import PriceRule
from coop.models import Cooperative, Member

# Only for benchmarks/booking_race.py (not this branch's to edit): the kernel's Beijing day, under the old name.
# Machinery code calls caoyuan.clock.today() directly.
local_today = clock.today


@dataclass(frozen=True, slots=True)
class Policy:
    """The charter's machinery rules as plain values (a copy of the PricingPolicy row).

    Kept in memos and caches instead of the row: a rollback expires ORM objects, and an expired row
    read later (after a refused form, or from another request's cache) would load on access — a 500.
    """

    cooperative_id: int
    member_discount_fen: int
    non_member_discount_fen: int
    hardship_mode: str
    hardship_reduction_fen: int
    max_area: int
    confirm_above_bp: int
    agent_roles: str
    season_starts_on: date | None
    slope_first_days: int
    corn_area: int
    saving_goal_fen: int
    income_goal_fen: int
    satisfaction_goal_bp: int

    @classmethod
    def of(cls, row: PricingPolicy) -> Policy:
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


async def policy_for(db: AsyncSession, cooperative_id: int) -> Policy:
    """The charter's machinery rules, or the 八道岭村 defaults when none were set."""
    memo = db.info.setdefault("machinery.policy", {})  # several steps of one request ask again
    if cooperative_id not in memo:
        found = await db.scalar(select(PricingPolicy).where(PricingPolicy.cooperative_id == cooperative_id))
        memo[cooperative_id] = Policy.of(found or PricingPolicy(cooperative_id=cooperative_id))
    return memo[cooperative_id]


def price_rule(policy: Policy | PricingPolicy) -> PriceRule:
    return PriceRule(
        policy.member_discount_fen, policy.non_member_discount_fen, policy.hardship_mode, policy.hardship_reduction_fen
    )


def agent_roles(policy: Policy) -> set[str]:
    return {"admin"} | {r.strip() for r in policy.agent_roles.split(",") if r.strip()}


async def member_of_user(db: AsyncSession, user_id: int) -> Member | None:
    return await db.scalar(select(Member).where(Member.user_id == user_id))


async def operator_of_user(db: AsyncSession, user_id: int) -> Operator | None:
    return await db.scalar(select(Operator).where(Operator.user_id == user_id))


async def default_cooperative_id(db: AsyncSession) -> int:
    """The cooperative that runs a fleet (the first with a machinery policy), for callers who name none."""
    found = await db.scalar(select(PricingPolicy.cooperative_id).order_by(PricingPolicy.id).limit(1))
    if found is None:
        found = await db.scalar(select(Cooperative.id).order_by(Cooperative.id).limit(1))
    if found is None:
        raise NotFound("还没有合作社")
    return found


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is acting on machinery, and in what capacity."""

    user: CurrentUser
    member: Member | None  # a member farmer acting for their own household
    operator: Operator | None
    agent: bool  # admin, or a role the charter lets book for farmers


async def caller_for(db: AsyncSession, user: CurrentUser, cooperative_id: int) -> Caller:
    policy = await policy_for(db, cooperative_id)
    member = await member_of_user(db, user.id) if user.role == "member" else None
    operator = await operator_of_user(db, user.id) if user.role == "operator" else None
    agent = user.role in agent_roles(policy)
    if agent and user.role == "admin":
        # a fleet manager is the agent of their own cooperative only (machinery_manager; none: the install's)
        bound = await db.scalar(select(Manager.cooperative_id).where(Manager.user_id == user.id))
        agent = bound is None or bound == cooperative_id
    return Caller(user, member, operator, agent)


async def booking_for(db: AsyncSession, booking_id: int, *, lock: bool = False) -> Booking:
    query = select(Booking).where(Booking.id == booking_id)
    if lock:
        query = query.with_for_update()
    booking = await db.scalar(query)
    if booking is None:
        raise NotFound("没有这条预约")
    return booking


async def ensure_can_read(db: AsyncSession, user: CurrentUser, booking: Booking) -> Caller:
    """A farmer reads only their own bookings, an operator only the jobs given to them."""
    caller = await caller_for(db, user, booking.cooperative_id)
    if caller.agent:
        return caller
    if caller.member is not None and booking.member_id == caller.member.id:
        return caller
    if caller.operator is not None and booking.operator_id == caller.operator.id:
        return caller
    if user.role == "admin":
        raise Forbidden("这是其他合作社的预约")
    raise Forbidden("只能查看本人的预约")


def check_window(earliest: date, latest: date, today: date) -> None:
    if latest < earliest:
        raise BadInput("最晚日期不能早于最早日期", field="latest_on")
    if latest < today:
        raise BadInput("作业日期已经过去，请选择今天或以后的日期", field="latest_on")
    if earliest < today:
        raise BadInput("最早日期不能早于今天", field="earliest_on")
