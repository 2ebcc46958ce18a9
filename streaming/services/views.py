"""Reading a session as hosts and buyers see it."""

from __future__ import annotations

import asyncio
import time
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.clock import BEIJING
from caoyuan.db import Database, after_commit, commit, utcnow
from caoyuan.errors import NotFound
from caoyuan.money import format_fen
from storefront.models import Order, Product, ProductImage, Sku, StockPool
from storefront.services.events import order_payload
from streaming import rules
from streaming.models import ChecklistTick, FlashSale, LiveRoom, LiveSession
from streaming.schemas import FlashSaleOut, SessionOut, ShelfItemOut
from streaming.services.shelf import shelf_rows


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def session_view(db: AsyncSession, session_id: int) -> SessionOut:
    row = (
        await db.execute(
            sa.select(LiveSession, LiveRoom.name)
            .join(LiveRoom, LiveRoom.id == LiveSession.room_id)
            .where(LiveSession.id == session_id)
        )
    ).first()
    if row is None:
        raise NotFound("没有这场直播")
    session, room_name = row
    shelf = [
        ShelfItemOut(
            item.id,
            pool.id,
            sku.id,
            product.name,
            sku.name,
            pool.price_fen,
            format_fen(pool.price_fen),  # type: ignore[arg-type]
            pool.remaining,
            pool.per_buyer_cap,
            session.pinned_item_id == item.id,
        )
        for item, pool, sku, product in await shelf_rows(db, session_id)
    ]
    now = utcnow()
    sales = (
        await db.execute(
            sa.select(FlashSale, StockPool.remaining)
            .join(StockPool, StockPool.id == FlashSale.pool_id)
            .where(FlashSale.session_id == session_id)
            .order_by(FlashSale.id)
        )
    ).all()
    flash = [
        FlashSaleOut(
            s.id,
            s.shelf_item_id,
            s.pool_id,
            s.deal_price_fen,
            s.total_cap,
            s.per_buyer_cap,
            left,  # type: ignore[arg-type]
            s.opens_at.isoformat(),
            s.closes_at.isoformat(),
            rules.flash_state(s.closed, s.opens_at, s.closes_at, now),
        )
        for s, left in sales
    ]
    ticks = list(await db.scalars(sa.select(ChecklistTick.step).where(ChecklistTick.session_id == session_id)))
    return SessionOut(
        session.id,
        session.room_id,
        room_name,
        session.title,
        session.content_line,
        session.state,  # type: ignore[arg-type]
        session.scheduled_start.isoformat(),
        _iso(session.started_at),
        _iso(session.ended_at),
        session.pinned_item_id,
        shelf,
        flash,
        ticks,
    )


# ---------------------------------------------------------------- the public view, cached for a second

PUBLIC_TTL_S = 1.0  # buyers may see stock up to this old; live stock reaches them over the viewer socket
_MAX_SESSIONS = 512  # sessions kept per process; a stream of unknown ids cannot grow it further


@dataclass
class PublicRoom:
    """One session's public view and its pictures, as read at one moment (nobody's own data)."""

    view: SessionOut
    pictures: dict[int, str]  # sku id → /media/ path
    expires: float  # monotonic
    changes: int = 0  # orders this process took since the read (a page drawn from it before is stale)


@dataclass
class PublicViews:
    """Per process and per database: session id → its public view (plain values, nobody's own data).

    One refresh per session at a time: concurrent readers of an expired entry share one database read.
    """

    database: Database
    entries: dict[int, PublicRoom] = field(default_factory=dict)
    loading: dict[int, asyncio.Future[PublicRoom]] = field(default_factory=dict)  # refreshes in flight

    async def get(self, session_id: int) -> SessionOut:
        return (await self.room(session_id)).view

    async def room(self, session_id: int) -> PublicRoom:
        entry = self.entries.get(session_id)
        if entry is not None and time.monotonic() < entry.expires:
            return entry
        loading = self.loading.get(session_id)
        if loading is None:
            # Its own task: a reader that gives up (a closed connection) does not cancel the others' read.
            loading = self.loading[session_id] = asyncio.ensure_future(self._load(session_id))
            loading.add_done_callback(lambda done: self._loaded(session_id, done))
        return await asyncio.shield(loading)

    def _loaded(self, session_id: int, done: asyncio.Future[PublicRoom]) -> None:
        self.loading.pop(session_id, None)
        if not done.cancelled():
            done.exception()  # marks it retrieved: a refresh whose readers all left must not warn

    async def _load(self, session_id: int) -> PublicRoom:
        async with self.database.reader() as db:  # type: ignore[misc]
            view = await session_view(db, session_id)
            pictures = await sku_pictures(db, [i.sku_id for i in view.shelf])
        now = time.monotonic()
        if len(self.entries) >= _MAX_SESSIONS:
            self.entries = {k: e for k, e in self.entries.items() if e.expires > now}
            if len(self.entries) >= _MAX_SESSIONS:
                self.entries.clear()
        entry = self.entries[session_id] = PublicRoom(view, pictures, now + _ttl(view))
        return entry

    def forget(self, session_id: int) -> None:
        """A host changed the session in this process: the next read is fresh."""
        self.entries.pop(session_id, None)

    def sold(self, session_id: int, pool_id: int, remaining: int) -> None:
        """An order taken in this process: its stock figure, known without a read, goes into the view."""
        entry = self.entries.get(session_id)
        if entry is None:
            return
        entry.changes += 1
        for row in (*entry.view.shelf, *entry.view.flash_sales):
            if row.pool_id == pool_id:
                row.remaining = min(row.remaining, remaining)  # orders only lower it; concurrent answers race


def _ttl(view: SessionOut) -> float:
    """A second, but never past a flash sale's opening or closing: its state must turn on time."""
    ttl = PUBLIC_TTL_S
    now = utcnow()
    for sale in view.flash_sales:
        for moment in (sale.opens_at, sale.closes_at):
            at = datetime.fromisoformat(moment)
            until = ((at if at.tzinfo else at.replace(tzinfo=UTC)) - now).total_seconds()
            if 0 < until < ttl:
                ttl = until
    return ttl


_by_engine: weakref.WeakKeyDictionary[object, PublicViews] = weakref.WeakKeyDictionary()


def public_views(database: Database) -> PublicViews:
    views = _by_engine.get(database.engine.sync_engine)
    if views is None:
        views = _by_engine[database.engine.sync_engine] = PublicViews(database)
    return views


async def console_orders(db: AsyncSession, session_id: int, limit: int = 50) -> list[dict]:
    """The newest orders of a session, shaped exactly like the feed's order events (masked buyer, item name),
    so the cards at page load and the ones that arrive live are drawn by the same code."""
    rows = (
        await db.execute(
            sa.select(Order, Product.name, Sku.name)
            .join(Sku, Sku.id == Order.sku_id)
            .join(Product, Product.id == Sku.product_id)
            .where(Order.live_session_id == session_id)
            .order_by(Order.id.desc())
            .limit(limit)
        )
    ).all()
    return [
        {**order_payload(order, f"{product} {sku}"), "at": order.created_at.astimezone(BEIJING).strftime("%H:%M")}
        for order, product, sku in rows
    ]


async def sku_pictures(db: AsyncSession, sku_ids: list[int]) -> dict[int, str]:
    """The first picture of each SKU's product, as a /media/ path (no entry when the product has none)."""
    first = (
        sa.select(ProductImage.product_id, sa.func.min(ProductImage.id).label("image_id"))
        .group_by(ProductImage.product_id)
        .subquery()
    )
    rows = (
        await db.execute(
            sa.select(Sku.id, ProductImage.filename)
            .join(first, first.c.product_id == Sku.product_id)
            .join(ProductImage, ProductImage.id == first.c.image_id)
            .where(Sku.id.in_(sku_ids or [0]))
        )
    ).all()
    return {sku_id: f"/media/{name}" for sku_id, name in rows}


async def commit_change(db: AsyncSession, database: Database, session_id: int) -> SessionOut:
    """After a host's change: commit it, drop this process's cached public view, answer with the fresh one."""
    await commit_and_forget(db, database, session_id)
    return await session_view(db, session_id)


async def commit_and_forget(db: AsyncSession, database: Database, session_id: int) -> None:
    after_commit(db, partial(public_views(database).forget, session_id), key=("live_view", session_id), immediate=True)
    await commit(db)
