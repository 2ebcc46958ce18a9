"""Accounts and the tokens that stand for a login (page session or API bearer token)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from caoyuan.db import UTCDateTime, utcnow


class UserAccount(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=11, unique=True, index=True)
    display_name: str = Field(max_length=50)
    role: str = Field(max_length=16, index=True)
    password_hash: str = Field(max_length=200)
    is_active: bool = Field(default=True)
    # set by an admin's password reset: until the owner picks their own, pages send them to /account/
    must_change_password: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuthToken(SQLModel, table=True):
    """A server-side login. Only the SHA-256 of the token is stored."""

    __tablename__ = "auth_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    kind: str = Field(max_length=8)  # "session" (page cookie) or "api" (bearer)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class LoginThrottle(SQLModel, table=True):
    """Password tries per account and source address: a stranger's wrong passwords lock only the
    stranger's own address out of that account, not the village office (see auth.service)."""

    __tablename__ = "auth_login_throttle"

    user_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    )
    source: str = Field(primary_key=True, max_length=64)  # the client address ("" when unknown)
    tries: int = Field(default=0)  # tries since the last success or lock, including ones still being checked
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class SetupLink(SQLModel, table=True):
    """A one-time link printed by ``caoyuan setup`` to make an install's first admin login.
    Only the SHA-256 of its token is stored; it works once, and not after ``expires_at``."""

    __tablename__ = "auth_setup_link"

    token_hash: str = Field(primary_key=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_by_user_id: int | None = Field(
        default=None, sa_column=sa.Column(sa.Integer, sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    )
