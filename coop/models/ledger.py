"""Double-entry journal, postings from other modules, and members' transaction volume.

Journal rows are append-only: a correction is a reversing entry (PostgreSQL also refuses
UPDATE/DELETE of them by trigger)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from caoyuan.db import UTCDateTime, utcnow


class JournalEntry(SQLModel, table=True):
    """A double-entry journal entry (凭证). Balanced and immutable; corrections reverse it."""

    __tablename__ = "coop_journal_entry"

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)
    entry_date: date = Field(index=True)  # the accounting date (Asia/Shanghai)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    kind: str = Field(max_length=24)  # manual, live_sale, live_refund, machinery, wage, contribution, …
    description: str = Field(default="", max_length=300)
    reverses_entry_id: int | None = Field(default=None, foreign_key="coop_journal_entry.id", unique=True)
    created_by_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class JournalLine(SQLModel, table=True):
    __tablename__ = "coop_journal_line"
    __table_args__ = (
        sa.CheckConstraint(
            "debit_fen >= 0 AND credit_fen >= 0 AND (debit_fen = 0) <> (credit_fen = 0)", name="one_side"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="coop_journal_entry.id", index=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)
    account_code: str = Field(max_length=8, index=True)
    debit_fen: int = Field(default=0, sa_type=sa.BigInteger)
    credit_fen: int = Field(default=0, sa_type=sa.BigInteger)
    member_id: int | None = Field(default=None, foreign_key="coop_member.id", index=True)  # 成员往来 etc.
    fund: str = Field(default="", max_length=16)  # "development" / "assistance" (六四开), else ""
    memo: str = Field(default="", max_length=200)


class Posting(SQLModel, table=True):
    """One business event posted through coop.posting: the idempotency record behind ``reference``."""

    __tablename__ = "coop_posting"

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=120, unique=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)
    kind: str = Field(max_length=24)
    original_reference: str | None = Field(default=None, max_length=120, index=True)
    member_id: int | None = Field(default=None, foreign_key="coop_member.id")
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    goods_fen: int = Field(default=0, sa_type=sa.BigInteger)
    shipping_fen: int = Field(default=0, sa_type=sa.BigInteger)
    amount_fen: int = Field(default=0, sa_type=sa.BigInteger)
    relief_fen: int = Field(default=0, sa_type=sa.BigInteger)
    commission_fen: int = Field(default=0, sa_type=sa.BigInteger)
    fingerprint: str = Field(max_length=300)  # the event's amounts; a replay must match it exactly
    splits: dict = Field(default_factory=dict, sa_type=sa.JSON)
    entry_id: int = Field(foreign_key="coop_journal_entry.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class VolumeSource(StrEnum):
    LIVE_SALE = "live_sale"  # animals the member supplied to the live sale
    MACHINERY = "machinery"  # harvester work done for the member
    OTHER = "other"


VOLUME_LABELS = {"live_sale": "直播供货", "machinery": "农机作业", "other": "其他交易"}


class MemberVolume(SQLModel, table=True):
    """A member's transaction volume with the cooperative (art. 43 (3)); refunds are negative lines."""

    __tablename__ = "coop_member_volume"
    __table_args__ = (sa.Index("ix_coop_member_volume_coop_year_member", "cooperative_id", "year", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id")
    member_id: int = Field(foreign_key="coop_member.id", index=True)
    year: int
    occurred_on: date
    source: str = Field(max_length=16)
    amount_fen: int = Field(sa_type=sa.BigInteger)
    reference: str = Field(default="", max_length=120)
