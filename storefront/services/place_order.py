"""Order intake: validate, honour the Idempotency-Key, reserve stock and the buyer's quota atomically.

One read (``intake_read``) fetches the key's order (if any) and the pool with its SKU, product, the buyer's
regional shipping fee and quota; on PostgreSQL, with no transaction of the caller's open, the orders in
flight are read together. Then one guarded statement — a data-modifying CTE — takes the buyer's quota, the
stock, inserts the order and numbers both feed events; concurrent orders for one pool share that statement
(group commit, ``intake_batch``), which is its own transaction, so the hot rows (the pool, the session's
feed counter) are locked only inside the database for the statement's own duration, never while our event
loop serves other requests. ``place_now`` is the same intake for an API request with no session at all.
The writes live in ``intake_write``, the answers and refusals in ``intake_outcomes``. SQLite serialises
writers, so there the same guarded statements run one after another inside the caller's transaction (as
does a waitlist claim on either database).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import utcnow
from caoyuan.db.engine import autocommit_safe
from caoyuan.errors import AppError, BadInput, Conflict, NotFound
from caoyuan.identity import IdentityError, normalize_phone
from caoyuan.money import format_fen
from caoyuan.web import metrics
from storefront import rules
from storefront.errors import ShopCode
from storefront.models import Order
from storefront.services import intake_batch, intake_outcomes, intake_read, intake_write
from storefront.services.intake_outcomes import Placed, SoldOut, cap_reached, id_by_key, replay, sold_out
from storefront.services.intake_read import Gate, GateCall
from storefront.services.intake_write import take_quota as _take_quota  # settle_payment's re-take of a quota

__all__ = ["Gate", "GateCall", "OrderRequest", "Placed", "SoldOut", "place_order", "sold_out", "_take_quota"]

DEFAULT_EXPIRY = timedelta(minutes=15)


@dataclass  # not frozen: a frozen dataclass sets each of its 14 fields through object.__setattr__ (2.6 µs an order)
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


def request_digest(req: OrderRequest, clean: dict) -> str:
    address = clean["address"]
    return rules.request_digest(
        req.pool_id, req.quantity, clean["phone"], clean["name"], address, req.live_session_id, req.waitlist_token
    )


def new_public_no(now: datetime) -> str:
    return _day_prefix(now.date()) + secrets.token_hex(5).upper()


@functools.lru_cache(maxsize=4)
def _day_prefix(day: date) -> str:
    """The "CY" prefix and the UTC date, formatted once a day rather than once an order (strftime was most of the
    number's cost)."""
    return f"CY{day:%y%m%d}"


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
        clean = validate(req)
    except AppError as exc:
        metrics.intake_refused(exc.code)
        raise
    digest = request_digest(req, clean)
    one_statement = db.bind.dialect.name == "postgresql" and not req.waitlist_token
    own = one_statement and not db.in_transaction() and not (db.new or db.dirty or db.deleted)
    own = own and autocommit_safe(db.bind)  # behind PgBouncer the statement runs in a transaction
    batched = own and intake_batch.ENABLED  # read and written with the other orders in flight
    try:
        if own and not batched:
            # Nothing of the caller's is pending: run the intake in autocommit, one statement = one transaction.
            await db.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        placed = await _place(db, req, clean, digest, now, expiry, precheck, one_statement, own, gate, batched)
    except BaseException as exc:
        if own and db.in_transaction():
            await db.rollback()
        if isinstance(exc, AppError):
            metrics.intake_refused(exc.code)
        raise
    if batched and placed.created:
        return placed  # counted and its feed woken by the batch that committed it; nothing of ours to commit
    if placed.created:
        metrics.count_on_commit(db, "placed")
    if own:
        await db.commit()  # nothing left to commit; hands the connection back and wakes feed readers
    return placed


async def _read(
    db: AsyncSession, req: OrderRequest, params: dict[str, Any], gate: GateCall | None, batched: bool
) -> tuple[int | None, Any]:
    """The key's order (if any), and the pool's context row (None when there is no such pool)."""
    if batched:
        ask = intake_read.Ask(req.idempotency_key, req.pool_id, params["phone"], params["province"])
        row = await intake_read.read_batched(db.bind, gate, ask)  # type: ignore[arg-type]
        if row is not intake_read.ALONE:
            return row.existing, (row if row.id is not None else None)
        await db.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    if db.new or db.dirty or db.deleted:
        await db.flush()  # the read below goes straight to the connection (no ORM layer, no autoflush)
    conn = await db.connection()
    if gate is not None:
        params.update(gate.params)
    ctx = (await conn.execute(intake_read.read_for(gate.gate if gate else None), params)).first()
    existing = ctx.existing if ctx is not None else await id_by_key(db, req.idempotency_key)
    return existing, ctx


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
    batched: bool = False,
) -> Placed:
    address: rules.Address = clean["address"]
    params = {"key": req.idempotency_key, "pool_id": req.pool_id, "phone": clean["phone"], "province": address.province}
    existing, ctx = await _read(db, req, params, gate, batched)
    if existing is not None:
        return replay(await db.get(Order, existing), digest)  # type: ignore[arg-type]
    if gate is not None and ctx is not None:
        gate.gate.check(ctx)
    elif precheck is not None:
        await precheck()
    if ctx is None:
        raise NotFound("货架上没有这件商品", code=ShopCode.NOT_ON_SHELF)
    order, sku_name = new_order(req, clean, digest, ctx, now, expiry, one_statement)
    if batched:
        placed = await intake_write.place_batched(db, ctx, order, sku_name)
        if placed is not None:
            return placed
    conn = await db.connection(execution_options={"isolation_level": "AUTOCOMMIT"}) if own else await db.connection()
    if one_statement:
        return await intake_write.place_in_one_statement(db, conn, ctx, order, sku_name, own)
    return await intake_write.place_stepwise(db, ctx, order, sku_name, req.waitlist_token)


def new_order(  # noqa: PLR0913
    req: OrderRequest,
    clean: dict,
    digest: str,
    ctx: Any,
    now: datetime,
    expiry: timedelta,
    checked: bool,
    draft: bool = False,
) -> tuple[Order, str]:
    """The order the intake's read allows (or the refusal it shows), not yet written; and its SKU's name.
    ``checked``: build it without pydantic's validation (for the PostgreSQL statements, see checked_order);
    ``draft``: as a plain OrderDraft, for a request with no session (place_now)."""
    address: rules.Address = clean["address"]
    _check_window(ctx, now, req.expected_price_fen)
    rules_quantity(req.quantity, ctx.per_buyer_cap)
    if not req.waitlist_token:  # refusals visible in what we read need no write and wait for no lock
        if ctx.per_buyer_cap is not None and (ctx.quota_used or 0) + req.quantity > ctx.per_buyer_cap:
            raise cap_reached(ctx.per_buyer_cap)
        if ctx.remaining < req.quantity:
            raise sold_out(ctx.id)
    region_fees = {address.province: ctx.region_fee} if ctx.region_fee is not None else {}
    shipping = rules.shipping_fee(ctx.shipping_kind, ctx.shipping_fen, region_fees, address.province)
    _check_total(ctx.price_fen * req.quantity + shipping, req.expected_total_fen)
    build = intake_outcomes.draft_order if draft else intake_outcomes.checked_order if checked else Order
    order = build(
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
    return order, f"{ctx.product_name} {ctx.sku_name}"


def rules_quantity(quantity: int, cap: int | None) -> None:
    try:
        rules.validate_quantity(quantity, cap)
    except rules.RuleError as exc:
        raise BadInput(str(exc), field=exc.field) from None


def validate(req: OrderRequest) -> dict:
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
