"""Storefront tables (prefix ``shop_``): catalogue, stock pools, orders, waitlist, fulfilment."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from caoyuan.db import UTCDateTime, utcnow


class ShippingKind(StrEnum):
    FREE = "free"
    FIXED = "fixed"
    BY_REGION = "by_region"


class OrderStatus(StrEnum):
    PENDING = "pending_payment"
    PAID = "paid"
    PACKED = "packed"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REFUND_REQUESTED = "refund_requested"
    REFUNDED = "refunded"


STATUS_LABELS = {
    "pending_payment": "待付款",
    "paid": "已付款",
    "packed": "已打包",
    "shipped": "已发货",
    "completed": "已完成",
    "expired": "已过期",
    "cancelled": "已取消",
    "refund_requested": "退款申请中",
    "refunded": "已退款",
}


class Product(SQLModel, table=True):
    __tablename__ = "shop_product"

    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int | None = Field(default=None, foreign_key="coop_cooperative.id", index=True)
    supplier_member_id: int | None = Field(default=None, foreign_key="coop_member.id", index=True)
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=1000)
    shipping_kind: str = Field(default=ShippingKind.FREE, max_length=12)
    shipping_fen: int = Field(default=0)  # fixed fee, or the default fee for regions not listed
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ShippingRegionFee(SQLModel, table=True):
    __tablename__ = "shop_shipping_region_fee"

    product_id: int = Field(foreign_key="shop_product.id", primary_key=True)
    province: str = Field(primary_key=True, max_length=20)
    fee_fen: int


class ProductImage(SQLModel, table=True):
    __tablename__ = "shop_product_image"

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="shop_product.id", index=True)
    filename: str = Field(max_length=80)  # under the media directory
    width: int
    height: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Sku(SQLModel, table=True):
    __tablename__ = "shop_sku"

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="shop_product.id", index=True)
    name: str = Field(max_length=100)  # 后腿 2.5kg
    price_fen: int
    weight_g: int
    stock: int = Field(default=0)  # unallocated catalogue stock
    active: bool = Field(default=True)
    __table_args__ = (sa.CheckConstraint("stock >= 0", name="stock_not_negative"),)


class StockPool(SQLModel, table=True):
    """Stock set aside at one price: a live-session shelf item or a flash sale draws from its own pool.

    ``remaining`` only ever changes through guarded statements (never below zero, never read-then-write).
    """

    __tablename__ = "shop_stock_pool"
    __table_args__ = (
        sa.CheckConstraint("remaining >= 0", name="remaining_not_negative"),
        sa.UniqueConstraint("id", "sku_id"),  # what an order's (pool_id, sku_id) refers to
    )

    id: int | None = Field(default=None, primary_key=True)
    sku_id: int = Field(foreign_key="shop_sku.id", index=True)
    label: str = Field(max_length=40)  # "live-shelf" / "flash-sale"
    price_fen: int
    remaining: int
    allocated: int  # how much was put into the pool in total
    per_buyer_cap: int | None = None
    opens_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closes_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    open: bool = Field(default=True)  # closed pools take no orders (ended session, closed sale)
    feed_stream: str = Field(default="", max_length=64)  # where order events go (the live session's feed)
    ship_cutoff_local: time = Field(default=time(22, 0))  # 今天拍明天发: paid before this ships tomorrow
    return_to_pool_id: int | None = None  # a flash sale's leftovers go back to its shelf item's pool


class BuyerQuota(SQLModel, table=True):
    """How much one buyer (by phone) has taken from a capped pool."""

    __tablename__ = "shop_buyer_quota"

    pool_id: int = Field(foreign_key="shop_stock_pool.id", primary_key=True)
    phone: str = Field(primary_key=True, max_length=11)
    used: int = Field(default=0)


class Order(SQLModel, table=True):
    __tablename__ = "shop_order"
    # PostgreSQL checks each foreign key row by row, inside the statement that holds a flash sale's pool row:
    # in a batch of 200 orders each key cost ~2 ms, and five of them ~40 % of the statement (docs/
    # performance.md, session 9). One composite key now says both that the pool exists and that the order's
    # SKU is the pool's (which the two single keys never checked); the pool's own key vouches for the SKU.
    # cooperative_id and supplier_member_id are the product's, copied by the intake from the row it has just
    # read; cooperatives and members are never deleted (their ledger rows refer to them), so the copies carry
    # no check of their own. A pool-less order (none is made today) would leave its SKU unchecked.
    __table_args__ = (sa.ForeignKeyConstraint(["pool_id", "sku_id"], ["shop_stock_pool.id", "shop_stock_pool.sku_id"]),)

    id: int | None = Field(default=None, primary_key=True)
    public_no: str = Field(max_length=24, unique=True)  # shown to the buyer; also the Alipay out_trade_no
    idempotency_key: str = Field(max_length=80, unique=True)
    request_digest: str = Field(max_length=64)
    pool_id: int | None = Field(default=None, index=True)  # with sku_id: the composite key above
    sku_id: int = Field(index=True)
    cooperative_id: int | None = None  # the product's at the time of sale (see above)
    supplier_member_id: int | None = None
    live_session_id: int | None = Field(default=None, index=True)  # streaming's session (no FK: storefront is upstream)
    buyer_user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    buyer_phone: str = Field(max_length=11, index=True)
    buyer_name: str = Field(max_length=30)
    province: str = Field(max_length=20)
    city: str = Field(max_length=30)
    county: str = Field(max_length=30)
    address_detail: str = Field(max_length=120)
    quantity: int
    unit_price_fen: int
    goods_fen: int
    shipping_fen: int
    total_fen: int
    status: str = Field(default=OrderStatus.PENDING, max_length=20, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    trade_no: str = Field(default="", max_length=64)  # Alipay's trade number once paid
    ship_by: date | None = None
    packed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    courier: str = Field(default="", max_length=30)
    tracking_no: str = Field(default="", max_length=40)
    shipped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # expired / cancelled
    close_reason: str = Field(default="", max_length=100)
    trade_closed: bool = Field(default=False)  # the Alipay trade was closed after expiry
    refund_reason: str = Field(default="", max_length=200)
    refunded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    stock_returned: bool = Field(default=False)


class WaitlistEntry(SQLModel, table=True):
    """A buyer waiting for a sold-out pool. Released stock is held for the oldest waiting buyer."""

    __tablename__ = "shop_waitlist"

    id: int | None = Field(default=None, primary_key=True)
    pool_id: int = Field(foreign_key="shop_stock_pool.id", index=True)
    phone: str = Field(max_length=11)
    name: str = Field(default="", max_length=30)
    quantity: int
    status: str = Field(default="waiting", max_length=12)  # waiting / offered / claimed / lapsed / left
    token: str = Field(max_length=32, unique=True)
    held: int = Field(default=0)  # units held for this buyer while offered
    offer_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PaymentAttempt(SQLModel, table=True):
    """Each notify or query result we acted on, kept for reconciliation and to make duplicates harmless."""

    __tablename__ = "shop_payment_notice"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="shop_order.id", index=True)
    source: str = Field(max_length=12)  # notify / query
    trade_no: str = Field(max_length=64)
    trade_status: str = Field(max_length=24)
    total_fen: int
    outcome: str = Field(max_length=24)  # paid / duplicate / refunded_late / ignored
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RefundKind(StrEnum):
    AFTER_SALE = "after_sale"  # the buyer asked, the cooperative approved
    LATE_PAYMENT = "late_payment"  # paid after the order expired and its stock was gone: given back unasked


class RefundStatus(StrEnum):
    REQUESTED = "requested"  # waiting for the cooperative's decision (after-sale only)
    REFUNDING = "refunding"  # decided: Alipay is asked, and asked again until it confirms
    REFUNDED = "refunded"  # Alipay confirmed; the books are corrected
    REJECTED = "rejected"


REFUND_STATUS_LABELS = {"requested": "待处理", "refunding": "退款中", "refunded": "已退款", "rejected": "已拒绝"}


class Refund(SQLModel, table=True):
    """Money going back to a buyer, as a state the reconciler drives until Alipay confirms it.

    ``out_request_no`` is fixed when the refund is created, so every retry is the same request at Alipay
    (it refunds once per request number; a repeat answers with the earlier result).
    """

    __tablename__ = "shop_refund"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="shop_order.id", index=True)
    kind: str = Field(default=RefundKind.AFTER_SALE, max_length=16)
    out_request_no: str = Field(max_length=64, unique=True)
    amount_fen: int
    reason: str = Field(max_length=200)
    status: str = Field(default=RefundStatus.REQUESTED, max_length=12, index=True)
    order_status_before: str = Field(default="", max_length=20)
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_by: int | None = Field(default=None, foreign_key="user_account.id")
    refunded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failure: str = Field(default="", max_length=200)  # why the cooperative rejected it
    attempts: int = Field(default=0)  # calls made to Alipay
    last_error: str = Field(default="", max_length=200)  # the last failed call, for the fulfilment desk
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # when the reconciler tries again
