"""One-time set-up links: how an empty install gets its first admin login without a developer.

``caoyuan setup`` prints a link; whoever opens it (the village accountant, on the office computer) chooses
the first admin's phone, name and password, and is logged in. Only the SHA-256 of the link's token is
stored; the link works once (a guarded UPDATE claims it, so two tabs cannot both use it) and not after it
expires. Once an admin exists no link is issued or honoured: further logins are made by that admin.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from caoyuan import audit, clock
from caoyuan.auth.models import SetupLink, UserAccount
from caoyuan.auth.roles import Role
from caoyuan.auth.service import create_user, token_digest
from caoyuan.errors import AppError, BadInput, Conflict, KernelCode
from caoyuan.identity import mask_phone

LINK_HOURS = 24
LINK_HOURS_MAX = 7 * 24
TOKEN_MAX = 100  # a token from secrets.token_urlsafe(32) is 43 characters
ADMIN_EXISTS = "已经有管理员账号了：请用管理员账号登录（其他账号可在服务器上用 caoyuan user create 添加）"


class LinkGone(AppError):
    status = 410
    code = KernelCode.SETUP_LINK_GONE


GONE = "这个设置链接已用过或已过期，请在服务器上重新运行 caoyuan setup"


async def admin_exists(db: AsyncSession) -> bool:
    return bool(
        await db.scalar(select(sa.func.count()).select_from(UserAccount).where(col(UserAccount.role) == Role.ADMIN))
    )


async def issue(db: AsyncSession, hours: int = LINK_HOURS) -> tuple[str, SetupLink]:
    """A new link's token (shown once, never stored) and its row."""
    if not 1 <= hours <= LINK_HOURS_MAX:
        raise BadInput(f"有效期应为 1 到 {LINK_HOURS_MAX} 小时", field="hours")
    if await admin_exists(db):
        raise Conflict(ADMIN_EXISTS, code=KernelCode.ADMIN_EXISTS)
    token = secrets.token_urlsafe(32)
    link = SetupLink(token_hash=token_digest(token), expires_at=clock.now() + timedelta(hours=hours))
    db.add(link)
    await db.flush()
    return token, link


async def usable(db: AsyncSession, token: str) -> SetupLink:
    """The link behind ``token`` if it can still be used; LinkGone otherwise (unknown, used or expired)."""
    link = await db.get(SetupLink, token_digest(token[:TOKEN_MAX]))
    if link is None or link.used_at is not None or link.expires_at <= clock.now():
        raise LinkGone(GONE)
    if await admin_exists(db):
        raise LinkGone(ADMIN_EXISTS)
    return link


async def use(
    db: AsyncSession, token: str, *, phone: str, display_name: str, password: str, confirm: str
) -> UserAccount:
    """Claim the link and create the first admin with it, in the caller's transaction (a refusal rolls
    the claim back, so a mistyped password does not use the link up)."""
    await usable(db, token)
    if not display_name.strip():
        raise BadInput("请填写姓名", field="display_name")
    if len(display_name.strip()) > 50:
        raise BadInput("姓名最多 50 个字", field="display_name")
    if password != confirm:
        raise BadInput("两次输入的密码不一致", field="confirm")
    now = clock.now()
    claimed = await db.scalar(
        update(SetupLink)
        .where(
            col(SetupLink.token_hash) == token_digest(token[:TOKEN_MAX]),
            col(SetupLink.used_at).is_(None),
            col(SetupLink.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(SetupLink.token_hash))
    )
    if claimed is None:  # another tab used it a moment ago
        raise LinkGone(GONE)
    admin = await create_user(db, phone=phone, password=password, role=Role.ADMIN, display_name=display_name)
    await db.execute(update(SetupLink).where(col(SetupLink.token_hash) == claimed).values(used_by_user_id=admin.id))
    await audit.record(
        db,
        actor_user_id=admin.id,
        scope="",
        action="admin.first_created",
        subject=admin.display_name,
        detail={"phone": mask_phone(admin.phone), "via": "setup_link"},
    )
    return admin
