"""The 三资 register: fixed assets (the machines) and resources (land)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from caoyuan.db import UTCDateTime, utcnow

FUNDING_LABELS = {"special_fund": "专项基金（财政扶持资金）", "contribution": "社员实物入股", "own": "自有资金"}


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
