"""Login, lockout, and token issue/lookup/revoke. Callers own the transaction."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.auth import passwords
from caoyuan.auth.models import AuthToken, UserAccount
from caoyuan.auth.roles import Role
from caoyuan.db import utcnow
from caoyuan.errors import BadInput, Conflict, Locked, Unauthorized
from caoyuan.identity import IdentityError, normalize_phone

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
WRONG_CREDENTIALS = "手机号或密码不正确"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_user(db: AsyncSession, *, phone: str, password: str, role: str, display_name: str) -> UserAccount:
    try:
        phone = normalize_phone(phone)
    except IdentityError as exc:
        raise BadInput(str(exc), field="phone") from None
    if role not in {r.value for r in Role}:
        raise BadInput(f"未知角色「{role}」，可选：{', '.join(r.value for r in Role)}", field="role")
    if problem := passwords.check_strength(password):
        raise BadInput(problem, field="password")
    if await db.scalar(select(UserAccount.id).where(UserAccount.phone == phone)):
        raise Conflict(f"手机号 {phone} 已注册", code="phone_taken", field="phone")
    user = UserAccount(phone=phone, role=role, display_name=display_name.strip() or phone,
                       password_hash=await passwords.hash_password_async(password))
    db.add(user)
    await db.flush()
    return user


async def authenticate(db: AsyncSession, phone: str, password: str, now: datetime | None = None) -> UserAccount:
    """Check a phone + password. Five wrong passwords in a row lock the account for 15 minutes."""
    now = now or utcnow()
    try:
        phone = normalize_phone(phone)
    except IdentityError as exc:
        raise BadInput(str(exc), field="phone") from None
    user = await db.scalar(select(UserAccount).where(UserAccount.phone == phone).with_for_update())
    if user is None or not user.is_active:
        await passwords.verify_password(passwords.DUMMY_HASH, password)
        raise Unauthorized(WRONG_CREDENTIALS, code="bad_credentials")
    if user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise Locked(f"密码错误次数过多，账户已锁定，请 {minutes} 分钟后再试")
    if not await passwords.verify_password(user.password_hash, password):
        failed = user.failed_logins + 1
        locked_until = now + timedelta(minutes=LOCK_MINUTES) if failed >= MAX_FAILED_LOGINS else None
        await db.execute(update(UserAccount).where(UserAccount.id == user.id).values(
            failed_logins=0 if locked_until else failed, locked_until=locked_until))
        await db.commit()  # the failure must be counted even though the request fails
        if locked_until:
            raise Locked(f"密码连续错误 {MAX_FAILED_LOGINS} 次，账户已锁定 {LOCK_MINUTES} 分钟")
        left = MAX_FAILED_LOGINS - failed
        raise Unauthorized(f"{WRONG_CREDENTIALS}（再错 {left} 次将锁定 {LOCK_MINUTES} 分钟）", code="bad_credentials")
    if user.failed_logins or user.locked_until:
        user.failed_logins, user.locked_until = 0, None
    return user


async def issue_token(db: AsyncSession, user: UserAccount, kind: str, hours: int) -> tuple[str, AuthToken]:
    token = secrets.token_urlsafe(32)
    row = AuthToken(token_hash=token_digest(token), user_id=user.id, kind=kind,  # type: ignore[arg-type]
                    expires_at=utcnow() + timedelta(hours=hours))
    db.add(row)
    await db.flush()
    return token, row


async def user_for_token(db: AsyncSession, token: str, kind: str) -> UserAccount | None:
    row = await db.execute(
        select(UserAccount)
        .join(AuthToken, AuthToken.user_id == UserAccount.id)
        .where(AuthToken.token_hash == token_digest(token), AuthToken.kind == kind,
               AuthToken.expires_at > utcnow(), UserAccount.is_active.is_(True))
    )
    return row.scalar_one_or_none()


async def revoke_token(db: AsyncSession, token: str) -> None:
    await db.execute(delete(AuthToken).where(AuthToken.token_hash == token_digest(token)))


async def purge_expired_tokens(db: AsyncSession) -> int:
    result = await db.execute(delete(AuthToken).where(AuthToken.expires_at <= utcnow()))
    return result.rowcount or 0


async def change_password(db: AsyncSession, user_id: int, current: str, new: str, confirm: str) -> None:
    account = await db.get(UserAccount, user_id)
    if account is None or not await passwords.verify_password(account.password_hash, current):
        raise BadInput("当前密码不正确", field="current")
    if new != confirm:
        raise BadInput("两次输入的新密码不一致", field="confirm")
    if problem := passwords.check_strength(new):
        raise BadInput(problem, field="new")
    account.password_hash = await passwords.hash_password_async(new)
    # Other logins of this account end: a changed password should lock out whoever knew the old one.
    await db.execute(delete(AuthToken).where(AuthToken.user_id == user_id, AuthToken.kind == "api"))
