"""The charter (章程), versioned by effective date: the rules every calculation reads."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from caoyuan.db import UTCDateTime, utcnow


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
    # how capital counts in the year's distribution: "record_date" (股权登记日) or "days_held" (pro-rated)
    capital_basis: str = Field(default="record_date", max_length=12, sa_column_kwargs={"server_default": "record_date"})
    # 0: the 成员大会 approves the distribution; n > 0: a 成员代表大会 of n representatives (coop.rules.assembly)
    representatives: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # the reserve on the whole surplus before the 六四开 pool leaves it (default: the pool leaves first)
    reserve_before_pool: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
