"""Request and response bodies (msgspec). Money is integer fen, with a formatted copy for people."""

from __future__ import annotations

from typing import Annotated

import msgspec

from caoyuan.bounds import FEN_MAX, Id

# Shop amounts live in INTEGER columns (PostgreSQL int4): a unit price, times at most 99 units, plus
# shipping must stay below 2^31 fen, so the bounds are far tighter than caoyuan.bounds.Fen.
PRICE_MAX_FEN = 10_000_000  # ¥100,000 for one unit: far above a whole cow
SHIPPING_MAX_FEN = 1_000_000  # ¥10,000
STOCK_MAX = 10_000_000  # units in one move of stock
WEIGHT_MAX_G = 1_000_000  # one tonne
# Text people type reaches PostgreSQL, which refuses NUL; other control characters have no place either
# (tab and line breaks are allowed where a description may have them).
NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"


def Text(max_length: int, *, min_length: int = 0, multiline: bool = False, description: str = "") -> object:  # noqa: N802
    """A text field bounded to its column's length, without control characters."""
    return Annotated[
        str,
        msgspec.Meta(
            min_length=min_length,
            max_length=max_length,
            pattern=NO_CONTROL if multiline else ONE_LINE,
            description=description,
        ),
    ]


Phone = Annotated[str, msgspec.Meta(min_length=11, max_length=20, description="中国大陆手机号")]
Quantity = Annotated[int, msgspec.Meta(ge=-STOCK_MAX, le=STOCK_MAX, description="件数")]
PriceFen = Annotated[int, msgspec.Meta(ge=-PRICE_MAX_FEN, le=PRICE_MAX_FEN, description="分")]
ShippingFen = Annotated[int, msgspec.Meta(ge=-SHIPPING_MAX_FEN, le=SHIPPING_MAX_FEN, description="运费（分）")]
Stock = Annotated[int, msgspec.Meta(ge=-STOCK_MAX, le=STOCK_MAX, description="库存件数")]
WeightG = Annotated[int, msgspec.Meta(ge=-WEIGHT_MAX_G, le=WEIGHT_MAX_G, description="克")]
Token = Annotated[str, msgspec.Meta(max_length=64, pattern=r"^[A-Za-z0-9_-]*$")]


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

    pool_id: Id
    quantity: Quantity
    phone: Phone
    name: Text(30)  # type: ignore[valid-type]
    province: Text(20)  # type: ignore[valid-type]
    city: Text(30)  # type: ignore[valid-type]
    county: Text(30)  # type: ignore[valid-type]
    detail: Text(120)  # type: ignore[valid-type]
    expected_price_fen: PriceFen | None = None
    # the total the confirm step showed (goods + shipping): any other total is refused, never charged
    expected_total_fen: Annotated[int, msgspec.Meta(ge=0, le=FEN_MAX)] | None = None
    waitlist_token: Token | None = None


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
    courier: Text(30)  # type: ignore[valid-type]
    tracking_no: Text(40)  # type: ignore[valid-type]
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
    name: Text(30) = ""  # type: ignore[valid-type]


class WaitlistOut(msgspec.Struct):
    id: int
    pool_id: int
    position: int
    token: str
    status: str


class RefundIn(msgspec.Struct, forbid_unknown_fields=True):
    phone: Phone
    reason: Text(200, multiline=True)  # type: ignore[valid-type]


class RefundOut(msgspec.Struct):
    id: int
    order_no: str
    amount_fen: int
    status: str  # requested / refunding / refunded / rejected
    reason: str
    kind: str = "after_sale"  # after_sale / late_payment
    attempts: int = 0  # calls made to Alipay
    last_error: str = ""
    next_attempt_at: str | None = None


class ShipIn(msgspec.Struct, forbid_unknown_fields=True):
    courier: Text(30)  # type: ignore[valid-type]
    tracking_no: Text(40)  # type: ignore[valid-type]


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
    name: Text(100, min_length=2)  # type: ignore[valid-type]
    cooperative_id: Id | None = None
    supplier_member_id: Id | None = None
    description: Text(1000, multiline=True) = ""  # type: ignore[valid-type]
    shipping_kind: Annotated[str, msgspec.Meta(pattern="^(free|fixed|by_region)$")] = "free"
    shipping_fen: ShippingFen = 0
    region_fees: Annotated[dict[Text(20), ShippingFen], msgspec.Meta(max_length=40)] = {}  # type: ignore[valid-type]


class SkuIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Text(100, min_length=1)  # type: ignore[valid-type]
    price_fen: PriceFen
    weight_g: WeightG
    stock: Stock = 0


class SkuPatch(msgspec.Struct, forbid_unknown_fields=True):
    price_fen: PriceFen | None = None
    add_stock: Stock | None = None
    active: bool | None = None
