"""The one check that keeps an admin inside the cooperatives they were granted (issue 10).

An admin login with no ``coop_grant`` rows is the install's admin: every cooperative, and only they found
new ones. An admin with grants works only in those cooperatives: any coop page or API call whose path names
another cooperative — directly (``cooperative_id``) or through a distribution or a member household of it —
answers 404, as if that cooperative did not exist. Every coop controller carries ``coop_scope`` as a guard.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from caoyuan import audit
from caoyuan.auth.models import UserAccount
from caoyuan.auth.roles import Role
from caoyuan.errors import BadInput, Forbidden, NotFound
from caoyuan.identity import IdentityError, mask_phone, normalize_phone
from coop.models import Cooperative, CoopGrant, Distribution, Member

NOT_YOURS = "没有这个合作社"


async def granted(db: AsyncSession, user_id: int) -> set[int] | None:
    """The cooperatives an admin may work in; None for the install's admin (all of them)."""
    rows = set((await db.scalars(select(col(CoopGrant.cooperative_id)).where(col(CoopGrant.user_id) == user_id))).all())
    return rows or None


async def require_install_admin(db: AsyncSession, user_id: int) -> None:
    """Only the install's admin founds cooperatives (an admin of one village cannot make another)."""
    if await granted(db, user_id) is not None:
        raise Forbidden("只有系统管理员可以建立合作社")


async def _cooperative_named(db: AsyncSession, params: dict) -> int | None:
    """The cooperative a request's path points at, if any."""
    if "cooperative_id" in params:
        return int(params["cooperative_id"])
    if "distribution_id" in params:
        found = await db.scalar(
            select(col(Distribution.cooperative_id)).where(col(Distribution.id) == int(params["distribution_id"]))
        )
        return found if found is not None else -1  # unknown: the handler answers 404
    if "member_id" in params:
        found = await db.scalar(select(col(Member.cooperative_id)).where(col(Member.id) == int(params["member_id"])))
        return found if found is not None else -1
    return None


async def coop_scope(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: an admin with grants reaches only their cooperatives (runs after the role guard)."""
    user = connection.scope.get("user")
    if user is None or user.role != Role.ADMIN:
        return  # members and others are held to their own records by the handlers
    params = connection.path_params
    if not params:
        return
    async with connection.app.state.database.reader() as db:
        allowed = await granted(db, user.id)
        if allowed is None:
            return
        target = await _cooperative_named(db, params)
    if target is not None and target != -1 and target not in allowed:
        raise NotFound(NOT_YOURS)


async def grant(db: AsyncSession, phone: str, cooperative_id: int, *, by_user_id: int | None = None) -> CoopGrant:
    """Let an admin login work in one more cooperative (their first grant ends their install-wide reach)."""
    try:
        phone = normalize_phone(phone)
    except IdentityError as exc:
        raise BadInput(str(exc), field="phone") from None
    account = await db.scalar(select(UserAccount).where(col(UserAccount.phone) == phone))
    if account is None or account.role != Role.ADMIN:
        raise BadInput(f"{phone} 不是管理员账号", field="phone")
    if await db.get(Cooperative, cooperative_id) is None:
        raise NotFound(NOT_YOURS, field="cooperative_id")
    row = await db.get(CoopGrant, (account.id, cooperative_id))
    if row is None:
        row = CoopGrant(user_id=account.id, cooperative_id=cooperative_id, role=Role.ADMIN)  # type: ignore[arg-type]
        db.add(row)
        await db.flush()
        await audit.record(
            db,
            actor_user_id=by_user_id,
            scope=f"coop:{cooperative_id}",
            action="grant.added",
            subject=account.display_name,
            detail={"phone": mask_phone(phone), "role": row.role},
        )
    return row
