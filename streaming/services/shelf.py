"""The session's shelf: SKUs at the session price with stock set aside, and the one pinned item."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.auth.current import CurrentUser
from caoyuan.errors import Conflict, NotFound
from caoyuan.feed import append_event
from storefront.models import Product, Sku, StockPool
from storefront.services import pools
from streaming.errors import LiveCode
from streaming.models import RUN_OF_SHOW, ChecklistTick, PinChange, ShelfItem
from streaming.services.access import feed_stream, require, session_for_host


async def add_item(
    db: AsyncSession,
    user: CurrentUser,
    session_id: int,
    *,
    sku_id: int,
    price_fen: int,
    quantity: int,
    per_buyer_cap: int | None = None,
) -> ShelfItem:
    session = await session_for_host(db, session_id, user)
    require(session, "edit_shelf", "直播结束后不能再上架")
    if await db.scalar(sa.select(ShelfItem.id).where(ShelfItem.session_id == session_id, ShelfItem.sku_id == sku_id)):
        raise Conflict("这个规格已经在货架上了", code=LiveCode.ALREADY_ON_SHELF, field="sku_id")
    pool = await pools.allocate(
        db,
        sku_id=sku_id,
        quantity=quantity,
        price_fen=price_fen,
        label="live-shelf",
        feed_stream=feed_stream(session_id),
        ship_cutoff_local=session.cutoff_local,
        per_buyer_cap=per_buyer_cap,
    )
    position = await db.scalar(
        sa.select(sa.func.count()).select_from(ShelfItem).where(ShelfItem.session_id == session_id)
    )
    item = ShelfItem(session_id=session_id, sku_id=sku_id, pool_id=pool.id, position=position or 0)  # type: ignore[arg-type]
    db.add(item)
    await db.flush()
    await append_event(
        db,
        feed_stream(session_id),
        "shelf_added",
        {"item_id": item.id, "pool_id": pool.id, "sku_id": sku_id, "price_fen": price_fen, "remaining": quantity},
    )
    return item


async def pin(db: AsyncSession, user: CurrentUser, session_id: int, item_id: int | None) -> int | None:
    """One pinned (讲解中) item at a time; every change is logged."""
    session = await session_for_host(db, session_id, user, lock=True)
    require(session, "pin", "只有直播中才能设置讲解中商品")
    if item_id is not None:
        item = await db.get(ShelfItem, item_id)
        if item is None or item.session_id != session_id:
            raise NotFound("货架上没有这件商品", field="item_id")
    session.pinned_item_id = item_id
    db.add(PinChange(session_id=session_id, shelf_item_id=item_id, changed_by=user.id))
    await append_event(db, feed_stream(session_id), "pinned", {"item_id": item_id})
    return item_id


async def tick(db: AsyncSession, user: CurrentUser, session_id: int, step: str) -> list[str]:
    session = await session_for_host(db, session_id, user)
    require(session, "checklist", "直播已结束")
    if step not in RUN_OF_SHOW:
        raise NotFound("没有这个步骤", field="step")
    exists = await db.get(ChecklistTick, (session_id, step))
    if exists is None:
        db.add(ChecklistTick(session_id=session_id, step=step, ticked_by=user.id))
        await db.flush()
    return list(await db.scalars(sa.select(ChecklistTick.step).where(ChecklistTick.session_id == session_id)))


async def shelf_rows(db: AsyncSession, session_id: int) -> list[tuple[ShelfItem, StockPool, Sku, Product]]:
    rows = await db.execute(
        sa.select(ShelfItem, StockPool, Sku, Product)
        .join(StockPool, StockPool.id == ShelfItem.pool_id)
        .join(Sku, Sku.id == ShelfItem.sku_id)
        .join(Product, Product.id == Sku.product_id)
        .where(ShelfItem.session_id == session_id)
        .order_by(ShelfItem.position, ShelfItem.id)
    )
    return [tuple(r) for r in rows.all()]  # type: ignore[misc]
