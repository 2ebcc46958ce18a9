"""The intake's read: what an order needs to know before it may be written, for one order or for a batch.

For each order: whether its Idempotency-Key already has an order, the pool with its SKU and product, the
buyer's regional shipping fee and quota used, and the columns of the caller's ``Gate`` (e.g. is the show
live and the pool on its shelf). On PostgreSQL the orders in flight are read together (``read_batched``):
one statement, one row per order, on the batch runner's connection, so an order checks out no connection
of its own. Orders of one gate (one show) share a batch whatever their pools.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from caoyuan.db.batches import Batcher
from caoyuan.db.prepared import REPLAN_GROWING, DriverStatement, as_text, fetch, for_driver
from storefront.models import BuyerQuota, Order, Product, ShippingRegionFee, Sku, StockPool

ALONE = object()  # the batched read failed: read on the request's own session


@dataclass(frozen=True, eq=False)
class Gate:
    """A caller's own rule, read in the intake's one read instead of a round trip of its own.

    ``columns`` are labelled expressions (e.g. scalar subqueries) added to the read of the pool; they may
    use ``StockPool`` and bind parameters named in ``params``. ``check`` gets the row (those labels as
    attributes) after a replay is ruled out and raises to refuse. Build a Gate once, at import: its read
    statements are built and cached per Gate.
    """

    columns: tuple[Any, ...]
    check: Callable[[Any], None]


@dataclass(frozen=True)
class GateCall:
    gate: Gate
    params: dict[str, Any]


def _columns(key: Any, phone: Any, province: Any) -> tuple[Any, ...]:
    """The key's order, the pool's whole context and the buyer's quota and fee, for one order's values."""
    return (
        sa.select(Order.id).where(Order.idempotency_key == key).scalar_subquery().label("existing"),
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
        .where(ShippingRegionFee.product_id == Product.id, ShippingRegionFee.province == province)
        .scalar_subquery()
        .label("region_fee"),
        sa.select(BuyerQuota.used)
        .where(BuyerQuota.pool_id == StockPool.id, BuyerQuota.phone == phone)
        .scalar_subquery()
        .label("quota_used"),
    )


_POOL = sa.join(StockPool, Sku, Sku.id == StockPool.sku_id).join(Product, Product.id == Sku.product_id)

# One order (built once; its cache key is memoised): no row when the pool does not exist.
READ = (
    sa.select(*_columns(sa.bindparam("key"), sa.bindparam("phone"), sa.bindparam("province")))
    .select_from(_POOL)
    .where(StockPool.id == sa.bindparam("pool_id"))
)

# Many orders: one row each, in the order given; the pool's columns are NULL when it does not exist. The
# orders come as one JSON array of rows, not an array per column (asyncpg checks each array element in Python).
_ASKED = (
    sa.func.jsonb_to_recordset(sa.cast(sa.bindparam("r_rows"), JSONB))
    .table_valued(
        sa.column("idx", sa.Integer),
        sa.column("key", sa.String),
        sa.column("pool_id", sa.Integer),
        sa.column("phone", sa.String),
        sa.column("province", sa.String),
    )
    .render_derived("asked", with_types=True)
)
BATCH_READ = sa.select(_ASKED.c.idx, *_columns(_ASKED.c.key, _ASKED.c.phone, _ASKED.c.province)).select_from(
    _ASKED.outerjoin(_POOL, StockPool.id == _ASKED.c.pool_id)
)

_ENCODE = msgspec.json.Encoder().encode
_gated: dict[tuple[Gate | None, bool], sa.Select | sa.TextualSelect] = {}


def read_for(gate: Gate | None, batched: bool = False) -> sa.Select | sa.TextualSelect:
    """The read, with the gate's columns; the batched one (PostgreSQL only) as text compiled once."""
    key = (gate, batched)
    if key not in _gated:
        read = BATCH_READ if batched else READ
        if gate is not None:
            read = read.add_columns(*gate.columns)
        _gated[key] = as_text(read) if batched else read
    return _gated[key]


@dataclass
class Ask:
    key: str
    pool_id: int
    phone: str
    province: str
    future: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    # Given, the runner calls it with the row (or ALONE) instead of answering ``future``: it goes on with the
    # order there, and answers ``future`` itself (the caller then waits once, not for the read and the write).
    then: Callable[[Any], None] | None = None
    handed: bool = False  # the row went to ``future`` or ``then``: never twice


def read_batched(engine: AsyncEngine, gate: GateCall | None, ask: Ask) -> asyncio.Future:
    """To await: this order's row, read with the others in flight; ``ALONE`` if the batch failed."""
    key = (gate.gate, tuple(sorted(gate.params.items()))) if gate else (None, ())
    return _BATCHES.submit(engine, key, ask)


async def _run(conn: AsyncConnection, key: tuple[Gate | None, tuple], batch: list[Ask]) -> list[Ask]:
    gate, gate_params = key
    params: dict[str, Any] = dict(gate_params)
    params["r_rows"] = _ENCODE(
        [
            {"idx": idx, "key": ask.key, "pool_id": ask.pool_id, "phone": ask.phone, "province": ask.province}
            for idx, ask in enumerate(batch)
        ]
    ).decode()
    for record in await fetch(conn, _driver_read(gate), params):
        _hand(batch[record["idx"]], SimpleNamespace(**record))  # read by attribute, as a row would be
    _alone(batch)  # none left: one row per order
    return []


def _hand(ask: Ask, row: Any) -> None:
    ask.handed = True
    if ask.then is not None:
        ask.then(row)
    elif not ask.future.done():  # its request may have gone away
        ask.future.set_result(row)


def _alone(batch: list[Ask]) -> None:
    for ask in batch:
        if not ask.handed:
            _hand(ask, ALONE)


@functools.lru_cache(maxsize=8)
def _driver_read(gate: Gate | None) -> DriverStatement:
    """The batched read for asyncpg itself: the runner repeats it on the connection it holds."""
    return for_driver(read_for(gate, batched=True), replan_after=REPLAN_GROWING)


_BATCHES: Batcher[Ask] = Batcher("intake read", _run, _alone)
