"""The logins of one cooperative (issue 10 item 2): list, create, deactivate / reactivate, change a role,
reset a password, grant the cooperative to an existing admin.

A login belongs to a cooperative when it has a ``coop_grant`` row for it; the row's role is the login's role
there (kept equal to the account's role, which the guards read). Every login made here gets a row, so an admin
made here is always a granted admin, never the install's admin (who has no rows).

Reach: the install's admin acts on anyone. A granted admin acts only on logins whose every grant lies inside
their own cooperatives, and never on the install's admin — so no admin can reach above their own role. Every
change writes an audit event in the same transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from caoyuan import audit
from caoyuan.auth import passwords
from caoyuan.auth.models import AuthToken, UserAccount
from caoyuan.auth.roles import Role
from caoyuan.auth.service import create_user
from caoyuan.errors import BadInput, Forbidden, NotFound
from caoyuan.identity import IdentityError, mask_phone, normalize_phone
from coop import access
from coop.models import CoopGrant, Member
from coop.services import members
from coop.services.charter import scope_of
from coop.services.ledger import require_cooperative

# the roles a cooperative's admin hands out (buyers register themselves)
PEOPLE_ROLES = (Role.ADMIN, Role.HOST, Role.OPERATOR, Role.MEMBER)
NAME_MAX = 50
# no 0/O, 1/l/I: read aloud over the phone or copied from a screen without mistakes
_TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMP_LENGTH = 10


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    name: str
    phone: str  # masked
    role: str
    role_label: str
    active: bool
    must_change_password: bool
    member_no: int | None
    member_name: str | None


@dataclass(frozen=True, slots=True)
class PersonDraft:
    phone: str
    name: str
    role: str
    member_id: int | None = None


def temporary_password() -> str:
    return "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(TEMP_LENGTH))


def _role(value: str) -> Role:
    if value not in {r.value for r in PEOPLE_ROLES}:
        labels = "、".join(r.label for r in PEOPLE_ROLES)
        raise BadInput(f"未知角色「{value[:16]}」，可选：{labels}", field="role")
    return Role(value)


async def people(db: AsyncSession, cooperative_id: int) -> list[Person]:
    await require_cooperative(db, cooperative_id)
    rows = (
        await db.execute(
            select(UserAccount, CoopGrant, Member)
            .join(CoopGrant, col(CoopGrant.user_id) == col(UserAccount.id))
            .outerjoin(
                Member,
                (col(Member.user_id) == col(UserAccount.id)) & (col(Member.cooperative_id) == cooperative_id),
            )
            .where(col(CoopGrant.cooperative_id) == cooperative_id)
            .order_by(col(UserAccount.is_active).desc(), col(UserAccount.id))
        )
    ).all()
    return [
        Person(
            account.id,  # type: ignore[arg-type]
            account.display_name,
            mask_phone(account.phone),
            grant.role,
            Role(grant.role).label,
            account.is_active,
            account.must_change_password,
            member.member_no if member else None,
            member.name if member else None,
        )
        for account, grant, member in rows
    ]


async def _within_reach(db: AsyncSession, by_user_id: int, target_id: int) -> None:
    """A granted admin may act only on logins wholly inside their cooperatives (never the install's admin)."""
    mine = await access.granted(db, by_user_id)
    if mine is None:
        return
    theirs = await access.granted(db, target_id)
    if theirs is None and (await db.get(UserAccount, target_id)).role == Role.ADMIN:  # type: ignore[union-attr]
        raise Forbidden("不能更改系统管理员的账户")
    if theirs is not None and not theirs <= mine:
        raise Forbidden("这个账户也属于其他合作社，请联系系统管理员办理")


async def _person(db: AsyncSession, cooperative_id: int, user_id: int, by_user_id: int) -> UserAccount:
    await require_cooperative(db, cooperative_id)
    grant = await db.get(CoopGrant, (user_id, cooperative_id))
    account = await db.get(UserAccount, user_id)
    if grant is None or account is None:
        raise NotFound("本合作社没有这个登录账户", field="user_id")
    await _within_reach(db, by_user_id, user_id)
    return account


async def _log(db: AsyncSession, cooperative_id: int, by: int, action: str, who: UserAccount, **detail) -> None:  # type: ignore[no-untyped-def]
    await audit.record(
        db,
        actor_user_id=by,
        scope=scope_of(cooperative_id),
        action=action,
        subject=who.display_name,
        detail={"phone": mask_phone(who.phone), **detail},
    )


async def create_person(
    db: AsyncSession, cooperative_id: int, draft: PersonDraft, *, by_user_id: int
) -> tuple[UserAccount, str]:
    """A new login for this cooperative with a temporary password (shown once; must be changed first)."""
    await require_cooperative(db, cooperative_id)
    role = _role(draft.role)
    name = draft.name.strip()
    if not name:
        raise BadInput("请填写姓名", field="name")
    if len(name) > NAME_MAX:
        raise BadInput(f"姓名最多 {NAME_MAX} 个字", field="name")
    if draft.member_id is not None and role != Role.MEMBER:
        raise BadInput("只有社员角色可以关联社员户", field="member_id")
    member = await members.get_member(db, draft.member_id, cooperative_id) if draft.member_id else None
    if member is not None and member.user_id is not None:
        raise BadInput("这户社员已经有登录账户", field="member_id")
    temporary = temporary_password()
    account = await create_user(db, phone=draft.phone, password=temporary, role=role, display_name=name)
    account.must_change_password = True
    db.add(CoopGrant(user_id=account.id, cooperative_id=cooperative_id, role=role))  # type: ignore[arg-type]
    if member is not None:
        await members.link_login(db, member.id, account.id)  # type: ignore[arg-type]
    await db.flush()
    await _log(
        db,
        cooperative_id,
        by_user_id,
        "person.created",
        account,
        role=role.value,
        member_no=member.member_no if member else None,
    )
    return account, temporary


async def _end_logins(db: AsyncSession, user_id: int) -> None:
    await db.execute(delete(AuthToken).where(col(AuthToken.user_id) == user_id))


async def set_active(
    db: AsyncSession, cooperative_id: int, user_id: int, active: bool, *, by_user_id: int
) -> UserAccount:
    account = await _person(db, cooperative_id, user_id, by_user_id)
    if user_id == by_user_id and not active:
        raise BadInput("不能停用自己的账户", field="user_id")
    if account.is_active != active:
        account.is_active = active
        if not active:
            await _end_logins(db, user_id)
        await db.flush()
        await _log(db, cooperative_id, by_user_id, "person.reactivated" if active else "person.deactivated", account)
    return account


async def change_role(
    db: AsyncSession, cooperative_id: int, user_id: int, role: str, *, by_user_id: int
) -> UserAccount:
    new = _role(role)
    account = await _person(db, cooperative_id, user_id, by_user_id)
    if user_id == by_user_id:
        raise BadInput("不能更改自己的角色", field="role")
    old = account.role
    if old == new:
        return account
    if old == Role.MEMBER:  # a household's login that is no longer a member's stops seeing the household
        linked = await db.scalar(select(col(Member.id)).where(col(Member.user_id) == user_id))
        if linked is not None:
            await members.link_login(db, linked, None)
    account.role = new
    for grant in (await db.scalars(select(CoopGrant).where(col(CoopGrant.user_id) == user_id))).all():
        grant.role = new
    await _end_logins(db, user_id)  # a session carries its role: the next login carries the new one
    await db.flush()
    await _log(db, cooperative_id, by_user_id, "person.role_changed", account, old=old, new=new.value)
    return account


async def reset_password(db: AsyncSession, cooperative_id: int, user_id: int, *, by_user_id: int) -> str:
    """A temporary password, returned once: the login must change it first; its sessions end now."""
    account = await _person(db, cooperative_id, user_id, by_user_id)
    if user_id == by_user_id:
        raise BadInput("请在「我的账户」修改自己的密码", field="user_id")
    temporary = temporary_password()
    account.password_hash = await passwords.hash_password_async(temporary)
    account.must_change_password = True
    await _end_logins(db, user_id)
    await db.flush()
    await _log(db, cooperative_id, by_user_id, "person.password_reset", account)
    return temporary


async def grant_admin(db: AsyncSession, cooperative_id: int, phone: str, *, by_user_id: int) -> CoopGrant:
    """Let an existing admin login work in this cooperative too. A granted admin may not narrow the install's
    admin (their first grant would end their install-wide reach)."""
    await require_cooperative(db, cooperative_id)
    if await access.granted(db, by_user_id) is not None:
        try:
            normal = normalize_phone(phone)
        except IdentityError as exc:
            raise BadInput(str(exc), field="phone") from None
        row = await db.scalar(select(UserAccount).where(col(UserAccount.phone) == normal))
        if row is not None and row.role == Role.ADMIN and await access.granted(db, row.id) is None:  # type: ignore[arg-type]
            raise Forbidden("不能更改系统管理员的账户")
    return await access.grant(db, phone, cooperative_id, by_user_id=by_user_id)


async def households_without_login(db: AsyncSession, cooperative_id: int) -> list[Member]:
    """Admitted households a new member login can be linked to."""
    query = (
        select(Member)
        .where(
            col(Member.cooperative_id) == cooperative_id,
            col(Member.status) == "admitted",
            col(Member.user_id).is_(None),
        )
        .order_by(col(Member.member_no))
        .limit(500)
    )
    return list((await db.scalars(query)).all())
