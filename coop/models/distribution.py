"""The yearly surplus distribution: its state, its pipeline steps, and each member's allocation."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from caoyuan.db import UTCDateTime, utcnow


class DistributionState(StrEnum):
    DRAFT = "draft"  # recomputed freely
    APPROVED = "approved"  # by the member assembly
    POSTED = "posted"  # journal written, member accounts credited
    PAID = "paid"  # every member paid


DISTRIBUTION_STATE_LABELS = {"draft": "草案", "approved": "已经成员大会通过", "posted": "已入账", "paid": "已全部发放"}


class Distribution(SQLModel, table=True):
    """One year's surplus distribution (盈余分配方案) and the figures of each pipeline step."""

    __tablename__ = "coop_distribution"
    __table_args__ = (sa.Index("ix_coop_distribution_coop_year", "cooperative_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id")
    year: int
    state: str = Field(default=DistributionState.DRAFT, max_length=12)
    policy: str = Field(max_length=16)
    # the charter's capital_basis this distribution applied (kept, so the statement can say which rule)
    capital_basis: str = Field(default="record_date", max_length=12, sa_column_kwargs={"server_default": "record_date"})
    charter_id: int | None = Field(default=None, foreign_key="coop_charter.id")
    surplus_fen: int = Field(default=0, sa_type=sa.BigInteger)  # 本年盈余 from the ledger
    loss_cover_fen: int = Field(default=0, sa_type=sa.BigInteger)  # 弥补以前年度亏损
    reserve_fen: int = Field(default=0, sa_type=sa.BigInteger)  # 公积金 / 公积公益金
    pool_development_fen: int = Field(default=0, sa_type=sa.BigInteger)  # 六四开：发展
    pool_assistance_fen: int = Field(default=0, sa_type=sa.BigInteger)  # 六四开：帮扶
    distributable_fen: int = Field(default=0, sa_type=sa.BigInteger)  # 可分配盈余
    patronage_fen: int = Field(default=0, sa_type=sa.BigInteger)  # 按交易量返还
    remainder_fen: int = Field(default=0, sa_type=sa.BigInteger)  # 按出资/按股分配
    collective_fen: int = Field(default=0, sa_type=sa.BigInteger)  # 集体股
    volume_total_fen: int = Field(default=0, sa_type=sa.BigInteger)
    weight_total_fen: int = Field(default=0, sa_type=sa.BigInteger)  # capital + reserve + subsidy, or shares
    members_count: int = 0
    # per kind of input, a digest of what the draft was computed from (coop.services.distribution.inputs)
    inputs_fingerprint: str = Field(default="", max_length=400, sa_column_kwargs={"server_default": ""})
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    assembly_on: date | None = None
    assembly_attendance: int | None = None
    assembly_members: int | None = None
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstain: int | None = None
    # who approved it: "members" (成员大会) or "representatives" (成员代表大会), and the rule applied in words
    assembly_body: str = Field(default="members", max_length=16, sa_column_kwargs={"server_default": "members"})
    assembly_rule: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    approved_by_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    posted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closing_entry_id: int | None = Field(default=None, foreign_key="coop_journal_entry.id")
    entry_id: int | None = Field(default=None, foreign_key="coop_journal_entry.id")
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reverses_distribution_id: int | None = Field(default=None, foreign_key="coop_distribution.id", unique=True)
    note: str = Field(default="", max_length=500)


class DistributionStep(SQLModel, table=True):
    """A pipeline step as it was computed: what it started from, the rule, and what it took."""

    __tablename__ = "coop_distribution_step"

    id: int | None = Field(default=None, primary_key=True)
    distribution_id: int = Field(foreign_key="coop_distribution.id", index=True)
    seq: int
    code: str = Field(max_length=24)
    label: str = Field(max_length=60)
    base_fen: int = Field(sa_type=sa.BigInteger)
    rate_bp: int | None = None
    amount_fen: int = Field(sa_type=sa.BigInteger)
    explanation: str = Field(default="", max_length=300)


class Allocation(SQLModel, table=True):
    """One member's part of a distribution, with the weights used and each rounding adjustment (0 or 1 fen).

    No foreign keys on purpose: the rows are written only by compute_draft, from ids read in the same
    transaction (members are never deleted), and per-row FK checks made the 100,000-row COPY 5× slower."""

    __tablename__ = "coop_distribution_allocation"
    __table_args__ = (sa.UniqueConstraint("distribution_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    distribution_id: int
    member_id: int  # a member's rows are found through the (distribution_id, member_id) unique index
    member_no: int
    volume_fen: int = Field(default=0, sa_type=sa.BigInteger)
    capital_fen: int = Field(default=0, sa_type=sa.BigInteger)
    reserve_base_fen: int = Field(default=0, sa_type=sa.BigInteger)  # quantified reserve before this year
    subsidy_fen: int = Field(default=0, sa_type=sa.BigInteger)
    shares: int = Field(default=0)
    # capital (farmer: fen; shareholding: shares) as the charter's capital_basis counted it: the holding on
    # 31 December if still a member, or fen·days / share·days held while a member (coop.rules.capital)
    capital_counted: int = Field(default=0, sa_type=sa.BigInteger, sa_column_kwargs={"server_default": "0"})
    member_days: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # days a member this year
    patronage_fen: int = Field(default=0, sa_type=sa.BigInteger)
    patronage_adj: int = Field(default=0)
    remainder_fen: int = Field(default=0, sa_type=sa.BigInteger)
    remainder_adj: int = Field(default=0)
    reserve_share_fen: int = Field(default=0, sa_type=sa.BigInteger)  # this year's reserve quantified
    reserve_adj: int = Field(default=0)
    total_fen: int = Field(default=0, sa_type=sa.BigInteger)  # patronage + remainder (what is paid out)
    paid_on: date | None = None
    paid_channel: str = Field(default="", max_length=8)
    payment_entry_id: int | None = Field(default=None, foreign_key="coop_journal_entry.id")


class AssemblyBallot(SQLModel, table=True):
    """How each household present at the approving assembly voted (the attendance, recorded by member)."""

    __tablename__ = "coop_assembly_ballot"
    __table_args__ = (sa.UniqueConstraint("distribution_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    distribution_id: int = Field(foreign_key="coop_distribution.id", index=True)
    member_id: int = Field(foreign_key="coop_member.id")
    member_no: int
    vote: str = Field(max_length=8)  # "for", "against", "abstain"
