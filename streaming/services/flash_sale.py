"""秒杀: a deal price on a shelf item, capped in total and per buyer — the caps live in the database."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.auth.current import CurrentUser
from caoyuan.db import utcnow
from caoyuan.errors import BadInput, Conflict, NotFound
from caoyuan.feed import append_event
from storefront.models import StockPool
from storefront.services import pools
from streaming import rules
from streaming.errors import LiveCode
from streaming.models import FlashSale, ShelfItem
from streaming.services.access import feed_stream, require, session_for_host


async def open_flash_sale(
    db: AsyncSession,
    user: CurrentUser,
    session_id: int,
    *,
    item_id: int,
    deal_price_fen: int,
    total_cap: int,
    per_buyer_cap: int,
    countdown_s: int,
    window_min: int,
) -> FlashSale:
    session = await session_for_host(db, session_id, user, lock=True)
    require(session, "flash_sale", "只有直播中才能开秒杀")
    item = await db.get(ShelfItem, item_id)
    if item is None or item.session_id != session_id:
        raise NotFound("货架上没有这件商品", field="item_id")
    running = await db.scalar(
        sa.select(FlashSale.id).where(FlashSale.shelf_item_id == item_id, FlashSale.closed.is_(False))
    )
    if running:
        raise Conflict("这件商品的秒杀还在进行中", code=LiveCode.FLASH_SALE_RUNNING)
    shelf_pool = await db.get(StockPool, item.pool_id)
    now = utcnow()
    try:
        window = rules.flash_window(now, countdown_s, window_min)
        rules.check_flash_caps(
            deal_price_fen,
            shelf_pool.price_fen,
            total_cap,
            per_buyer_cap,  # type: ignore[union-attr]
            shelf_pool.remaining,
        )  # type: ignore[union-attr]
    except rules.RuleError as exc:
        raise BadInput(str(exc), field=exc.field) from None
    pool = await pools.allocate(
        db,
        sku_id=item.sku_id,
        quantity=total_cap,
        price_fen=deal_price_fen,
        label="flash-sale",
        feed_stream=feed_stream(session_id),
        ship_cutoff_local=session.cutoff_local,
        per_buyer_cap=per_buyer_cap,
        opens_at=window.opens_at,
        closes_at=window.closes_at,
        from_pool_id=item.pool_id,
    )
    sale = FlashSale(
        session_id=session_id,
        shelf_item_id=item_id,
        pool_id=pool.id,
        deal_price_fen=deal_price_fen,  # type: ignore[arg-type]
        total_cap=total_cap,
        per_buyer_cap=per_buyer_cap,
        opens_at=window.opens_at,
        closes_at=window.closes_at,
        created_by=user.id,
    )
    db.add(sale)
    await db.flush()
    await append_event(db, feed_stream(session_id), "flash_sale_scheduled", _payload(sale, total_cap))
    return sale


async def tick_flash_sales(db: AsyncSession, now: datetime | None = None) -> int:
    """Announce sales whose countdown ended; close sales whose window ended (leftovers back to the shelf)."""
    now = now or utcnow()
    changed = 0
    for sale in (
        await db.scalars(
            sa.select(FlashSale)
            .where(FlashSale.closed.is_(False), FlashSale.announced_open.is_(False), FlashSale.opens_at <= now)
            .with_for_update()
        )
    ).all():
        sale.announced_open = True
        await append_event(db, feed_stream(sale.session_id), "flash_sale_opened", _payload(sale, None))
        changed += 1
    for sale in (
        await db.scalars(
            sa.select(FlashSale).where(FlashSale.closed.is_(False), FlashSale.closes_at <= now).with_for_update()
        )
    ).all():
        sale.closed = True
        returned = await pools.close_and_return(db, sale.pool_id)
        await append_event(
            db, feed_stream(sale.session_id), "flash_sale_closed", {**_payload(sale, None), "returned": returned}
        )
        changed += 1
    return changed


def _payload(sale: FlashSale, remaining: int | None) -> dict:
    return {
        "sale_id": sale.id,
        "item_id": sale.shelf_item_id,
        "pool_id": sale.pool_id,
        "deal_price_fen": sale.deal_price_fen,
        "total_cap": sale.total_cap,
        "per_buyer_cap": sale.per_buyer_cap,
        "opens_at": sale.opens_at.isoformat(),
        "closes_at": sale.closes_at.isoformat(),
        "remaining": remaining,
    }


async def stop_flash_sale(db: AsyncSession, user: CurrentUser, session_id: int, sale_id: int) -> FlashSale:
    """The host stops a sale early: it takes no more orders and its unsold units go back to the shelf item."""
    await session_for_host(db, session_id, user, lock=True)
    sale = await db.scalar(sa.select(FlashSale).where(FlashSale.id == sale_id).with_for_update())
    if sale is None or sale.session_id != session_id:
        raise NotFound("没有这个秒杀", field="sale_id")
    if sale.closed:
        raise Conflict("这个秒杀已经结束了", code=LiveCode.FLASH_SALE_CLOSED)
    sale.closed = True
    returned = await pools.close_and_return(db, sale.pool_id)
    await append_event(
        db,
        feed_stream(session_id),
        "flash_sale_closed",
        {**_payload(sale, None), "returned": returned, "stopped": True},
    )
    return sale
