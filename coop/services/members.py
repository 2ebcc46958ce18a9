"""Admit members, change their status (with history), link a login."""

from __future__ import annotations

from dataclasses import astuple
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan import clock
from caoyuan.db.transition import transition
from caoyuan.errors import BadInput, Conflict, NotFound
from coop.models import Member, MemberStatus, MemberStatusChange
from coop.rules.members import MemberDraft, RowError, make_draft
from coop.rules.states import MEMBER, MEMBER_ACTION_TO
from coop.services.ledger import require_cooperative

STATUS_NAMES = {"admitted": "在册", "suspended": "暂停", "withdrawn": "退社", "deceased": "去世"}


async def get_member(db: AsyncSession, member_id: int, cooperative_id: int | None = None) -> Member:
    member = await db.get(Member, member_id)
    if member is None or (cooperative_id is not None and member.cooperative_id != cooperative_id):
        raise NotFound("没有这位社员", field="member_id")
    return member


async def next_member_no(db: AsyncSession, cooperative_id: int) -> int:
    return (
        int(
            await db.scalar(
                select(func.coalesce(func.max(Member.member_no), 0)).where(Member.cooperative_id == cooperative_id)
            )
        )
        + 1
    )


async def admit(
    db: AsyncSession,
    cooperative_id: int,
    draft: MemberDraft,
    *,
    user_id: int | None = None,
    by_user_id: int | None = None,
    today: date | None = None,
) -> Member:
    """A new member household, admitted from ``draft.joined_on`` (or today).

    Every way in (the page, the API, the list import) passes the same member rule here."""
    try:
        draft = make_draft(*astuple(draft))
    except RowError as exc:
        raise BadInput(str(exc), field=exc.field) from None
    await require_cooperative(db, cooperative_id)
    member_no = draft.member_no or await next_member_no(db, cooperative_id)
    clash = (
        await db.execute(
            select(Member.member_no, Member.id_number).where(
                Member.cooperative_id == cooperative_id,
                (Member.member_no == member_no) | (Member.id_number == draft.id_number),
            )
        )
    ).first()
    if clash is not None:
        if clash.member_no == member_no:
            raise Conflict(f"社员号 {member_no} 已被使用", field="member_no")
        raise Conflict("这个身份证号已登记为本社社员", field="id_number")
    joined = draft.joined_on or today or clock.today()
    member = Member(
        cooperative_id=cooperative_id,
        member_no=member_no,
        name=draft.name,
        id_number=draft.id_number,
        phone=draft.phone,
        village=draft.village,
        group_name=draft.group_name,
        household_size=draft.household_size,
        hardship=draft.hardship,
        status=MemberStatus.ADMITTED,
        status_since=joined,
        status_reason="入社",
        user_id=user_id,
    )
    db.add(member)
    await db.flush()
    db.add(
        MemberStatusChange(
            member_id=member.id,
            status=MemberStatus.ADMITTED,
            effective_on=joined,  # type: ignore[arg-type]
            reason="入社",
            recorded_by_user_id=by_user_id,
        )
    )
    return member


async def change_status(
    db: AsyncSession,
    member_id: int,
    status: str,
    effective_on: date,
    reason: str,
    *,
    heir_member_id: int | None = None,
    by_user_id: int | None = None,
) -> Member:
    """成员身份认定: suspend, re-admit, withdraw, or record a death and the heir who takes the holding."""
    from coop.services.shares import pass_to_heir  # shares import members; keep the cycle lazy

    member = await get_member(db, member_id)
    if status not in STATUS_NAMES:
        raise BadInput("状态只能是：在册、暂停、退社、去世", field="status")
    action = MEMBER_ACTION_TO.get(status)
    refused = Conflict(
        f"社员当前状态为「{STATUS_NAMES[member.status]}」，不能改为「{STATUS_NAMES[status]}」", field="status"
    )
    if action is None or not MEMBER.allowed(action, member.status):
        raise refused
    if not reason.strip():
        raise BadInput("请写明原因（例如成员大会决议或证明材料）", field="reason")
    if effective_on < member.status_since:
        raise BadInput(f"生效日期不能早于上一次状态变更（{member.status_since}）", field="effective_on")
    heir = None
    if status == MemberStatus.DECEASED:
        if heir_member_id is None:
            raise BadInput("社员去世时请指定继承人（须为本社社员）", field="heir_member_id")
        heir = await get_member(db, heir_member_id, member.cooperative_id)
        if heir.id == member.id or heir.status != MemberStatus.ADMITTED:
            raise BadInput("继承人须为本社其他在册社员", field="heir_member_id")
    moved = await transition(
        db,
        Member,
        member_id,
        action,
        MEMBER,
        status_since=effective_on,
        status_reason=reason.strip()[:200],
        heir_member_id=heir.id if heir else member.heir_member_id,
    )
    if not moved:  # another request changed the status since we read it
        raise refused
    db.add(
        MemberStatusChange(
            member_id=member.id,
            status=status,
            effective_on=effective_on,  # type: ignore[arg-type]
            reason=reason.strip()[:200],
            heir_member_id=heir.id if heir else None,
            recorded_by_user_id=by_user_id,
        )
    )
    await db.flush()
    if heir is not None:
        await pass_to_heir(db, member, heir, effective_on, by_user_id)
    return member


async def status_history(db: AsyncSession, member_id: int) -> list[MemberStatusChange]:
    return list(
        (
            await db.scalars(
                select(MemberStatusChange)
                .where(MemberStatusChange.member_id == member_id)
                .order_by(MemberStatusChange.effective_on, MemberStatusChange.id)
            )
        ).all()
    )


async def link_login(db: AsyncSession, member_id: int, user_id: int | None) -> Member:
    member = await get_member(db, member_id)
    if user_id is not None:
        taken = await db.scalar(select(Member.id).where(Member.user_id == user_id, Member.id != member_id))
        if taken:
            raise Conflict("这个登录账户已关联了另一位社员", field="user_id")
    member.user_id = user_id
    await db.flush()
    return member
