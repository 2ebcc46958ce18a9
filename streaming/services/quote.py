"""The confirm step before Alipay: what the buyer will pay (goods + shipping = total), checked like the order.

A read only: nothing is reserved until the order itself is placed (stock may still run out in between, and
the order then says so). A flash-sale card tapped after its window closed (or its units ran out) is quoted
at the shelf item's live price, with a note saying so: the confirm step shows the price that will be
charged, and the order carries that unit price so the intake refuses rather than charge anything else."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import utcnow
from caoyuan.errors import BadInput, Conflict
from caoyuan.identity import IdentityError, normalize_phone
from caoyuan.money import format_fen
from storefront import rules
from storefront.models import Product, ShippingRegionFee, Sku, StockPool, WaitlistEntry
from storefront.schemas import OrderIn
from streaming.errors import LiveCode
from streaming.models import FlashSale, ShelfItem
from streaming.services.intake import check_orderable


@dataclass(frozen=True)
class Quote:
    pool_id: int
    product: str
    sku: str
    quantity: int
    unit_price: str
    unit_price_fen: int
    goods: str
    shipping: str
    total: str
    total_fen: int
    address: str
    note: str = ""  # why the price differs from the card the buyer tapped (a flash sale that ended)


async def quote(db: AsyncSession, session_id: int, body: OrderIn) -> Quote:
    await check_orderable(db, session_id, body.pool_id)
    pool_id, note = await _pool_to_charge(db, body.pool_id)
    try:
        normalize_phone(body.phone)
    except IdentityError as exc:
        raise BadInput(str(exc), field="phone") from None
    try:
        rules.validate_name(body.name)
        address = rules.validate_address(body.province, body.city, body.county, body.detail)
    except rules.RuleError as exc:
        raise BadInput(str(exc), field=exc.field) from None
    pool, sku, product = (
        await db.execute(
            sa.select(StockPool, Sku, Product)
            .join(Sku, Sku.id == StockPool.sku_id)
            .join(Product, Product.id == Sku.product_id)
            .where(StockPool.id == pool_id)
        )
    ).one()
    check_quantity(body.quantity, pool.remaining, pool.per_buyer_cap)
    if not pool.open:
        raise Conflict("直播已结束或商品已下架，不能再下单", code=LiveCode.NOT_ON_SALE)
    fees = dict(
        (
            await db.execute(
                sa.select(ShippingRegionFee.province, ShippingRegionFee.fee_fen).where(
                    ShippingRegionFee.product_id == product.id
                )
            )
        ).all()
    )
    shipping = rules.shipping_fee(product.shipping_kind, product.shipping_fen, fees, address.province)
    goods = pool.price_fen * body.quantity
    return Quote(
        pool.id,
        product.name,
        sku.name,
        body.quantity,
        format_fen(pool.price_fen),  # type: ignore[arg-type]
        pool.price_fen,  # type: ignore[arg-type]
        format_fen(goods),
        format_fen(shipping),
        format_fen(goods + shipping),
        goods + shipping,
        f"{address.province}{address.city}{address.county}{address.detail}",
        note,
    )


async def _pool_to_charge(db: AsyncSession, pool_id: int) -> tuple[int, str]:
    """The pool an order would really draw from: a flash sale's own while it sells, else its shelf item's."""
    row = (
        await db.execute(
            sa.select(FlashSale, StockPool.remaining, StockPool.open, ShelfItem.pool_id)  # type: ignore[call-overload]
            .join(StockPool, StockPool.id == FlashSale.pool_id)
            .join(ShelfItem, ShelfItem.id == FlashSale.shelf_item_id)
            .where(FlashSale.pool_id == pool_id)
        )
    ).first()
    if row is None:
        return pool_id, ""
    sale, remaining, is_open, shelf_pool_id = row
    now = utcnow()
    if now < sale.opens_at and not sale.closed:
        seconds = int((sale.opens_at - now).total_seconds()) + 1
        raise Conflict(f"秒杀还没开始，{seconds} 秒后开抢", code=LiveCode.NOT_OPEN_YET)
    if sale.closed or not is_open or now >= sale.closes_at:
        return shelf_pool_id, "秒杀已结束，按直播价计算"
    if remaining <= 0:
        return shelf_pool_id, "秒杀已抢完，按直播价计算"
    return pool_id, ""


def check_quantity(quantity: int, remaining: int, cap: int | None) -> None:
    """Asking for more than is left says how many are left (not "sold out" while some remain)."""
    if remaining <= 0:
        raise Conflict("已售罄，可以登记候补", code=LiveCode.SOLD_OUT, field="quantity")
    if quantity > remaining:
        raise BadInput(f"只剩 {remaining} 件了，请改少一些", field="quantity")
    try:
        rules.validate_quantity(quantity, cap)
    except rules.RuleError as exc:
        raise BadInput(str(exc), field=exc.field) from None


async def pool_left(db: AsyncSession, pool_id: int) -> int:
    return int(await db.scalar(sa.select(StockPool.remaining).where(StockPool.id == pool_id)) or 0)


async def waitlist_place(db: AsyncSession, token: str) -> dict | None:
    """A waiting buyer's place in line (1 = next), what they wait for, and the entry's state."""
    entry = await db.scalar(sa.select(WaitlistEntry).where(WaitlistEntry.token == token))
    if entry is None:
        return None
    ahead = await db.scalar(
        sa.select(sa.func.count())
        .select_from(WaitlistEntry)
        .where(WaitlistEntry.pool_id == entry.pool_id, WaitlistEntry.status == "waiting", WaitlistEntry.id < entry.id)
    )
    label = (
        await db.execute(
            sa.select(Product.name, Sku.name)
            .join(Sku, Sku.product_id == Product.id)
            .join(StockPool, StockPool.sku_id == Sku.id)
            .where(StockPool.id == entry.pool_id)
        )
    ).first()
    return {
        "position": (ahead or 0) + 1,
        "status": entry.status,
        "quantity": entry.quantity,
        "item": f"{label[0]} {label[1]}" if label else "",
        "pool_id": entry.pool_id,
    }
