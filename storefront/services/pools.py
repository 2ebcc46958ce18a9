"""Stock pools: the live-sale side (streaming) sets stock aside from the catalogue through these calls."""

from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import BadInput, Conflict, NotFound
from storefront.errors import ShopCode
from storefront.models import Sku, StockPool


async def allocate(
    db: AsyncSession,
    *,
    sku_id: int,
    quantity: int,
    price_fen: int,
    label: str,
    feed_stream: str = "",
    ship_cutoff_local: time = time(22, 0),
    per_buyer_cap: int | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    from_pool_id: int | None = None,
) -> StockPool:
    """Move ``quantity`` units of catalogue stock (or of another pool) into a new pool, guarded: never below zero."""
    if quantity <= 0:
        raise BadInput("分配的库存至少为 1 件", field="quantity")
    if price_fen <= 0:
        raise BadInput("价格必须大于 0", field="price")
    if per_buyer_cap is not None and per_buyer_cap <= 0:
        raise BadInput("每人限购至少为 1 件", field="per_buyer_cap")
    sku = await db.get(Sku, sku_id)
    if sku is None or not sku.active:
        raise NotFound("没有这个在售规格", field="sku_id")
    if from_pool_id is not None:
        await take_from(db, from_pool_id, quantity)
    else:
        moved = await db.execute(
            sa.update(Sku).where(Sku.id == sku_id, Sku.stock >= quantity).values(stock=Sku.stock - quantity)
        )
        if moved.rowcount != 1:
            raise Conflict(
                f"库存不足：{sku.name} 只剩 {sku.stock} 件可分配", code=ShopCode.NOT_ENOUGH_STOCK, field="quantity"
            )
    pool = StockPool(
        return_to_pool_id=from_pool_id,
        sku_id=sku_id,
        label=label,
        price_fen=price_fen,
        remaining=quantity,
        allocated=quantity,
        per_buyer_cap=per_buyer_cap,
        opens_at=opens_at,
        closes_at=closes_at,
        feed_stream=feed_stream,
        ship_cutoff_local=ship_cutoff_local,
    )
    db.add(pool)
    await db.flush()
    return pool


async def take_from(db: AsyncSession, source_pool_id: int, quantity: int) -> None:
    """Move units out of one pool (e.g. a shelf item's stock into its flash sale)."""
    moved = await db.execute(
        sa.update(StockPool)
        .where(StockPool.id == source_pool_id, StockPool.remaining >= quantity)
        .values(remaining=StockPool.remaining - quantity)
    )
    if moved.rowcount != 1:
        raise Conflict("货架库存不足", code=ShopCode.NOT_ENOUGH_STOCK, field="total_cap")


async def close_and_return(db: AsyncSession, pool_id: int) -> int:
    """Close a pool; what is left goes back where it came from (its source pool, or the catalogue)."""
    pool = await db.get(StockPool, pool_id, with_for_update=True, populate_existing=True)
    if pool is None or not pool.open:
        return 0
    left, pool.open, pool.remaining = pool.remaining, False, 0
    await db.flush()
    if left:
        if pool.return_to_pool_id is not None:
            from storefront.services.stock import put_back

            await put_back(db, pool.return_to_pool_id, left)
        else:
            await db.execute(sa.update(Sku).where(Sku.id == pool.sku_id).values(stock=Sku.stock + left))
    return left
