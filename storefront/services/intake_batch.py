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
import logging
import weakref
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from prometheus_client import Histogram
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from caoyuan.web.metrics import REGISTRY
from storefront.services.intake_sql import ORDER_PARAMS, batch_statement, plain

log = logging.getLogger("storefront.intake_batch")

ENABLED = True  # off: every order is its own statement (tests compare both)
MAX_BATCH = 200
WINDOW_S = 0.001  # an idle pool waits this long for company before its first statement
LINGER_S = 0.05  # a runner keeps its connection this long after the last order

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


class _Queue:
    def __init__(self) -> None:
        self.waiting: list[Entry] = []
        self.runner: asyncio.Task | None = None
        self.arrived = asyncio.Event()  # set by each order, so an idle runner wakes instead of polling


_queues: weakref.WeakKeyDictionary[Any, dict[Shape, _Queue]] = weakref.WeakKeyDictionary()


class ReadSlot:
    """One of ``pool size - 1`` places for an order's read on a pooled connection (one is the runner's).

    64 orders in flight against a pool of 10 (+10 overflow) kept opening and closing overflow connections
    (a backend fork, asyncpg's SSL attempt, every statement prepared again): the order route then waited,
    not worked. Orders wait here instead, on the event loop, and the pool never overflows for them.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._semaphore = _semaphore(engine)
        self.held = False

    async def take(self) -> None:
        await self._semaphore.acquire()
        self.held = True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self._semaphore.release()


_slots: weakref.WeakKeyDictionary[Any, dict[asyncio.AbstractEventLoop, asyncio.Semaphore]] = weakref.WeakKeyDictionary()


def _semaphore(engine: AsyncEngine) -> asyncio.Semaphore:
    loops = _slots.setdefault(engine.sync_engine, {})
    loop = asyncio.get_running_loop()
    semaphore = loops.get(loop)
    if semaphore is None:
        size = getattr(engine.sync_engine.pool, "size", lambda: 10)()
        semaphore = loops[loop] = asyncio.Semaphore(max(1, size - 1))
    return semaphore


async def submit(engine: AsyncEngine, shape: Shape, entry: Entry, channel: str) -> Outcome:
    queue = _queues.setdefault(engine.sync_engine, {}).setdefault(shape, _Queue())
    queue.waiting.append(entry)
    queue.arrived.set()
    if queue.runner is None:
        queue.runner = asyncio.get_running_loop().create_task(_run(engine, shape, queue, channel))
    return await entry.future


async def _run(engine: AsyncEngine, shape: Shape, queue: _Queue, channel: str) -> None:
    """Batches on one connection, kept while orders keep coming (no checkout per batch behind the requests'
    own), handed back after ``LINGER_S`` without any."""
    batch: list[Entry] = []
    try:
        await asyncio.sleep(WINDOW_S)
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")  # one statement, one commit
            while await _orders_come(queue):
                batch = _take(queue)
                try:
                    outcomes, left_over = await _place(conn, shape, batch, channel)
                    BATCH_ORDERS.labels("placed").observe(len(batch))
                except Exception:
                    BATCH_ORDERS.labels("failed").observe(len(batch))
                    log.warning("a batch of %d orders failed; placing them one by one", len(batch), exc_info=True)
                    _answer(queue, batch, [Outcome(RETRY)] * len(batch), 0)
                    break  # the connection may be broken: the next order starts a runner with a fresh one
                _answer(queue, batch, outcomes, left_over)
                batch = []
    except BaseException:
        for entry in batch + queue.waiting:  # a batch cut off mid-statement is retried alone (a replay if it committed)
            if not entry.future.done():
                entry.future.set_result(Outcome(RETRY))
        queue.waiting.clear()
        raise
    finally:
        queue.runner = None
    if queue.waiting:  # arrived after the failure
        queue.runner = asyncio.get_running_loop().create_task(_run(engine, shape, queue, channel))


async def _orders_come(queue: _Queue) -> bool:
    """True when orders wait (after a short window for company); False after ``LINGER_S`` without any."""
    if not queue.waiting:
        queue.arrived.clear()
        try:
            await asyncio.wait_for(queue.arrived.wait(), LINGER_S)
        except TimeoutError:
            return bool(queue.waiting)
        await asyncio.sleep(WINDOW_S)
    return True


def _answer(queue: _Queue, batch: list[Entry], outcomes: list[Outcome], left_over: int) -> None:
    again = []
    for entry, outcome in zip(batch, outcomes, strict=True):
        if outcome.refusal == SOLD_OUT and entry.order.quantity <= left_over and not entry.future.done():
            again.append(entry)  # cut off behind a bigger order, yet the rest would fit: next batch
        elif not entry.future.done():  # its request may have gone away; the order stands
            entry.future.set_result(outcome)
    queue.waiting[:0] = again


def _take(queue: _Queue) -> list[Entry]:
    """Up to MAX_BATCH orders, each phone and key once (a buyer's second order waits for the next batch)."""
    batch: list[Entry] = []
    rest: list[Entry] = []
    phones: set[str] = set()
    keys: set[str] = set()
    for entry in queue.waiting:
        order = entry.order
        if len(batch) >= MAX_BATCH or order.buyer_phone in phones or order.idempotency_key in keys:
            rest.append(entry)
            continue
        phones.add(order.buyer_phone)
        keys.add(order.idempotency_key)
        batch.append(entry)
    queue.waiting = rest
    return batch


async def _place(conn: AsyncConnection, shape: Shape, batch: list[Entry], channel: str) -> tuple[list[Outcome], int]:
    params: dict[str, Any] = {
        "b_idx": list(range(len(batch))),
        "b_payload": [entry.payload for entry in batch],
        "pool_id": shape.pool_id,
        "cap": shape.cap,
        "feed_stream": shape.stream,
        "feed_channel": channel,
        "feed_now": batch[0].order.created_at,
        "stock_prefix": f'{{"pool_id":{shape.pool_id},"remaining":',
    }
    for name, key in ORDER_PARAMS:
        params["a" + name[1:]] = [plain(getattr(entry.order, key)) for entry in batch]
    statement = batch_statement(shape.cap is not None, bool(shape.stream))
    rows = {row.idx: row for row in await conn.execute(statement, params)}
    left_over = rows[0].left_over or 0
    outcomes = [_outcome(rows[i]) for i in range(len(batch))]
    if shape.cap is not None:  # quota taken, then the stock ran out before this order: give it back
        back = [e.order for e, o in zip(batch, outcomes, strict=True) if o.refusal == SOLD_OUT]
        if back:
            try:
                await conn.execute(_GIVE_BACK, _give_back_params(shape, back))
            except Exception:  # the orders stand; a quota not given back only refuses that buyer early
                log.exception("could not give back %d quotas of pool %s", len(back), shape.pool_id)
    return outcomes, left_over


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
    if not row.fresh:
        return Outcome(KEY_USED)
    if not row.quota_ok:
        return Outcome(CAP)
    if row.order_id is None:
        return Outcome(SOLD_OUT)
    return Outcome(None, row.order_id, row.remaining)
