"""Sold out? A buyer may wait; released stock is held for the oldest waiting buyer (see stock.put_back)."""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import BadInput, Conflict, NotFound
from caoyuan.identity import IdentityError, normalize_phone
from storefront.errors import ShopCode
from storefront.models import StockPool, WaitlistEntry

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # PostgreSQL refuses NUL in text


async def join(db: AsyncSession, pool_id: int, phone: str, quantity: int, name: str = "") -> tuple[WaitlistEntry, int]:
    """Register (or find) the buyer's place in line; returns the entry and its position (1 = next)."""
    try:
        phone = normalize_phone(phone)
    except IdentityError as exc:
        raise BadInput(str(exc), field="phone") from None
    if not 1 <= quantity <= 99:
        raise BadInput("候补数量应为 1–99 件", field="quantity")
    pool = await db.get(StockPool, pool_id)
    if pool is None or not pool.open:
        raise NotFound("这件商品已下架，不能候补")
    if pool.remaining >= quantity:
        raise Conflict("还有货，可以直接下单", code=ShopCode.IN_STOCK)
    entry = await db.scalar(
        sa.select(WaitlistEntry).where(
            WaitlistEntry.pool_id == pool_id,
            WaitlistEntry.phone == phone,
            WaitlistEntry.status.in_(["waiting", "offered"]),
        )
    )
    if entry is None:
        entry = WaitlistEntry(
            pool_id=pool_id,
            phone=phone,
            name=_CONTROL.sub("", name).strip()[:30],
            quantity=quantity,
            token=secrets.token_urlsafe(16),
        )
        db.add(entry)
        await db.flush()
    ahead = await db.scalar(
        sa.select(sa.func.count())
        .select_from(WaitlistEntry)
        .where(WaitlistEntry.pool_id == pool_id, WaitlistEntry.status == "waiting", WaitlistEntry.id < entry.id)
    )
    return entry, (ahead or 0) + 1


async def entry_for_token(db: AsyncSession, token: str) -> WaitlistEntry:
    entry = await db.scalar(sa.select(WaitlistEntry).where(WaitlistEntry.token == token))
    if entry is None:
        raise NotFound("没有这个候补登记")
    return entry
