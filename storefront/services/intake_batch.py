"""Group commit for the intake (PostgreSQL): concurrent orders for one pool placed by one statement.

Every order of a flash sale takes the same rows — the pool's stock, the session's feed counter — and each
is locked until its transaction's commit has reached the disk, so one order after another the pool takes
only as many orders per second as the disk takes commits (~350/s here). Here the orders that arrive while
a statement runs wait in a queue; the next statement places all of them (up to ``MAX_BATCH``) with one
lock of the pool, one counter bump and one commit, and each order gets its own answer.

A batch runs on a connection of its own, in a task of its own (a request that goes away does not stop
it). If the statement fails as a whole (e.g. a key raced in from another process), nothing was written
and every order of it is answered ``RETRY``: its request places it alone, as before batching.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import operator
from dataclasses import dataclass, field
from typing import Any

import msgspec
import sqlalchemy as sa
from prometheus_client import Histogram
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from caoyuan.db.batches import Batcher
from caoyuan.db.prepared import REPLAN_GROWING, DriverStatement, fetch, for_driver
from caoyuan.feed.hub import CHANNEL, HUB
from caoyuan.web import metrics
from caoyuan.web.metrics import REGISTRY
from storefront.services.intake_sql import ROW_NAMES, SENT_COLUMNS, batch_statement

log = logging.getLogger("storefront.intake_batch")

ENABLED = True  # off: every order is its own statement (tests compare both)
MAX_BATCH = 200

BATCH_ORDERS = Histogram(
    "caoyuan_intake_batch_orders",
    "Orders per intake statement (group commit), and batches that failed as a whole (outcome=failed)",
    ["outcome"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
    registry=REGISTRY,
)

RETRY = "retry"  # the batch failed as a whole: place this order alone
KEY_USED = "key_used"  # its Idempotency-Key already has an order
CAP = "cap"  # the buyer's quota is full
SOLD_OUT = "sold_out"


@dataclass(frozen=True)
class Shape:
    """What every order of one batch shares: one pool, its cap, its feed stream."""

    pool_id: int
    cap: int | None
    stream: str | None


@dataclass
class Entry:
    order: Any  # storefront.models.Order, not yet written
    payload: str  # the order_placed event's JSON
    future: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


@dataclass(frozen=True)
class Outcome:
    refusal: str | None  # None when placed
    order_id: int | None = None
    remaining: int | None = None


def _take(waiting: list[Entry]) -> tuple[list[Entry], list[Entry]]:
    """Up to MAX_BATCH orders, each phone and key once (a buyer's second order waits for the next batch)."""
    batch: list[Entry] = []
    rest: list[Entry] = []
    phones: set[str] = set()
    keys: set[str] = set()
    for entry in waiting:
        order = entry.order
        if len(batch) >= MAX_BATCH or order.buyer_phone in phones or order.idempotency_key in keys:
            rest.append(entry)
            continue
        phones.add(order.buyer_phone)
        keys.add(order.idempotency_key)
        batch.append(entry)
    return batch, rest


async def _run(conn: AsyncConnection, shape: Shape, batch: list[Entry]) -> list[Entry]:
    outcomes, left_over = await _place(conn, shape, batch)
    BATCH_ORDERS.labels("placed").observe(len(batch))
    placed = sum(outcome.refusal is None for outcome in outcomes)
    if placed:  # committed: count them, and wake this process's feed readers once for the batch
        metrics.ORDERS.labels("placed").inc(placed)
        if shape.stream and not HUB.listening:  # else the statement's NOTIFYs bring them the events
            HUB.wake(shape.stream)
    return _answer(batch, outcomes, left_over)


def _retry_alone(batch: list[Entry]) -> None:
    BATCH_ORDERS.labels("failed").observe(len(batch))
    for entry in batch:
        entry.future.set_result(Outcome(RETRY))


# A crowd in three cohorts: two are answered and come back while the third's statement runs (64 in flight:
# the process busy 0.70 → 0.95 of the time).
BATCHES: Batcher[Entry] = Batcher("intake", _run, _retry_alone, take=_take, cohorts=3)


def submit(engine: AsyncEngine, shape: Shape, entry: Entry) -> asyncio.Future[Outcome]:
    return BATCHES.submit(engine, shape, entry)


def _answer(batch: list[Entry], outcomes: list[Outcome], left_over: int) -> list[Entry]:
    again = []
    for entry, outcome in zip(batch, outcomes, strict=True):
        if outcome.refusal == SOLD_OUT and entry.order.quantity <= left_over and not entry.future.done():
            again.append(entry)  # cut off behind a bigger order, yet the rest would fit: next batch
        elif not entry.future.done():  # its request may have gone away; the order stands
            entry.future.set_result(outcome)
    return again


async def _place(conn: AsyncConnection, shape: Shape, batch: list[Entry]) -> tuple[list[Outcome], int]:
    params: dict[str, Any] = {
        "b_rows": _order_rows(batch),
        "pool_id": shape.pool_id,
        "cap": shape.cap,
        "feed_stream": shape.stream,
        "feed_channel": CHANNEL,
        "feed_now": batch[0].order.created_at,
        "stock_prefix": f'{{"pool_id":{shape.pool_id},"remaining":',
    }
    statement = _driver_statement(shape.cap is not None, bool(shape.stream))
    rows = {row["idx"]: row for row in await fetch(conn, statement, params)}
    left_over = rows[0]["left_over"] or 0
    outcomes = [_outcome(rows[i]) for i in range(len(batch))]
    if shape.cap is not None:  # quota taken, then the stock ran out before this order: give it back
        back = [e.order for e, o in zip(batch, outcomes, strict=True) if o.refusal == SOLD_OUT]
        if back:
            try:
                await conn.execute(_GIVE_BACK, _give_back_params(shape, back))
            except Exception:  # the orders stand; a quota not given back only refuses that buyer early
                log.exception("could not give back %d quotas of pool %s", len(back), shape.pool_id)
    return outcomes, left_over


_ORDER_VALUES = operator.itemgetter(*(column.key for column in SENT_COLUMNS))
_ENCODE = msgspec.json.Encoder().encode


def _order_rows(batch: list[Entry]) -> str:
    """The batch as one JSON array of rows (``ROW_NAMES``): its index, its event's payload, the columns the
    intake filled in (the statement writes the others' defaults itself, ``intake_sql.FILLED``).

    The orders are checked_order's: every value sits in the instance's ``__dict__``, read there without the
    ORM's attribute machinery. msgspec writes enums as their values and aware datetimes in RFC 3339.
    """
    return _ENCODE(
        [
            dict(zip(ROW_NAMES, (idx, entry.payload, *_ORDER_VALUES(entry.order.__dict__)), strict=True))
            for idx, entry in enumerate(batch)
        ]
    ).decode()


_GIVE_BACK = sa.text(
    "UPDATE shop_buyer_quota AS q SET used = q.used - g.quantity "
    "FROM unnest(CAST(:phones AS VARCHAR[]), CAST(:quantities AS INTEGER[])) AS g(phone, quantity) "
    "WHERE q.pool_id = CAST(:pool_id AS INTEGER) AND q.phone = g.phone AND q.used >= g.quantity"
)


def _give_back_params(shape: Shape, orders: list[Any]) -> dict[str, Any]:
    return {
        "pool_id": shape.pool_id,
        "phones": [order.buyer_phone for order in orders],
        "quantities": [order.quantity for order in orders],
    }


def _outcome(row: Any) -> Outcome:
    if not row["fresh"]:
        return Outcome(KEY_USED)
    if not row["quota_ok"]:
        return Outcome(CAP)
    if row["order_id"] is None:
        return Outcome(SOLD_OUT)
    return Outcome(None, row["order_id"], row["remaining"])


@functools.lru_cache(maxsize=4)
def _driver_statement(capped: bool, feed: bool) -> DriverStatement:
    """The batch statement for asyncpg itself: the runner repeats it on the connection it holds."""
    return for_driver(batch_statement(capped, feed), replan_after=REPLAN_GROWING)
