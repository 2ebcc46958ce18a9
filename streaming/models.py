"""草原村播 tables (prefix ``live_``): rooms, sessions, the shelf, pins, the run of show, flash sales."""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from caoyuan.db import UTCDateTime, utcnow


class ContentLine(StrEnum):
    GOODS = "goods"  # 鄂托克好物
    CULTURE = "culture"  # 文化
    SCENERY = "scenery"  # 风光
    STORIES = "stories"  # 故事
    MEMORY = "memory"  # 记忆


CONTENT_LINE_LABELS = {
    ContentLine.GOODS: "好物",
    ContentLine.CULTURE: "文化",
    ContentLine.SCENERY: "风光",
    ContentLine.STORIES: "故事",
    ContentLine.MEMORY: "记忆",
}


class SessionState(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


STATE_LABELS = {"scheduled": "预告", "live": "直播中", "ended": "已结束"}
RUN_OF_SHOW = ("introduce_yourself", "introduce_product", "shipping_terms")
RUN_OF_SHOW_LABELS = {
    "introduce_yourself": "自我介绍",
    "introduce_product": "介绍产品",
    "shipping_terms": "讲清发货条款",
}


class LiveRoom(SQLModel, table=True):
    __tablename__ = "live_room"

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int | None = Field(default=None, foreign_key="coop_cooperative.id")
    name: str = Field(max_length=100)
    brand: str = Field(default="草原村播", max_length=50)
    banner: str = Field(max_length=50)  # 旗
    place: str = Field(default="", max_length=100)  # 直播中心 / 嘎查
    description: str = Field(default="", max_length=500)
    content_lines: str = Field(default="", max_length=60)  # ContentLine values, comma-separated
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LiveRoomHost(SQLModel, table=True):
    __tablename__ = "live_room_host"

    room_id: int = Field(foreign_key="live_room.id", primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    title: str = Field(default="主播", max_length=30)  # 主播 / 第一书记 …


class LiveSession(SQLModel, table=True):
    __tablename__ = "live_session"

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="live_room.id", index=True)
    title: str = Field(max_length=100)
    content_line: str = Field(max_length=12)
    scheduled_start: datetime = Field(sa_type=UTCDateTime)
    state: str = Field(default=SessionState.SCHEDULED, max_length=12)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cutoff_local: time = Field(default=time(22, 0))  # paid before this (Asia/Shanghai) ships the next day
    pinned_item_id: int | None = None
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LiveSessionHost(SQLModel, table=True):
    __tablename__ = "live_session_host"

    session_id: int = Field(foreign_key="live_session.id", primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    title: str = Field(default="主播", max_length=30)


class ShelfItem(SQLModel, table=True):
    """A SKU on a session's shelf, at the session price, with stock allocated from the catalogue."""

    __tablename__ = "live_shelf_item"
    __table_args__ = (sa.UniqueConstraint("session_id", "sku_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="live_session.id", index=True)
    sku_id: int = Field(foreign_key="shop_sku.id")
    pool_id: int = Field(foreign_key="shop_stock_pool.id")
    position: int = Field(default=0)


class PinChange(SQLModel, table=True):
    __tablename__ = "live_pin_change"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="live_session.id", index=True)
    shelf_item_id: int | None = Field(default=None, foreign_key="live_shelf_item.id")  # None = unpinned
    changed_by: int = Field(foreign_key="user_account.id")
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ChecklistTick(SQLModel, table=True):
    __tablename__ = "live_checklist_tick"

    session_id: int = Field(foreign_key="live_session.id", primary_key=True)
    step: str = Field(primary_key=True, max_length=24)
    ticked_by: int = Field(foreign_key="user_account.id")
    ticked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FlashSale(SQLModel, table=True):
    """秒杀 on a shelf item: its own stock pool at the deal price, capped in total and per buyer."""

    __tablename__ = "live_flash_sale"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="live_session.id", index=True)
    shelf_item_id: int = Field(foreign_key="live_shelf_item.id")
    pool_id: int = Field(foreign_key="shop_stock_pool.id")
    deal_price_fen: int
    total_cap: int
    per_buyer_cap: int
    opens_at: datetime = Field(sa_type=UTCDateTime)
    closes_at: datetime = Field(sa_type=UTCDateTime)
    created_by: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    announced_open: bool = Field(default=False)
    closed: bool = Field(default=False)


class ViewerPresence(SQLModel, table=True):
    """How many viewer sockets one app process holds open on a session, refreshed every few seconds.

    Each process writes only its own rows; the console sums the rows seen recently, so viewers connected to
    other processes (or nodes) count too, and a process that died stops counting once its rows go stale.
    No foreign key: rows are a heartbeat, not a record, and are deleted freely."""

    __tablename__ = "live_viewer_presence"

    process_id: str = Field(primary_key=True, max_length=64)
    session_id: int = Field(primary_key=True)
    viewers: int = Field(default=0)
    seen_at: datetime = Field(sa_type=UTCDateTime, index=True)
