"""The audit log: who changed what, when — written in the same transaction as the change it records.

A domain calls ``record(db, ...)`` from its service, so a refused change (rolled back) leaves no event and
an accepted one always has its event. ``scope`` says whose data it was (a domain's own words, such as
"coop:3"; "" for the whole install). ``detail`` is a small JSON object; keys that could hold a secret are
dropped before it is stored, so a password or token never reaches the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from caoyuan import clock
from caoyuan.auth.models import UserAccount
from caoyuan.db import UTCDateTime

SECRET_WORDS = ("password", "token", "secret", "hash", "id_number")
PAGE_SIZE = 50
DETAIL_MAX = 2000  # characters of JSON: a summary, not a copy of the row


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_scope_id", "scope", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)
    actor_user_id: int | None = Field(
        default=None, sa_column=sa.Column(sa.Integer, sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    )
    scope: str = Field(max_length=40)
    action: str = Field(max_length=40, index=True)
    subject: str = Field(max_length=200)
    detail: dict = Field(default_factory=dict, sa_type=sa.JSON)


def without_secrets(detail: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in detail.items():
        if any(word in key.lower() for word in SECRET_WORDS):
            continue
        clean[key] = without_secrets(value) if isinstance(value, dict) else value
    return clean


async def record(
    db: AsyncSession,
    *,
    actor_user_id: int | None,
    scope: str,
    action: str,
    subject: str,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one event to the caller's transaction (it commits or rolls back with the change)."""
    clean = without_secrets(detail or {})
    if len(str(clean)) > DETAIL_MAX:
        clean = {"note": "详情过长，已省略"}
    event = AuditEvent(
        at=clock.now(),
        actor_user_id=actor_user_id,
        scope=scope[:40],
        action=action[:40],
        subject=subject[:200],
        detail=clean,
    )
    db.add(event)
    await db.flush()
    return event


@dataclass(frozen=True, slots=True)
class EventView:
    id: int
    at: datetime
    actor: str  # the login's display name ("" when the change was made by a command on the server)
    action: str
    subject: str
    detail: dict[str, Any]


async def events(
    db: AsyncSession, scope: str, *, action: str = "", before_id: int | None = None, limit: int = PAGE_SIZE
) -> list[EventView]:
    """One page of a scope's events, newest first; the next page starts before the last id shown."""
    query = (
        select(AuditEvent, col(UserAccount.display_name))
        .outerjoin(UserAccount, col(UserAccount.id) == col(AuditEvent.actor_user_id))
        .where(col(AuditEvent.scope) == scope)
        .order_by(col(AuditEvent.id).desc())
        .limit(limit)
    )
    if action:
        query = query.where(col(AuditEvent.action) == action)
    if before_id is not None:
        query = query.where(col(AuditEvent.id) < before_id)
    rows = (await db.execute(query)).all()
    return [EventView(e.id or 0, e.at, name or "", e.action, e.subject, e.detail) for e, name in rows]
