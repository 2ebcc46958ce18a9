"""Cooperative tables (prefix ``coop_``): members, charter, 三资 register, ledger and transaction volume.

Money is int fen, areas int hundredths of a mu, rates int basis points. Journal rows are append-only:
a correction is a reversing entry (PostgreSQL also refuses UPDATE/DELETE of them by trigger).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from caoyuan.db import UTCDateTime, utcnow


class CoopKind(StrEnum):
    FARMER = "farmer"  # 农民专业合作社 (农民专业合作社法)
    SHAREHOLDING = "shareholding"  # 股份经济合作社 (村集体经济组织)


class MemberStatus(StrEnum):
    ADMITTED = "admitted"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    DECEASED = "deceased"


STATUS_LABELS = {"admitted": "在册", "suspended": "暂停", "withdrawn": "已退社", "deceased": "已故（由继承人承继）"}
KIND_LABELS = {"farmer": "农民专业合作社", "shareholding": "股份经济合作社"}


class Cooperative(SQLModel, table=True):
    __tablename__ = "coop_cooperative"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    kind: str = Field(max_length=16)
    banner: str = Field(max_length=50)  # 旗 / 县
    town: str = Field(default="", max_length=50)  # 苏木 / 镇
    village: str = Field(max_length=50)  # 嘎查 / 村
    founded_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Member(SQLModel, table=True):
    """A member household (成员). The ID number is stored whole and shown masked everywhere."""

    __tablename__ = "coop_member"
    __table_args__ = (sa.UniqueConstraint("cooperative_id", "member_no"),)

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)
    member_no: int
    name: str = Field(max_length=50)
    id_number: str = Field(max_length=18)
    phone: str = Field(default="", max_length=11)
    village: str = Field(max_length=50)  # 嘎查 / 村
    group_name: str = Field(default="", max_length=50)  # 村民小组
    household_size: int = Field(default=1)
    hardship: bool = Field(default=False)  # 困难户
    status: str = Field(default=MemberStatus.ADMITTED, max_length=16)
    status_since: date
    status_reason: str = Field(default="", max_length=200)
    heir_member_id: int | None = Field(default=None, foreign_key="coop_member.id")
    user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MemberStatusChange(SQLModel, table=True):
    """成员身份认定 history: every admission, suspension, withdrawal or death, never overwritten."""

    __tablename__ = "coop_member_status_change"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="coop_member.id", index=True)
    status: str = Field(max_length=16)
    effective_on: date
    reason: str = Field(default="", max_length=200)
    heir_member_id: int | None = Field(default=None, foreign_key="coop_member.id")
    recorded_by_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Charter(SQLModel, table=True):
    """One version of the charter's money rules (章程), in force from ``effective_on`` until the next one."""

    __tablename__ = "coop_charter"
    __table_args__ = (
        sa.UniqueConstraint("cooperative_id", "effective_on"),
        sa.CheckConstraint("member_share_bp + collective_share_bp = 10000", name="shares_whole"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)
    effective_on: date
    share_price_fen: int  # one share (股) costs this much
    land_value_per_mu_fen: int  # 土地经营权 valued per 亩 for the whole term
    labour_value_per_day_fen: int  # 劳动力 valued per day (art. 13: only at a value the charter fixes)
    reserve_rate_bp: int  # 公积金 / 公积公益金 drawn from the year's surplus
    policy: str = Field(max_length=16)  # "farmer" (art. 44) or "shareholding" (by shares)
    patronage_rate_bp: int  # share of the distributable surplus returned by transaction volume
    live_sale_commission_bp: int  # kept by the collective on members' goods sold on the live stream
    machinery_development_bp: int  # 六四开: development share of machinery income; the rest is assistance
    member_share_bp: int = Field(default=10000)  # 成员股
    collective_share_bp: int = Field(default=0)  # 集体股 (only if the members decide)
    redemption_allowed: bool = Field(default=True)  # 退股
    redemption_lock_months: int = Field(default=12)  # shares must be held this long before 退股
    split_machinery_pool: bool = Field(default=False)  # keep the year's machinery income out of dividends, 六四开
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FixedAsset(SQLModel, table=True):
    """三资 register: a fixed asset (machine, building…). Machinery bookings link machines here."""

    __tablename__ = "coop_fixed_asset"

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)
    asset_no: str = Field(default="", max_length=30)  # 资产编号
    name: str = Field(max_length=100)
    category: str = Field(max_length=20)  # "machine", "building", "equipment", …
    cost_fen: int
    funding_source: str = Field(max_length=20)  # "special_fund" (专项基金), "contribution", "own"
    funding_note: str = Field(default="", max_length=200)  # e.g. 乡村振兴衔接资金 72万元
    purchased_on: date
    insurance_policy: str = Field(default="", max_length=60)
    insurance_expires_on: date | None = None
    useful_life_months: int = Field(default=120)
    salvage_fen: int = Field(default=0)
    in_service: bool = Field(default=True)
    contributed_by_member_id: int | None = Field(default=None, foreign_key="coop_member.id")
    appraiser: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Resource(SQLModel, table=True):
    """三资 register: a resource (land management right, grassland…) with its plot and term."""

    __tablename__ = "coop_resource"

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)
    kind: str = Field(default="land", max_length=20)
    plot: str = Field(max_length=100)  # 地块
    area_hundredths: int  # 亩 × 100
    term_from: date | None = None
    term_to: date | None = None
    contributed_by_member_id: int | None = Field(default=None, foreign_key="coop_member.id")
    note: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


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
        sa.CheckConstraint("debit_fen >= 0 AND credit_fen >= 0 AND (debit_fen = 0) <> (credit_fen = 0)",
                           name="one_side"),
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


class ContributionKind(StrEnum):
    LAND = "land"  # 资源：土地经营权
    CASH = "cash"  # 资金
    ASSET = "asset"  # 资产：实物
    LABOUR = "labour"  # 劳动力


CONTRIBUTION_LABELS = {"land": "土地入股", "cash": "现金入股", "asset": "实物资产入股", "labour": "劳动力入股"}


class Contribution(SQLModel, table=True):
    """What a member put in (art. 13), valued by the charter in force and turned into whole shares.
    The part of the value above the shares' value goes to 资本公积."""

    __tablename__ = "coop_contribution"
    __table_args__ = (sa.CheckConstraint("value_fen > 0 AND shares > 0 AND share_value_fen <= value_fen",
                                         name="positive"),)

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)
    member_id: int = Field(foreign_key="coop_member.id", index=True)
    kind: str = Field(max_length=8)
    contributed_on: date
    value_fen: int = Field(sa_type=sa.BigInteger)  # appraised / charter value
    shares: int
    share_value_fen: int = Field(sa_type=sa.BigInteger)  # shares × share price → 股金
    capital_reserve_fen: int = Field(sa_type=sa.BigInteger)  # value − share value → 资本公积
    charter_id: int | None = Field(default=None, foreign_key="coop_charter.id")
    area_hundredths: int | None = None  # land: 亩 × 100
    plot: str = Field(default="", max_length=100)
    term_from: date | None = None
    term_to: date | None = None
    labour_days: int | None = None
    asset_name: str = Field(default="", max_length=100)
    appraiser: str = Field(default="", max_length=100)
    channel: str = Field(default="", max_length=8)  # cash: cash / bank / alipay
    fixed_asset_id: int | None = Field(default=None, foreign_key="coop_fixed_asset.id")
    resource_id: int | None = Field(default=None, foreign_key="coop_resource.id")
    entry_id: int = Field(foreign_key="coop_journal_entry.id")
    note: str = Field(default="", max_length=200)
    created_by_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ShareOp(StrEnum):
    SUBSCRIBE = "subscribe"  # 入股
    TRANSFER_OUT = "transfer_out"  # 转让（转出）
    TRANSFER_IN = "transfer_in"  # 受让（转入）
    REDEEM = "redeem"  # 退股
    CONVERT = "convert"  # 盈余转股金


SHARE_OP_LABELS = {"subscribe": "入股", "transfer_out": "转让转出", "transfer_in": "受让转入", "redeem": "退股",
                   "convert": "盈余转增股金"}


class ShareTransaction(SQLModel, table=True):
    """The share register (股权登记簿): append-only, effective-dated. Holdings are its sums.
    A transfer is one numbered operation with two rows (out of one member, into the other)."""

    __tablename__ = "coop_share_transaction"
    __table_args__ = (
        sa.UniqueConstraint("cooperative_id", "number", "member_id"),
        sa.CheckConstraint("shares <> 0", name="nonzero"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)
    number: int  # 登记号, per cooperative
    op: str = Field(max_length=16)
    member_id: int = Field(foreign_key="coop_member.id", index=True)
    shares: int  # signed: + acquired, − given up
    amount_fen: int = Field(sa_type=sa.BigInteger)  # signed, at the share price of the day
    effective_on: date
    counterpart_member_id: int | None = Field(default=None, foreign_key="coop_member.id")
    contribution_id: int | None = Field(default=None, foreign_key="coop_contribution.id")
    distribution_id: int | None = Field(default=None, foreign_key="coop_distribution.id")  # dividend → capital
    entry_id: int | None = Field(default=None, foreign_key="coop_journal_entry.id")
    reason: str = Field(default="", max_length=200)
    created_by_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AccountItem(StrEnum):
    RESERVE_SHARE = "reserve_share"  # 量化到成员的公积金份额 (art. 42)
    SUBSIDY_SHARE = "subsidy_share"  # 量化到成员的财政补助、捐赠份额
    PATRONAGE_REFUND = "patronage_refund"  # 按交易量返还
    REMAINDER_DIVIDEND = "remainder_dividend"  # 按出资额等分配的剩余盈余 / 按股分红
    PAID = "paid"  # 已支付给成员
    CONVERTED = "converted"  # 转为股金


ACCOUNT_ITEM_LABELS = {"reserve_share": "公积金量化份额", "subsidy_share": "补助量化份额",
                       "patronage_refund": "按交易量返还", "remainder_dividend": "按股（出资）分配",
                       "paid": "已支付", "converted": "转增股金"}


class MemberAccountItem(SQLModel, table=True):
    """Member account (成员账户, art. 43) lines other than capital and volume, which are derived from
    the share register and the volume table. Append-only; a reversal writes the negative line."""

    __tablename__ = "coop_member_account_item"
    __table_args__ = (sa.Index("ix_coop_member_account_item_member_year", "member_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)
    member_id: int = Field(foreign_key="coop_member.id")
    year: int
    item: str = Field(max_length=20)
    amount_fen: int = Field(sa_type=sa.BigInteger)
    distribution_id: int | None = Field(default=None, foreign_key="coop_distribution.id", index=True)
    note: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DistributionState(StrEnum):
    DRAFT = "draft"  # recomputed freely
    APPROVED = "approved"  # by the member assembly
    POSTED = "posted"  # journal written, member accounts credited
    PAID = "paid"  # every member paid


DISTRIBUTION_STATE_LABELS = {"draft": "草案", "approved": "已经成员大会通过", "posted": "已入账",
                             "paid": "已全部发放"}


class Distribution(SQLModel, table=True):
    """One year's surplus distribution (盈余分配方案) and the figures of each pipeline step."""

    __tablename__ = "coop_distribution"
    __table_args__ = (sa.Index("ix_coop_distribution_coop_year", "cooperative_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id")
    year: int
    state: str = Field(default=DistributionState.DRAFT, max_length=12)
    policy: str = Field(max_length=16)
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
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    assembly_on: date | None = None
    assembly_attendance: int | None = None
    assembly_members: int | None = None
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstain: int | None = None
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
