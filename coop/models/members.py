"""Member households, their cooperative and the history of their standing (成员身份认定)."""

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
    founded_on: date | None = None  # 成立（登记）日期, as on the business licence
    # 统一社会信用代码 (coop.rules.credit_code); None only for cooperatives made before founding asked for it
    credit_code: str | None = Field(default=None, max_length=18, unique=True)
    legal_representative: str = Field(default="", max_length=50, sa_column_kwargs={"server_default": ""})
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
