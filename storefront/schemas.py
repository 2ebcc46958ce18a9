"""Request and response bodies (msgspec). Money is integer fen, with a formatted copy for people."""

from __future__ import annotations

from typing import Annotated

import msgspec

Phone = Annotated[str, msgspec.Meta(min_length=11, max_length=20, description="中国大陆手机号")]
Quantity = Annotated[int, msgspec.Meta(description="件数")]


class SkuPublic(msgspec.Struct):
    id: int
    name: str
    price_fen: int
    price: str
    weight_g: int
    in_stock: bool


class ProductPublic(msgspec.Struct):
    id: int
    name: str
    description: str
    skus: list[SkuPublic]
    images: list[str] = []


class OrderIn(msgspec.Struct, forbid_unknown_fields=True):
    """Guest checkout. Send an ``Idempotency-Key`` header (a fresh random value per order)."""

    pool_id: int
    quantity: Quantity
    phone: Phone
    name: Annotated[str, msgspec.Meta(max_length=30)]
    province: Annotated[str, msgspec.Meta(max_length=20)]
    city: Annotated[str, msgspec.Meta(max_length=30)]
    county: Annotated[str, msgspec.Meta(max_length=30)]
    detail: Annotated[str, msgspec.Meta(max_length=120)]
    expected_price_fen: int | None = None
    waitlist_token: str | None = None


class OrderOut(msgspec.Struct):
    order_no: str
    status: str
    status_label: str
    sku_id: int
    quantity: int
    unit_price_fen: int
    goods_fen: int
    shipping_fen: int
    total_fen: int
    total: str
    expires_at: str
    live_session_id: int | None
    ship_by: str | None
    courier: str
    tracking_no: str
    status_url: str
    pay_url: str


class PayIn(msgspec.Struct, forbid_unknown_fields=True):
    phone: Phone
    method: Annotated[str, msgspec.Meta(pattern="^(qr|wap)$", description="qr: 电脑扫码; wap: 手机跳转")] = "wap"


class PayOut(msgspec.Struct):
    order_no: str
    method: str
    redirect_url: str | None = None
    qr_code: str | None = None
    qr_svg: str | None = None


class WaitlistIn(msgspec.Struct, forbid_unknown_fields=True):
    phone: Phone
    quantity: Quantity
    name: Annotated[str, msgspec.Meta(max_length=30)] = ""


class WaitlistOut(msgspec.Struct):
    id: int
    pool_id: int
    position: int
    token: str
    status: str


class RefundIn(msgspec.Struct, forbid_unknown_fields=True):
    phone: Phone
    reason: Annotated[str, msgspec.Meta(max_length=200)]


class RefundOut(msgspec.Struct):
    id: int
    order_no: str
    amount_fen: int
    status: str
    reason: str


class ShipIn(msgspec.Struct, forbid_unknown_fields=True):
    courier: str
    tracking_no: str


class TrackingImportIn(msgspec.Struct, forbid_unknown_fields=True):
    csv: Annotated[str, msgspec.Meta(max_length=500_000, description="order_no,courier,tracking_no")]


class TrackingImportOut(msgspec.Struct):
    shipped: list[str]
    problems: list[dict]


class PackingLineOut(msgspec.Struct):
    sku_id: int
    product: str
    sku: str
    quantity: int
    orders: int


class PackingListOut(msgspec.Struct):
    ship_by: str
    lines: list[PackingLineOut]
    orders: list[OrderOut]


class ProductIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=2, max_length=100)]
    cooperative_id: int | None = None
    supplier_member_id: int | None = None
    description: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    shipping_kind: Annotated[str, msgspec.Meta(pattern="^(free|fixed|by_region)$")] = "free"
    shipping_fen: int = 0
    region_fees: dict[str, int] = {}


class SkuIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    price_fen: int
    weight_g: int
    stock: int = 0


class SkuPatch(msgspec.Struct, forbid_unknown_fields=True):
    price_fen: int | None = None
    add_stock: int | None = None
    active: bool | None = None
