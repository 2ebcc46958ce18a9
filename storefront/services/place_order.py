"""Order intake: validate, honour the Idempotency-Key, reserve stock and the buyer's quota atomically.

One read fetches the key's order (if any) and the pool with its SKU, product and the buyer's regional
shipping fee. Then, on PostgreSQL, one guarded statement — a data-modifying CTE — takes the buyer's
quota, the stock, inserts the order and numbers both feed events. When the caller has no transaction
open (an API request) that statement is its own transaction, so the hot rows (the pool, the session's
feed counter) are locked only inside the database for the statement's own duration, never while our
event loop serves other requests. SQLite serialises writers, so there the same guarded statements run
one after another inside the caller's transaction (as does a waitlist claim on either database).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from caoyuan.db import utcnow
from caoyuan.db.engine import autocommit_safe
from caoyuan.errors import AppError, BadInput, Conflict, NotFound
from caoyuan.feed.hub import CHANNEL, mark_for_wake
from caoyuan.identity import IdentityError, normalize_phone
from caoyuan.money import format_fen
from caoyuan.web import metrics
from storefront import rules
from storefront.errors import ShopCode
from storefront.models import BuyerQuota, Order, Product, ShippingRegionFee, Sku, StockPool, WaitlistEntry
from storefront.services import intake_batch
from storefront.services.events import order_event, order_payload, stock_event
from storefront.services.intake_sql import ORDER_PARAMS, intake_statement, plain

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
    expected_total_fen: int | None = None  # the total (with shipping) the buyer saw; another is refused
    live_session_id: int | None = None
    buyer_user_id: int | None = None
    waitlist_token: str | None = None  # claiming stock held for a waiting buyer


@dataclass(frozen=True)
class Placed:
    order: Order
    created: bool  # False when the Idempotency-Key had already produced this order
    remaining: int | None


@dataclass(frozen=True, eq=False)
class Gate:
    """A caller's own rule, read in the intake's one read instead of a round trip of its own.

    ``columns`` are labelled expressions (e.g. scalar subqueries) added to the read of the pool; they may
    use ``StockPool`` and bind parameters named in ``params``. ``check`` gets the row (those labels as
    attributes) after a replay is ruled out and raises to refuse. Build a Gate once, at import: its read
    statement is built and cached per Gate.
    """

    columns: tuple[Any, ...]
    check: Callable[[Any], None]


@dataclass(frozen=True)
class GateCall:
    gate: Gate
    params: dict[str, Any]


class SoldOut(Conflict):
    code = ShopCode.SOLD_OUT


def sold_out(pool_id: int) -> SoldOut:
    return SoldOut(
        "已售罄",
        extra={
            "waitlist": {"pool_id": pool_id, "href": f"/api/shop/pools/{pool_id}/waitlist"},
            "message_hint": "可以登记候补，有人退单时按登记先后通知",
        },
    )


def new_public_no(now: datetime) -> str:
    return f"CY{now:%y%m%d}{secrets.token_hex(5).upper()}"


async def place_order(
    db: AsyncSession,
    req: OrderRequest,
    expiry: timedelta = DEFAULT_EXPIRY,
    precheck: Callable[[], Awaitable[None]] | None = None,
    gate: GateCall | None = None,
) -> Placed:
    """Take an order. ``precheck`` (e.g. "is the show still live?") runs after a replay is ruled out.

    With a ``gate`` the same rule is checked from the columns it adds to the intake's read (no round trip
    of its own); ``precheck`` then runs only when the pool itself is missing, to explain the refusal.

    On PostgreSQL, called with no transaction open, the order is committed when this returns.
    """
    now = utcnow()
    try:
        clean = _validate(req)
    except AppError as exc:
        metrics.intake_refused(exc.code)
        raise
    digest = rules.request_digest(
        req.pool_id,
        req.quantity,
        clean["phone"],
        clean["name"],
        clean["address"],
        req.live_session_id,
        req.waitlist_token,
    )
    one_statement = db.bind.dialect.name == "postgresql" and not req.waitlist_token
    own = one_statement and not db.in_transaction() and not (db.new or db.dirty or db.deleted)
    own = own and autocommit_safe(db.bind)  # behind PgBouncer the statement runs in a transaction
    if own:
        # Nothing of the caller's is pending: run the intake in autocommit, one statement = one transaction.
        await db.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        placed = await _place(db, req, clean, digest, now, expiry, precheck, one_statement, own, gate)
    except BaseException as exc:
        if own:
            await db.rollback()
        if isinstance(exc, AppError):
            metrics.intake_refused(exc.code)
        raise
    if placed.created:
        metrics.count_on_commit(db, "placed")
    if own:
        await db.commit()  # nothing left to commit; hands the connection back and wakes feed readers
    return placed


async def _place(
    db: AsyncSession,
    req: OrderRequest,
    clean: dict,
    digest: str,
    now: datetime,
    expiry: timedelta,
    precheck: Callable[[], Awaitable[None]] | None,
    one_statement: bool,
    own: bool,
    gate: GateCall | None = None,
) -> Placed:
    address: rules.Address = clean["address"]
    if db.new or db.dirty or db.deleted:
        await db.flush()  # the read below goes straight to the connection (no ORM layer, no autoflush)
    conn = await db.connection()
    params = {"key": req.idempotency_key, "pool_id": req.pool_id, "phone": clean["phone"], "province": address.province}
    if gate is not None:
        params.update(gate.params)
    ctx = (await conn.execute(_read_for(gate.gate if gate else None), params)).first()
    existing = ctx.existing if ctx is not None else await _id_by_key(db, req.idempotency_key)
    if existing is not None:
        return _replay(await db.get(Order, existing), digest)  # type: ignore[arg-type]
    if gate is not None and ctx is not None:
        gate.gate.check(ctx)
    elif precheck is not None:
        await precheck()
    if ctx is None:
        raise NotFound("货架上没有这件商品", code=ShopCode.NOT_ON_SHELF)
    _check_window(ctx, now, req.expected_price_fen)
    rules_quantity(req.quantity, ctx.per_buyer_cap)
    if not req.waitlist_token:  # refusals visible in what we read need no write and wait for no lock
        if ctx.per_buyer_cap is not None and (ctx.quota_used or 0) + req.quantity > ctx.per_buyer_cap:
            raise _cap_reached(ctx.per_buyer_cap)
        if ctx.remaining < req.quantity:
            raise sold_out(ctx.id)
    region_fees = {address.province: ctx.region_fee} if ctx.region_fee is not None else {}
    shipping = rules.shipping_fee(ctx.shipping_kind, ctx.shipping_fen, region_fees, address.province)
    _check_total(ctx.price_fen * req.quantity + shipping, req.expected_total_fen)
    order = Order(
        public_no=new_public_no(now),
        idempotency_key=req.idempotency_key,
        request_digest=digest,
        pool_id=ctx.id,
        sku_id=ctx.sku_id,
        cooperative_id=ctx.cooperative_id,
        supplier_member_id=ctx.supplier_member_id,
        live_session_id=req.live_session_id,
        buyer_user_id=req.buyer_user_id,
        buyer_phone=clean["phone"],
        buyer_name=clean["name"],
        province=address.province,
        city=address.city,
        county=address.county,
        address_detail=address.detail,
        quantity=req.quantity,
        unit_price_fen=ctx.price_fen,
        goods_fen=ctx.price_fen * req.quantity,
        shipping_fen=shipping,
        total_fen=ctx.price_fen * req.quantity + shipping,
        created_at=now,
        expires_at=now + expiry,
    )
    sku_name = f"{ctx.product_name} {ctx.sku_name}"
    if own and intake_batch.ENABLED:
        placed = await _place_batched(db, ctx, order, sku_name)
        if placed is not None:
            return placed
        conn = await db.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    if one_statement:
        return await _place_in_one_statement(db, conn, ctx, order, sku_name, own)
    return await _place_stepwise(db, ctx, order, sku_name, req.waitlist_token)


def rules_quantity(quantity: int, cap: int | None) -> None:
    try:
        rules.validate_quantity(quantity, cap)
    except rules.RuleError as exc:
        raise BadInput(str(exc), field=exc.field) from None


def _validate(req: OrderRequest) -> dict:
    key = req.idempotency_key
    if not 8 <= len(key) <= 80 or not (key.isascii() and key.isprintable()):
        raise BadInput(
            "Idempotency-Key 请求头应为 8–80 个可见 ASCII 字符（每次下单生成一个新的）", field="Idempotency-Key"
        )
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


# The key's order, the pool's whole context and the buyer's quota in one round trip (built once; its cache key is memoised).
_READ = (
    sa.select(
        sa.select(Order.id).where(Order.idempotency_key == sa.bindparam("key")).scalar_subquery().label("existing"),
        StockPool.id,
        StockPool.price_fen,
        StockPool.remaining,
        StockPool.open,
        StockPool.opens_at,
        StockPool.closes_at,
        StockPool.per_buyer_cap,
        StockPool.feed_stream,
        Sku.id.label("sku_id"),
        Sku.name.label("sku_name"),
        Product.name.label("product_name"),
        Product.cooperative_id,
        Product.supplier_member_id,
        Product.shipping_kind,
        Product.shipping_fen,
        sa.select(ShippingRegionFee.fee_fen)
        .where(ShippingRegionFee.product_id == Product.id, ShippingRegionFee.province == sa.bindparam("province"))
        .scalar_subquery()
        .label("region_fee"),
        sa.select(BuyerQuota.used)
        .where(BuyerQuota.pool_id == StockPool.id, BuyerQuota.phone == sa.bindparam("phone"))
        .scalar_subquery()
        .label("quota_used"),
    )
    .join(Sku, Sku.id == StockPool.sku_id)
    .join(Product, Product.id == Sku.product_id)
    .where(StockPool.id == sa.bindparam("pool_id"))
)


_gated_reads: dict[Gate, sa.Select] = {}


def _read_for(gate: Gate | None) -> sa.Select:
    if gate is None:
        return _READ
    read = _gated_reads.get(gate)
    if read is None:
        read = _gated_reads[gate] = _READ.add_columns(*gate.columns)
    return read


async def _id_by_key(db: AsyncSession, key: str) -> int | None:
    return await db.scalar(sa.select(Order.id).where(Order.idempotency_key == key))


def _replay(existing: Order, digest: str) -> Placed:
    if existing.request_digest != digest:
        raise Conflict("这个 Idempotency-Key 已用于另一笔不同的订单", code=ShopCode.IDEMPOTENCY_KEY_REUSED)
    return Placed(existing, False, None)


async def _replay_if_raced(db: AsyncSession, order: Order) -> Placed | None:
    """A request that lost a race to its own retry (same key) gets the order the retry made, not an error."""
    existing = await _id_by_key(db, order.idempotency_key)
    return None if existing is None else _replay(await db.get(Order, existing), order.request_digest)  # type: ignore[arg-type]


def _check_window(pool: Any, now: datetime, expected_price: int | None) -> None:
    if not pool.open:
        raise Conflict("直播已结束或商品已下架，不能再下单", code=ShopCode.NOT_ON_SALE)
    if pool.opens_at and now < pool.opens_at:
        seconds = int((pool.opens_at - now).total_seconds()) + 1
        raise Conflict(f"秒杀还没开始，{seconds} 秒后开抢", code=ShopCode.NOT_OPEN_YET, extra={"opens_in_s": seconds})
    if pool.closes_at and now >= pool.closes_at:
        raise Conflict("秒杀已结束", code=ShopCode.SALE_CLOSED)
    if expected_price is not None and expected_price != pool.price_fen:
        raise Conflict("价格已变化，请刷新后再下单", code=ShopCode.PRICE_CHANGED, extra={"price_fen": pool.price_fen})


def _check_total(total: int, expected: int | None) -> None:
    if expected is not None and expected != total:  # e.g. the shipping fee changed after the confirm step
        raise Conflict(
            f"应付金额已变为 {format_fen(total)}，请确认后再付款",
            code=ShopCode.PRICE_CHANGED,
            extra={"total_fen": total},
        )


def _cap_reached(cap: int) -> Conflict:
    return Conflict(f"每人限购 {cap} 件，您已达到上限", code=ShopCode.PER_BUYER_CAP, field="quantity")


# ---------------------------------------------------------------- PostgreSQL: one statement


async def _place_in_one_statement(
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
        if (replay := await _replay_if_raced(db, order)) is not None:
            return replay
        raise
    except _Refused as refused:
        row = refused
    if row.remaining is None:
        if (replay := await _replay_if_raced(db, order)) is not None:
            return replay
        if capped and row.used is None:
            raise _cap_reached(ctx.per_buyer_cap)
        if capped and own:
            await _give_back_quota(db, ctx.id, order.buyer_phone, order.quantity)  # taken, then the stock was gone
        raise sold_out(ctx.id)
    order.id = row.order_id
    make_transient_to_detached(order)  # what was written is what we hold: keep it in the session, unflushed
    db.add(order)
    if stream:
        mark_for_wake(db.sync_session, stream)
    return Placed(order, True, row.remaining)


async def _place_batched(db: AsyncSession, ctx: Any, order: Order, sku_name: str) -> Placed | None:
    """Placed with the other orders arriving for this pool now (intake_batch); None: place it alone."""
    await db.commit()  # nothing is pending: hand our connection back while the batch's own one works
    entry = intake_batch.Entry(order, msgspec.json.encode(order_payload(order, sku_name)).decode())
    shape = intake_batch.Shape(ctx.id, ctx.per_buyer_cap, ctx.feed_stream)
    outcome = await intake_batch.submit(db.bind, shape, entry, CHANNEL)  # type: ignore[arg-type]
    if outcome.refusal == intake_batch.RETRY:
        return None
    if outcome.refusal is not None:  # a retry with the same key may have won: answer with its order
        if (replay := await _replay_if_raced(db, order)) is not None:
            return replay
        if outcome.refusal == intake_batch.CAP:
            raise _cap_reached(ctx.per_buyer_cap)
        if outcome.refusal == intake_batch.SOLD_OUT:
            raise sold_out(ctx.id)
        return None  # the key's order is gone again: let the one-order statement decide
    order.id = outcome.order_id
    make_transient_to_detached(order)
    db.add(order)
    if ctx.feed_stream:
        mark_for_wake(db.sync_session, ctx.feed_stream)
    return Placed(order, True, outcome.remaining)


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


async def _place_stepwise(
    db: AsyncSession, ctx: Any, order: Order, sku_name: str, waitlist_token: str | None
) -> Placed:
    try:
        async with db.begin_nested():
            remaining = await _reserve(db, ctx, order, waitlist_token)
            db.add(order)
            await db.flush()
    except (IntegrityError, Conflict):
        # Nothing was written. If a retry with the same key won meanwhile (a duplicate key, or it took the
        # last unit or the buyer's quota first), answer with that order; otherwise the refusal stands.
        if (replay := await _replay_if_raced(db, order)) is not None:
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
        await _take_quota(db, pool, order.buyer_phone, order.quantity)
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


async def _take_quota(db: AsyncSession, pool: Any, phone: str, quantity: int) -> None:
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
        raise _cap_reached(cap)


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
