"""Taking an order in a live session: the session must be live and the pool on its shelf; storefront does the rest."""

from __future__ import annotations

import functools
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.auth.current import CurrentUser
from caoyuan.db import Database
from caoyuan.errors import Conflict, NotFound
from caoyuan.settings import Settings
from storefront.models import StockPool
from storefront.schemas import OrderIn
from storefront.services.place_now import place_order_now
from storefront.services.place_order import Gate, GateCall, OrderRequest, Placed, place_order
from streaming import rules
from streaming.errors import LiveCode
from streaming.models import FlashSale, LiveSession, ShelfItem


async def check_orderable(db: AsyncSession, session_id: int, pool_id: int) -> None:
    """One query on the hot path: the session's state and whether the pool belongs to it."""
    on_shelf = sa.or_(
        sa.exists().where(ShelfItem.session_id == session_id, ShelfItem.pool_id == pool_id),
        sa.exists().where(FlashSale.session_id == session_id, FlashSale.pool_id == pool_id),
    )
    row = (await db.execute(sa.select(LiveSession.state, on_shelf).where(LiveSession.id == session_id))).first()
    if row is None:
        raise NotFound("没有这场直播")
    state, belongs = row
    if not belongs:
        raise NotFound("这场直播的货架上没有这件商品", code=LiveCode.NOT_ON_SHELF, field="pool_id")
    if not rules.can(state, "order"):
        raise Conflict(rules.order_refusal(state), code=LiveCode.SESSION_NOT_LIVE)


def _check_live_row(row: sa.Row) -> None:
    """check_orderable's rule, on the columns the intake's read brought along (same refusals, same order)."""
    if row.session_state is None:
        raise NotFound("没有这场直播")
    if not row.on_session_shelf:
        raise NotFound("这场直播的货架上没有这件商品", code=LiveCode.NOT_ON_SHELF, field="pool_id")
    if not rules.can(row.session_state, "order"):
        raise Conflict(rules.order_refusal(row.session_state), code=LiveCode.SESSION_NOT_LIVE)


_SESSION = sa.bindparam("live_session_id")
LIVE_GATE = Gate(
    columns=(
        sa.select(LiveSession.state).where(LiveSession.id == _SESSION).scalar_subquery().label("session_state"),
        sa.or_(
            sa.exists().where(ShelfItem.session_id == _SESSION, ShelfItem.pool_id == StockPool.id),
            sa.exists().where(FlashSale.session_id == _SESSION, FlashSale.pool_id == StockPool.id),
        ).label("on_session_shelf"),
    ),
    check=_check_live_row,
)


@functools.lru_cache(maxsize=8)
def _expiry(minutes: int) -> timedelta:
    return timedelta(minutes=minutes)  # made once, not once an order (~1 µs)


def _request(session_id: int, data: OrderIn, key: str, user: CurrentUser | None) -> OrderRequest:
    return OrderRequest(
        pool_id=data.pool_id,
        quantity=data.quantity,
        phone=data.phone,
        name=data.name,
        province=data.province,
        city=data.city,
        county=data.county,
        detail=data.detail,
        idempotency_key=key,
        expected_price_fen=data.expected_price_fen,
        expected_total_fen=data.expected_total_fen,
        live_session_id=session_id,
        buyer_user_id=user.id if user else None,
        waitlist_token=data.waitlist_token,
    )


async def take_order(
    db: AsyncSession, settings: Settings, session_id: int, data: OrderIn, key: str, user: CurrentUser | None
) -> Placed:
    async def still_orderable() -> None:
        await check_orderable(db, session_id, data.pool_id)

    # The "still live? on this shelf?" check rides on the intake's own read; the separate query remains
    # only to explain a refusal when the pool does not exist at all.
    return await place_order(
        db,
        _request(session_id, data, key, user),
        expiry=timedelta(minutes=settings.order_expiry_minutes),
        precheck=still_orderable,
        gate=GateCall(LIVE_GATE, {"live_session_id": session_id}),
    )


async def take_order_now(
    database: Database, settings: Settings, session_id: int, data: OrderIn, key: str, user: CurrentUser | None
) -> Placed:
    """take_order for a request with no transaction of its own: on PostgreSQL, usually with no session at all."""

    async def in_a_session() -> Placed:
        async with database.session() as db:
            return await take_order(db, settings, session_id, data, key, user)

    return await place_order_now(
        database.engine,
        _request(session_id, data, key, user),
        in_a_session,
        expiry=_expiry(settings.order_expiry_minutes),
        gate=GateCall(LIVE_GATE, {"live_session_id": session_id}),
    )
