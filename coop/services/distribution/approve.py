"""The assembly approves the draft (成员大会 / 成员代表大会审议通过): who may vote comes from the register on
the meeting day, each household's vote is recorded, and the law for the cooperative's kind decides
(coop.rules.assembly)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db.transition import transition
from caoyuan.errors import BadInput, Conflict
from coop.models import AssemblyBallot, Cooperative, Distribution, Member, MemberStatusChange
from coop.rules.assembly import AssemblyError, Ballot, decide
from coop.rules.states import DISTRIBUTION
from coop.services.charter import terms_in_force
from coop.services.distribution.common import load
from coop.services.distribution.inputs import stale_inputs


@dataclass(frozen=True)
class AssemblyVote:
    """Member numbers by vote; everyone present voted one way (a silent one is listed as abstaining)."""

    assembly_on: date
    votes_for: frozenset[int]
    votes_against: frozenset[int] = field(default_factory=frozenset)
    votes_abstain: frozenset[int] = field(default_factory=frozenset)


async def register_on(db: AsyncSession, cooperative_id: int, day: date) -> dict[int, int]:
    """{member number: member id} of the households 在册 (admitted) on ``day``, from the status history;
    a member with no history at all (a register kept before it existed) counts by its current status."""
    status_on: dict[int, str] = {}
    with_history: set[int] = set()
    for member_id, since, status in (
        await db.execute(
            select(MemberStatusChange.member_id, MemberStatusChange.effective_on, MemberStatusChange.status)
            .join(Member, Member.id == MemberStatusChange.member_id)
            .where(Member.cooperative_id == cooperative_id)
            .order_by(MemberStatusChange.effective_on, MemberStatusChange.id)
        )
    ).all():
        with_history.add(member_id)
        if since <= day:
            status_on[member_id] = str(status)
    register: dict[int, int] = {}
    for member_id, member_no, since, status in (
        await db.execute(
            select(Member.id, Member.member_no, Member.status_since, Member.status).where(
                Member.cooperative_id == cooperative_id
            )
        )
    ).all():
        current = str(status) if since <= day else ""
        if (status_on.get(member_id, "") if member_id in with_history else current) == "admitted":
            register[member_no] = member_id
    return register


async def approve(
    db: AsyncSession, distribution_id: int, vote: AssemblyVote, by_user_id: int | None = None
) -> Distribution:
    dist = await load(db, distribution_id, lock=True)
    if not DISTRIBUTION.allowed("approve", dist.state):
        raise Conflict("只有草案可以提交成员大会审议；这个方案已经通过了", field="state")
    if vote.assembly_on <= date(dist.year, 12, 31):
        raise BadInput(f"审议 {dist.year} 年分配方案的会议应在 {dist.year} 年结束之后召开", field="assembly_on")
    if what := await stale_inputs(db, dist.cooperative_id, dist.year, dist.inputs_fingerprint):
        raise Conflict(f"草案计算之后{'、'.join(what)}有变动，草案已过时；请先重新计算草案，再提交审议", field="state")
    kind = str(await db.scalar(select(Cooperative.kind).where(Cooperative.id == dist.cooperative_id)))
    _, terms = await terms_in_force(db, dist.cooperative_id, vote.assembly_on)
    register = await register_on(db, dist.cooperative_id, vote.assembly_on)
    ballot = Ballot(vote.votes_for, vote.votes_against, vote.votes_abstain)
    try:
        outcome = decide(kind, ballot, frozenset(register), terms.representatives)
    except AssemblyError as exc:
        raise BadInput(str(exc), field=exc.field) from None
    await transition(db, Distribution, dist.id, "approve", DISTRIBUTION)  # type: ignore[arg-type]
    dist.assembly_on, dist.assembly_body, dist.assembly_rule = vote.assembly_on, outcome.body, outcome.rule[:200]
    dist.assembly_members, dist.assembly_attendance = outcome.entitled, outcome.present
    dist.votes_for, dist.votes_against, dist.votes_abstain = (
        outcome.votes_for,
        outcome.votes_against,
        outcome.votes_abstain,
    )
    dist.approved_by_user_id = by_user_id
    await db.flush()
    rows = [
        {"distribution_id": dist.id, "member_id": register[no], "member_no": no, "vote": how}
        for how, group in (
            ("for", ballot.votes_for),
            ("against", ballot.votes_against),
            ("abstain", ballot.votes_abstain),
        )
        for no in sorted(group)
    ]
    if rows:
        await db.execute(insert(AssemblyBallot), rows)
    return dist
