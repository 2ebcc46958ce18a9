"""Order intake: validate, honour the Idempotency-Key, reserve stock and the buyer's quota atomically.

On PostgreSQL the quota, the stock and the order row are one statement (a data-modifying CTE):
the hot row is locked once, for the shortest time. SQLite serialises writers, so there the same
guarded statements run one after another inside the transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import utcnow
from caoyuan.errors import BadInput, Conflict, NotFound
from caoyuan.identity import IdentityError, normalize_phone
from storefront import rules
from storefront.models import Order, Product, ShippingRegionFee, Sku, StockPool, WaitlistEntry
from storefront.services.events import order_event, stock_event

DEFAULT_EXPIRY = timedelta(minutes=15)


@dataclass(frozen=True)
class OrderRequest:
    pool_id: int
    quantity: int
    phone: str
    name: str
    province: str
    city: str
    county: str
    detail: str
    idempotency_key: str
    expected_price_fen: int | None = None  # the price the buyer saw; a changed price is refused
    live_session_id: int | None = None
    buyer_user_id: int | None = None
    waitlist_token: str | None = None  # claiming stock held for a waiting buyer


@dataclass(frozen=True)
class Placed:
    order: Order
    created: bool  # False when the Idempotency-Key had already produced this order
    remaining: int | None


class SoldOut(Conflict):
    code = "sold_out"


def new_public_no(now: datetime) -> str:
    return f"CY{now:%y%m%d}{secrets.token_hex(5).upper()}"


async def place_order(db: AsyncSession, req: OrderRequest, expiry: timedelta = DEFAULT_EXPIRY,
                      precheck: Callable[[], Awaitable[None]] | None = None) -> Placed:
    """Take an order. ``precheck`` (e.g. "is the show still live?") runs after a replay is ruled out."""
    now = utcnow()
    clean = _validate(req)
    digest = rules.request_digest(req.pool_id, req.quantity, clean["phone"], clean["name"], clean["address"],
                                  req.live_session_id, req.waitlist_token)
    if (existing := await _by_key(db, req.idempotency_key)) is not None:
        return _replay(existing, digest)
    if precheck is not None:
        await precheck()
    pool, sku, product = await _context(db, req.pool_id)
    _check_window(pool, now, req.expected_price_fen)
    rules_quantity(req.quantity, pool.per_buyer_cap)
    region_fees = await _region_fees(db, product)
    shipping = rules.shipping_fee(product.shipping_kind, product.shipping_fen, region_fees,
                                  clean["address"].province)
    order = Order(
        public_no=new_public_no(now), idempotency_key=req.idempotency_key, request_digest=digest,
        pool_id=pool.id, sku_id=sku.id, cooperative_id=product.cooperative_id,
        supplier_member_id=product.supplier_member_id, live_session_id=req.live_session_id,
        buyer_user_id=req.buyer_user_id, buyer_phone=clean["phone"], buyer_name=clean["name"],
        province=clean["address"].province, city=clean["address"].city, county=clean["address"].county,
        address_detail=clean["address"].detail, quantity=req.quantity, unit_price_fen=pool.price_fen,
        goods_fen=pool.price_fen * req.quantity, shipping_fen=shipping,
        total_fen=pool.price_fen * req.quantity + shipping, created_at=now, expires_at=now + expiry,
    )
    try:
        async with db.begin_nested():
            remaining = await _reserve(db, pool, order, req.waitlist_token)
            db.add(order)
            await db.flush()
    except IntegrityError:
        # Two requests with the same Idempotency-Key raced; the other one won.
        if (existing := await _by_key(db, req.idempotency_key)) is not None:
            return _replay(existing, digest)
        raise
    await order_event(db, pool.feed_stream, "order_placed", order, f"{product.name} {sku.name}")
    if remaining is not None:
        await stock_event(db, pool.feed_stream, pool.id, remaining)
    return Placed(order, True, remaining)


def rules_quantity(quantity: int, cap: int | None) -> None:
    try:
        rules.validate_quantity(quantity, cap)
    except rules.RuleError as exc:
        raise BadInput(str(exc), field=exc.field) from None


def _validate(req: OrderRequest) -> dict:
    if not 8 <= len(req.idempotency_key) <= 80:
        raise BadInput("Idempotency-Key 请求头应为 8–80 个字符（每次下单生成一个新的）", field="Idempotency-Key")
    try:
        phone = normalize_phone(req.phone)
    except IdentityError as exc:
        raise BadInput(str(exc), field="phone") from None
    try:
        name = rules.validate_name(req.name)
        address = rules.validate_address(req.province, req.city, req.county, req.detail)
    except rules.RuleError as exc:
        raise BadInput(str(exc), field=exc.field) from None
    return {"phone": phone, "name": name, "address": address}


async def _by_key(db: AsyncSession, key: str) -> Order | None:
    return await db.scalar(sa.select(Order).where(Order.idempotency_key == key))


def _replay(existing: Order, digest: str) -> Placed:
    if existing.request_digest != digest:
        raise Conflict("这个 Idempotency-Key 已用于另一笔不同的订单", code="idempotency_key_reused")
    return Placed(existing, False, None)


async def _context(db: AsyncSession, pool_id: int) -> tuple[StockPool, Sku, Product]:
    row = (await db.execute(
        sa.select(StockPool, Sku, Product).join(Sku, Sku.id == StockPool.sku_id)
        .join(Product, Product.id == Sku.product_id).where(StockPool.id == pool_id))).first()
    if row is None:
        raise NotFound("货架上没有这件商品", code="not_on_shelf")
    return row[0], row[1], row[2]


def _check_window(pool: StockPool, now: datetime, expected_price: int | None) -> None:
    if not pool.open:
        raise Conflict("直播已结束或商品已下架，不能再下单", code="not_on_sale")
    if pool.opens_at and now < pool.opens_at:
        seconds = int((pool.opens_at - now).total_seconds()) + 1
        raise Conflict(f"秒杀还没开始，{seconds} 秒后开抢", code="not_open_yet", extra={"opens_in_s": seconds})
    if pool.closes_at and now >= pool.closes_at:
        raise Conflict("秒杀已结束", code="sale_closed")
    if expected_price is not None and expected_price != pool.price_fen:
        raise Conflict("价格已变化，请刷新后再下单", code="price_changed", extra={"price_fen": pool.price_fen})


async def _region_fees(db: AsyncSession, product: Product) -> dict[str, int]:
    if product.shipping_kind != "by_region":
        return {}
    rows = await db.execute(sa.select(ShippingRegionFee.province, ShippingRegionFee.fee_fen)
                            .where(ShippingRegionFee.product_id == product.id))
    return dict(rows.all())


async def _reserve(db: AsyncSession, pool: StockPool, order: Order, waitlist_token: str | None) -> int | None:
    """Take the buyer's quota and the stock, or raise with nothing written (the savepoint rolls back)."""
    if waitlist_token:
        await _claim_hold(db, pool, order, waitlist_token)
        return None
    if pool.per_buyer_cap is not None:
        await _take_quota(db, pool, order.buyer_phone, order.quantity)
    row = (await db.execute(
        sa.update(StockPool).where(StockPool.id == pool.id, StockPool.remaining >= order.quantity,
                                   StockPool.open.is_(True))
        .values(remaining=StockPool.remaining - order.quantity).returning(StockPool.remaining))).first()
    if row is None:
        raise SoldOut("已售罄", extra={"waitlist": {"pool_id": pool.id, "href": f"/api/shop/pools/{pool.id}/waitlist"},
                                    "message_hint": "可以登记候补，有人退单时按登记先后通知"})
    return row[0]


async def _take_quota(db: AsyncSession, pool: StockPool, phone: str, quantity: int) -> None:
    cap = pool.per_buyer_cap
    # Insert-or-add, but only while the buyer stays within the cap: one guarded statement (both databases).
    statement = sa.text(
        "INSERT INTO shop_buyer_quota (pool_id, phone, used) "
        "SELECT :pool, :phone, CAST(:q AS INTEGER) WHERE CAST(:q AS INTEGER) <= CAST(:cap AS INTEGER) "
        "ON CONFLICT (pool_id, phone) DO UPDATE SET used = shop_buyer_quota.used + CAST(:q AS INTEGER) "
        "WHERE shop_buyer_quota.used + CAST(:q AS INTEGER) <= CAST(:cap AS INTEGER) RETURNING used"
    )
    row = (await db.execute(statement, {"pool": pool.id, "phone": phone, "q": quantity, "cap": cap})).first()
    if row is None:
        raise Conflict(f"每人限购 {cap} 件，您已达到上限", code="per_buyer_cap", field="quantity")


async def _claim_hold(db: AsyncSession, pool: StockPool, order: Order, token: str) -> None:
    claimed = await db.execute(
        sa.update(WaitlistEntry).where(WaitlistEntry.token == token, WaitlistEntry.pool_id == pool.id,
                                       WaitlistEntry.status == "offered", WaitlistEntry.phone == order.buyer_phone,
                                       WaitlistEntry.held == order.quantity,
                                       WaitlistEntry.offer_expires_at > order.created_at)
        .values(status="claimed"))
    if claimed.rowcount != 1:
        raise Conflict("候补名额已失效（超时或数量不符），请重新下单或再次候补", code="hold_gone")
