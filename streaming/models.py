"""草原村播: live rooms and who hosts them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from caoyuan.db import UTCDateTime, utcnow


class LiveRoom(SQLModel, table=True):
    __tablename__ = "live_room"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    brand: str = Field(default="草原村播", max_length=50)
    banner: str = Field(max_length=50)  # 旗
    place: str = Field(default="", max_length=100)  # 直播中心 / 嘎查
    description: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LiveRoomHost(SQLModel, table=True):
    __tablename__ = "live_room_host"

    room_id: int = Field(foreign_key="live_room.id", primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    title: str = Field(default="主播", max_length=30)  # 主播 / 第一书记 …
