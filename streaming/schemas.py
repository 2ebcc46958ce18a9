"""Request and response bodies for live sessions (msgspec)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from caoyuan.bounds import COUNT_MAX, Id
from storefront.schemas import PriceFen, Quantity, Text
from streaming.models import ContentLine

Small = Annotated[int, msgspec.Meta(ge=-COUNT_MAX, le=COUNT_MAX)]  # the rules give the real range and message


class SessionIn(msgspec.Struct, forbid_unknown_fields=True):
    room_id: Id
    title: Text(100)  # type: ignore[valid-type]
    content_line: Text(12, description="goods / culture / scenery / stories / memory")  # type: ignore[valid-type]
    scheduled_start: datetime  # bounded to 2000–2100 by sessions.schedule
    cutoff_local: Annotated[str, msgspec.Meta(pattern=r"^\d{2}:\d{2}$", description="截单时间（北京时间）")] = "22:00"
    co_host_ids: Annotated[list[Id], msgspec.Meta(max_length=20)] = []


class ShelfItemIn(msgspec.Struct, forbid_unknown_fields=True):
    sku_id: Id
    price_fen: PriceFen
    quantity: Quantity
    per_buyer_cap: Small | None = None


class PinIn(msgspec.Struct, forbid_unknown_fields=True):
    item_id: Id | None


class FlashSaleIn(msgspec.Struct, forbid_unknown_fields=True):
    item_id: Id
    deal_price_fen: PriceFen
    total_cap: Quantity
    per_buyer_cap: Small
    countdown_s: Small = 30
    window_min: Small = 5


class ShelfItemOut(msgspec.Struct):
    item_id: int
    pool_id: int
    sku_id: int
    product: str
    sku: str
    price_fen: int
    price: str
    remaining: int
    per_buyer_cap: int | None
    pinned: bool


class FlashSaleOut(msgspec.Struct):
    sale_id: int
    item_id: int
    pool_id: int
    deal_price_fen: int
    total_cap: int
    per_buyer_cap: int
    remaining: int
    opens_at: str
    closes_at: str
    state: str  # countdown / open / closed


class SessionOut(msgspec.Struct):
    id: int
    room_id: int
    room: str
    title: str
    content_line: str
    state: str
    scheduled_start: str
    started_at: str | None
    ended_at: str | None
    pinned_item_id: int | None
    shelf: list[ShelfItemOut]
    flash_sales: list[FlashSaleOut]
    checklist: list[str]


class StatsOut(msgspec.Struct):
    session_id: int
    gmv_fen: int
    gmv: str
    orders: int
    paid_orders: int
    paid_rate_bp: int
    buyers: int
    by_product: list[dict]
    by_hour: list[dict]


class RoomIn(msgspec.Struct, forbid_unknown_fields=True):
    """A live room as the admin sets it up: name, banner (旗) and what it broadcasts."""

    name: Text(100, min_length=2)  # type: ignore[valid-type]
    banner: Text(50, min_length=2, description="旗，如：鄂托克旗")  # type: ignore[valid-type]
    place: Text(100, description="直播中心 / 嘎查") = ""  # type: ignore[valid-type]
    description: Text(500, multiline=True) = ""  # type: ignore[valid-type]
    content_lines: Annotated[list[ContentLine], msgspec.Meta(max_length=len(ContentLine))] = []
    cooperative_id: Id | None = None  # whose room: one of the admin's cooperatives (required with grants)


class RoomHostIn(msgspec.Struct, forbid_unknown_fields=True):
    """Name a host login to a room; the first is its 主播, later ones co-host under their own title."""

    user_id: Id
    title: Text(30, min_length=1, description="主播 / 联合主播 / 第一书记 …") = "主播"  # type: ignore[valid-type]


class RoomHostOut(msgspec.Struct):
    user_id: int
    name: str
    title: str


class RoomOut(msgspec.Struct):
    id: int
    name: str
    banner: str
    place: str
    description: str
    content_lines: list[str]
    hosts: list[RoomHostOut]
    cooperative_id: int | None = None
