"""补货: the host moves more units of a shelf item's SKU from the catalogue onto the shelf, in one tap.

Guarded like the first allocation: the catalogue never goes below zero; the shelf pool grows by exactly what
the catalogue gave (waiting 候补 buyers served first), and the new stock figure goes out on the feed (buyers' cards and the console follow)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.auth.current import CurrentUser
from caoyuan.errors import BadInput, Conflict, NotFound
from storefront.errors import ShopCode
from storefront.models import Sku, StockPool
from storefront.services import stock
from storefront.services.events import stock_event
from streaming.errors import LiveCode
from streaming.models import ShelfItem
from streaming.services.access import feed_stream, require, session_for_host

TOP_UP_MAX = 10_000


async def top_up(db: AsyncSession, user: CurrentUser, session_id: int, item_id: int, quantity: int) -> int:
    """Adds ``quantity`` units to the shelf item; returns how many it now has left to sell."""
    session = await session_for_host(db, session_id, user)
    require(session, "edit_shelf", "直播结束后不能再补货")
    if not 1 <= quantity <= TOP_UP_MAX:
        raise BadInput(f"补货数量应为 1–{TOP_UP_MAX} 件", field="quantity")
    item = await db.get(ShelfItem, item_id)
    if item is None or item.session_id != session_id:
        raise NotFound("货架上没有这件商品", field="item_id")
    pool = await db.get(StockPool, item.pool_id)
    if pool is None or not pool.open:
        raise Conflict("这件商品已下架，不能补货", code=LiveCode.NOT_ON_SALE)
    moved = await db.execute(
        sa.update(Sku).where(Sku.id == item.sku_id, Sku.stock >= quantity).values(stock=Sku.stock - quantity)  # type: ignore[arg-type]
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        left = await db.scalar(sa.select(Sku.stock).where(Sku.id == item.sku_id))  # type: ignore[call-overload]
        raise Conflict(
            f"商品库只剩 {left or 0} 件，不够补 {quantity} 件", code=ShopCode.NOT_ENOUGH_STOCK, field="quantity"
        )
    await db.execute(
        sa.update(StockPool)
        .where(StockPool.id == pool.id)  # type: ignore[arg-type]
        .values(allocated=StockPool.allocated + quantity)
    )
    # The new units meet the 候补 line first, as released units do: the oldest waiting buyers get a hold.
    remaining = await stock.put_back(db, pool.id, quantity)  # type: ignore[arg-type]
    await stock_event(db, feed_stream(session_id), pool.id, remaining)  # type: ignore[arg-type]
    return remaining
