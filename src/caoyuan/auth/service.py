"""Login, lockout, and token issue/lookup/revoke. Callers own the transaction."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.auth import passwords
from caoyuan.auth.models import AuthToken, LoginThrottle, UserAccount
from caoyuan.auth.roles import Role
from caoyuan.db import utcnow
from caoyuan.errors import BadInput, Conflict, KernelCode, Locked, Unauthorized
from caoyuan.identity import IdentityError, normalize_phone

MAX_FAILED_LOGINS = 5  # per account and source address
MAX_ACCOUNT_FAILED_LOGINS = 20  # per account, across all addresses
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
        raise Conflict(f"手机号 {phone} 已注册", code=KernelCode.PHONE_TAKEN, field="phone")
    user = UserAccount(
        phone=phone,
        role=role,
        display_name=display_name.strip() or phone,
        password_hash=await passwords.hash_password_async(password),
    )
    db.add(user)
    await db.flush()
    return user


async def authenticate(
    db: AsyncSession, phone: str, password: str, now: datetime | None = None, *, source: str = ""
) -> UserAccount:
    """Check a phone + password from ``source`` (the client address).

    Five wrong passwords in a row from one address lock that address out of the account for 15 minutes;
    twenty in a row across all addresses lock the account itself. So a stranger cannot lock the village
    office out, and guessing from many addresses still stops. Each try is claimed by one guarded
    statement (``UPDATE … WHERE tries < limit RETURNING``) and committed before the password is checked:
    concurrent tries are counted exactly, and tries beyond the limit are refused without being checked.
    """
    now = now or utcnow()
    source = (source or "")[:64]
    try:
        phone = normalize_phone(phone)
    except IdentityError as exc:
        raise BadInput(str(exc), field="phone") from None
    user = await db.scalar(select(UserAccount).where(UserAccount.phone == phone))
    if user is None or not user.is_active:
        await passwords.verify_password(passwords.DUMMY_HASH, password)
        raise Unauthorized(WRONG_CREDENTIALS, code=KernelCode.BAD_CREDENTIALS)
    user_id: int = user.id  # type: ignore[assignment]
    tries = await _claim_address_try(db, user_id, source, now)
    if tries is None:
        await db.commit()
        raise _locked(await _address_lock(db, user_id, source), now)
    account_tries = await _claim_account_try(db, user_id, now)
    if account_tries is None:
        await _give_back_address_try(db, user_id, source)
        await db.commit()
        raise _locked(await db.scalar(select(UserAccount.locked_until).where(UserAccount.id == user_id)), now)
    await db.commit()  # the try counts even though the request may fail
    if not await passwords.verify_password(user.password_hash, password):
        return await _wrong_password(db, user_id, source, tries, account_tries, now)
    await db.execute(
        update(LoginThrottle)
        .where(LoginThrottle.user_id == user_id, LoginThrottle.source == source)
        .values(tries=0, locked_until=None, updated_at=now)
    )
    await db.execute(update(UserAccount).where(UserAccount.id == user_id).values(failed_logins=0, locked_until=None))
    user.failed_logins, user.locked_until = 0, None
    return user


async def _claim_address_try(db: AsyncSession, user_id: int, source: str, now: datetime) -> int | None:
    """Count one try for (account, address) unless that pair is locked or its tries are used up."""
    table = LoginThrottle.__table__
    insert = (pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert)(table)
    open_ = sa.or_(table.c.locked_until.is_(None), table.c.locked_until <= now)
    stmt = insert.values(user_id=user_id, source=source, tries=1, locked_until=None, updated_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.user_id, table.c.source],
        set_={
            "tries": sa.case((table.c.locked_until.is_(None), table.c.tries + 1), else_=1),
            "locked_until": None,
            "updated_at": now,
        },
        where=sa.and_(open_, sa.or_(table.c.locked_until.is_not(None), table.c.tries < MAX_FAILED_LOGINS)),
    ).returning(table.c.tries)
    return await db.scalar(stmt)


async def _claim_account_try(db: AsyncSession, user_id: int, now: datetime) -> int | None:
    expired = sa.and_(UserAccount.locked_until.is_not(None), UserAccount.locked_until <= now)
    stmt = (
        update(UserAccount)
        .where(
            UserAccount.id == user_id,
            sa.or_(
                expired,
                sa.and_(UserAccount.locked_until.is_(None), UserAccount.failed_logins < MAX_ACCOUNT_FAILED_LOGINS),
            ),
        )
        .values(failed_logins=sa.case((expired, 1), else_=UserAccount.failed_logins + 1), locked_until=None)
        .returning(UserAccount.failed_logins)
    )
    return await db.scalar(stmt)


async def _give_back_address_try(db: AsyncSession, user_id: int, source: str) -> None:
    # The account was locked, so this try was never checked: it must not count against the address.
    await db.execute(
        update(LoginThrottle)
        .where(LoginThrottle.user_id == user_id, LoginThrottle.source == source, LoginThrottle.tries > 0)
        .values(tries=LoginThrottle.tries - 1)
    )


async def _address_lock(db: AsyncSession, user_id: int, source: str) -> datetime | None:
    return await db.scalar(
        select(LoginThrottle.locked_until).where(LoginThrottle.user_id == user_id, LoginThrottle.source == source)
    )


def _locked(until: datetime | None, now: datetime) -> Locked:
    # None: the last allowed tries are still being checked; they end in a lock or a success at once.
    minutes = LOCK_MINUTES if until is None else max(1, int((until - now).total_seconds() // 60) + 1)
    return Locked(f"密码错误次数过多，账户已锁定，请 {minutes} 分钟后再试")


async def _wrong_password(
    db: AsyncSession, user_id: int, source: str, tries: int, account_tries: int, now: datetime
) -> UserAccount:
    until = now + timedelta(minutes=LOCK_MINUTES)
    address_locked = tries >= MAX_FAILED_LOGINS
    account_locked = account_tries >= MAX_ACCOUNT_FAILED_LOGINS
    if address_locked:
        await db.execute(
            update(LoginThrottle)
            .where(LoginThrottle.user_id == user_id, LoginThrottle.source == source)
            .values(tries=0, locked_until=until, updated_at=now)
        )
    if account_locked:
        await db.execute(
            update(UserAccount).where(UserAccount.id == user_id).values(failed_logins=0, locked_until=until)
        )
    await db.commit()
    if address_locked or account_locked:
        raise Locked(f"密码连续错误 {MAX_FAILED_LOGINS} 次，账户已锁定 {LOCK_MINUTES} 分钟")
    left = min(MAX_FAILED_LOGINS - tries, MAX_ACCOUNT_FAILED_LOGINS - account_tries)
    raise Unauthorized(
        f"{WRONG_CREDENTIALS}（再错 {left} 次将锁定 {LOCK_MINUTES} 分钟）", code=KernelCode.BAD_CREDENTIALS
    )


async def issue_token(db: AsyncSession, user: UserAccount, kind: str, hours: int) -> tuple[str, AuthToken]:
    token = secrets.token_urlsafe(32)
    row = AuthToken(
        token_hash=token_digest(token),
        user_id=user.id,
        kind=kind,  # type: ignore[arg-type]
        expires_at=utcnow() + timedelta(hours=hours),
    )
    db.add(row)
    await db.flush()
    return token, row


async def user_for_token(db: AsyncSession, token: str, kind: str) -> UserAccount | None:
    row = await db.execute(
        select(UserAccount)
        .join(AuthToken, AuthToken.user_id == UserAccount.id)
        .where(
            AuthToken.token_hash == token_digest(token),
            AuthToken.kind == kind,
            AuthToken.expires_at > utcnow(),
            UserAccount.is_active.is_(True),
        )
    )
    return row.scalar_one_or_none()


async def revoke_token(db: AsyncSession, token: str) -> None:
    await db.execute(delete(AuthToken).where(AuthToken.token_hash == token_digest(token)))


async def purge_expired_tokens(db: AsyncSession) -> int:
    result = await db.execute(delete(AuthToken).where(AuthToken.expires_at <= utcnow()))
    return result.rowcount or 0


async def purge_stale_logins(db: AsyncSession) -> tuple[int, int]:
    """Delete expired tokens and sessions, and per-address try counts untouched for a day and not locked.
    Run by a background job in every process (deletes are idempotent). Returns (tokens, throttles)."""
    now = utcnow()
    tokens = await purge_expired_tokens(db)
    stale = await db.execute(
        delete(LoginThrottle).where(
            LoginThrottle.updated_at < now - timedelta(days=1),
            sa.or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
        )
    )
    return tokens, stale.rowcount or 0


async def change_password(
    db: AsyncSession, user_id: int, current: str, new: str, confirm: str, keep_token: str | None = None
) -> None:
    """Change the password and end every other login of the account — page sessions and API tokens alike
    (whoever knew the old password is logged out); ``keep_token`` (the caller's own session) stays."""
    account = await db.get(UserAccount, user_id)
    if account is None or not await passwords.verify_password(account.password_hash, current):
        raise BadInput("当前密码不正确", field="current")
    if new != confirm:
        raise BadInput("两次输入的新密码不一致", field="confirm")
    if problem := passwords.check_strength(new):
        raise BadInput(problem, field="new")
    account.password_hash = await passwords.hash_password_async(new)
    account.must_change_password = False
    others = delete(AuthToken).where(AuthToken.user_id == user_id)
    if keep_token:
        others = others.where(AuthToken.token_hash != token_digest(keep_token))
    await db.execute(others)
