"""Contributions, the append-only share register, and member account items (art. 43)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from caoyuan.db import UTCDateTime, utcnow


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
    __table_args__ = (
        sa.CheckConstraint("value_fen > 0 AND shares > 0 AND share_value_fen <= value_fen", name="positive"),
    )

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


SHARE_OP_LABELS = {
    "subscribe": "入股",
    "transfer_out": "转让转出",
    "transfer_in": "受让转入",
    "redeem": "退股",
    "convert": "盈余转增股金",
}


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


ACCOUNT_ITEM_LABELS = {
    "reserve_share": "公积金量化份额",
    "subsidy_share": "补助量化份额",
    "patronage_refund": "按交易量返还",
    "remainder_dividend": "按股（出资）分配",
    "paid": "已支付",
    "converted": "转增股金",
}


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
