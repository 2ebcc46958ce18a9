"""The intake's writes once the read allowed the order: PostgreSQL's one statement (alone or in a batch),
or SQLite's (and a waitlist claim's) guarded steps in the caller's transaction."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from caoyuan.errors import Conflict
from caoyuan.feed.hub import CHANNEL, mark_for_wake
from storefront.errors import ShopCode
from storefront.models import Order, StockPool, WaitlistEntry
from storefront.services import intake_batch
from storefront.services.events import order_event, order_payload, stock_event
from storefront.services.intake_outcomes import Placed, cap_reached, replay_if_raced, sold_out
from storefront.services.intake_sql import ORDER_PARAMS, intake_statement, plain

# ---------------------------------------------------------------- PostgreSQL: one statement


async def place_in_one_statement(
    db: AsyncSession, conn: AsyncConnection, ctx: Any, order: Order, sku_name: str, own: bool
) -> Placed:
    capped, stream = ctx.per_buyer_cap is not None, ctx.feed_stream
    params = {name: plain(getattr(order, key)) for name, key in ORDER_PARAMS}
    params.update(
        pool_id=ctx.id,
        quantity=order.quantity,
        phone=order.buyer_phone,
        cap=ctx.per_buyer_cap,
        stream=stream,
        channel=CHANNEL,
        now=order.created_at,
        order_payload=msgspec.json.encode(order_payload(order, sku_name)).decode(),
        stock_prefix=f'{{"pool_id":{ctx.id},"remaining":',
    )
    statement = intake_statement(capped, bool(stream))
    try:
        if own:  # autocommit: the statement is all-or-nothing by itself
            row = (await conn.execute(statement, params)).one()
        else:  # inside the caller's transaction: a savepoint keeps a failure from spoiling it
            async with db.begin_nested():
                row = (await conn.execute(statement, params)).one()
                if row.remaining is None:
                    raise _Refused(row.used)
    except IntegrityError:
        # Two requests with the same Idempotency-Key raced; the other one won.
        if (replay := await replay_if_raced(db, order)) is not None:
            return replay
        raise
    except _Refused as refused:
        row = refused
    if row.remaining is None:
        if (replay := await replay_if_raced(db, order)) is not None:
            return replay
        if capped and row.used is None:
            raise cap_reached(ctx.per_buyer_cap)
        if capped and own:
            await _give_back_quota(db, ctx.id, order.buyer_phone, order.quantity)  # taken, then the stock was gone
        raise sold_out(ctx.id)
    order.id = row.order_id
    make_transient_to_detached(order)  # what was written is what we hold: keep it in the session, unflushed
    db.add(order)
    if stream:
        mark_for_wake(db.sync_session, stream)
    return Placed(order, True, row.remaining)


async def place_batched(db: AsyncSession, ctx: Any, order: Order, sku_name: str) -> Placed | None:
    """Placed with the other orders arriving for this pool now (intake_batch); None: place it alone."""
    outcome = await submit_batched(db.bind, ctx, order, sku_name)  # type: ignore[arg-type]
    if outcome.refusal == intake_batch.RETRY:
        return None
    if outcome.refusal is not None:  # a retry with the same key may have won: answer with its order
        if (replay := await replay_if_raced(db, order)) is not None:
            return replay
        if outcome.refusal == intake_batch.CAP:
            raise cap_reached(ctx.per_buyer_cap)
        if outcome.refusal == intake_batch.SOLD_OUT:
            raise sold_out(ctx.id)
        return None  # the key's order is gone again: let the one-order statement decide
    make_transient_to_detached(order)  # committed by the batch (which also woke the feed's readers)
    db.add(order)  # held in the caller's session, as if loaded
    return Placed(order, True, outcome.remaining)


async def submit_batched(engine: AsyncEngine, ctx: Any, order: Order, sku_name: str) -> intake_batch.Outcome:
    """Write the order with the others arriving for its pool now; its id once the batch has committed.

    The order stays transient: a caller with a session attaches it as persisted, one without just answers."""
    outcome = await write_soon(engine, ctx, order, sku_name)
    if outcome.refusal is None:
        order.__dict__["id"] = outcome.order_id  # as loaded: the ORM records no change to flush
    return outcome


def write_soon(engine: AsyncEngine, ctx: Any, order: Order, sku_name: str) -> asyncio.Future[intake_batch.Outcome]:
    """Queue the order for its pool's next batch; the future answers once that batch has committed."""
    entry = intake_batch.Entry(order, msgspec.json.encode(order_payload(order, sku_name)).decode())
    return intake_batch.submit(engine, intake_batch.Shape(ctx.id, ctx.per_buyer_cap, ctx.feed_stream), entry)


class _Refused(Exception):  # noqa: N818 - internal signal: roll the savepoint back, then explain why
    def __init__(self, used: int | None) -> None:
        self.used, self.remaining = used, None


async def _give_back_quota(db: AsyncSession, pool_id: int, phone: str, quantity: int) -> None:
    await db.execute(
        sa.text(
            "UPDATE shop_buyer_quota SET used = used - CAST(:q AS INTEGER) "
            "WHERE pool_id = :pool AND phone = :phone AND used >= CAST(:q AS INTEGER)"
        ),
        {"pool": pool_id, "phone": phone, "q": quantity},
    )


# ---------------------------------------------------------------- SQLite (and waitlist claims): step by step


async def place_stepwise(db: AsyncSession, ctx: Any, order: Order, sku_name: str, waitlist_token: str | None) -> Placed:
    try:
        async with db.begin_nested():
            remaining = await _reserve(db, ctx, order, waitlist_token)
            db.add(order)
            await db.flush()
    except (IntegrityError, Conflict):
        # Nothing was written. If a retry with the same key won meanwhile (a duplicate key, or it took the
        # last unit or the buyer's quota first), answer with that order; otherwise the refusal stands.
        if (replay := await replay_if_raced(db, order)) is not None:
            return replay
        raise
    await order_event(db, ctx.feed_stream, "order_placed", order, sku_name)
    if remaining is not None:
        await stock_event(db, ctx.feed_stream, ctx.id, remaining)
    return Placed(order, True, remaining)


async def _reserve(db: AsyncSession, pool: Any, order: Order, waitlist_token: str | None) -> int | None:
    """Take the buyer's quota and the stock, or raise with nothing written (the savepoint rolls back)."""
    if waitlist_token:
        await _claim_hold(db, pool, order, waitlist_token)
        return None
    if pool.per_buyer_cap is not None:
        await take_quota(db, pool, order.buyer_phone, order.quantity)
    row = (
        await db.execute(
            sa.update(StockPool)
            .where(StockPool.id == pool.id, StockPool.remaining >= order.quantity, StockPool.open.is_(True))
            .values(remaining=StockPool.remaining - order.quantity)
            .returning(StockPool.remaining)
        )
    ).first()
    if row is None:
        raise sold_out(pool.id)
    return row[0]


async def take_quota(db: AsyncSession, pool: Any, phone: str, quantity: int) -> None:
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
        raise cap_reached(cap)


async def _claim_hold(db: AsyncSession, pool: Any, order: Order, token: str) -> None:
    claimed = await db.execute(
        sa.update(WaitlistEntry)
        .where(
            WaitlistEntry.token == token,
            WaitlistEntry.pool_id == pool.id,
            WaitlistEntry.status == "offered",
            WaitlistEntry.phone == order.buyer_phone,
            WaitlistEntry.held == order.quantity,
            WaitlistEntry.offer_expires_at > order.created_at,
        )
        .values(status="claimed")
    )
    if claimed.rowcount != 1:
        raise Conflict("候补名额已失效（超时或数量不符），请重新下单或再次候补", code=ShopCode.HOLD_GONE)
