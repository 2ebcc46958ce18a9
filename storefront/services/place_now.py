"""An order from a caller with no transaction of its own (an API request), on PostgreSQL: read and written
with the other orders in flight, and no session opened for it at all.

The common case of a big show — a new key, a pool that exists, an order the read allows — costs the
request no connection, no session and no commit of its own. Anything out of the ordinary is handed to the
caller's ``fallback`` (``place_order`` in a session of its own), which decides it as before: a replayed key
(its order is loaded and compared), a pool that does not exist (the caller's precheck explains why), a
refusal the batch statement found (a retry with the same key may have won meanwhile), a failed batch,
SQLite, a waitlist claim, a database behind PgBouncer.

The request waits once. The read's runner, given the order's row, builds the order there (``_build``) and
queues it for its pool's write batch; the write's answer settles the request's future (``_written``). A
request that goes away before its row arrives is never built or written; one that goes away later leaves
its order standing (a retry with the same key gets it back).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from caoyuan.db import utcnow
from caoyuan.db.engine import autocommit_safe
from caoyuan.errors import AppError
from caoyuan.web import metrics
from storefront.models import Order
from storefront.services import intake_batch, intake_read
from storefront.services.intake_outcomes import Placed
from storefront.services.intake_read import GateCall
from storefront.services.intake_write import write_soon
from storefront.services.place_order import DEFAULT_EXPIRY, OrderRequest, new_order, request_digest, validate

Fallback = Callable[[], Awaitable[Placed]]


def can_place_now(engine: AsyncEngine, req: OrderRequest) -> bool:
    return (
        intake_batch.ENABLED
        and engine.dialect.name == "postgresql"
        and not req.waitlist_token
        and autocommit_safe(engine)
    )


async def place_order_now(
    engine: AsyncEngine,
    req: OrderRequest,
    fallback: Fallback,
    expiry: timedelta = DEFAULT_EXPIRY,
    gate: GateCall | None = None,
) -> Placed:
    """The order placed (committed when this returns), or a refusal raised; ``fallback()`` decides the rest."""
    if not can_place_now(engine, req):
        return await fallback()
    try:
        placed = await _place_now(engine, req, expiry, gate)
    except AppError as exc:
        metrics.intake_refused(exc.code)
        raise
    return placed if placed is not None else await fallback()


async def _place_now(engine: AsyncEngine, req: OrderRequest, expiry: timedelta, gate: GateCall | None) -> Placed | None:
    now = utcnow()
    clean = validate(req)
    ask = intake_read.Ask(req.idempotency_key, req.pool_id, clean["phone"], clean["address"].province)
    ask.then = partial(_build, engine, req, clean, expiry, gate, now, ask.future)
    return await intake_read.read_batched(engine, gate, ask)  # answered by _build, or by _written after it


def _build(  # noqa: PLR0913
    engine: AsyncEngine,
    req: OrderRequest,
    clean: dict,
    expiry: timedelta,
    gate: GateCall | None,
    now: datetime,
    answer: asyncio.Future,
    row: Any,
) -> None:
    """In the read's runner, with this order's row: build the order and queue it for the write batch.

    Runs there rather than in the request, so that the request waits once (for ``answer``), not twice."""
    if answer.done():
        return  # the request went away before its order was built: nothing is written
    try:
        if row is intake_read.ALONE or row.existing is not None or row.id is None:
            answer.set_result(None)  # a failed read, a replay, no such pool
            return
        if gate is not None:
            gate.gate.check(row)
        order, sku_name = new_order(req, clean, request_digest(req, clean), row, now, expiry, checked=True, draft=True)
        written = write_soon(engine, row, order, sku_name)
    except Exception as exc:  # a refusal (or a fault) is the request's to raise
        answer.set_exception(exc)
        return
    written.add_done_callback(partial(_written, answer, order))


def _written(answer: asyncio.Future, order: Order, written: asyncio.Future) -> None:
    if answer.done():
        return  # its request went away; the order stands
    outcome = written.result() if not written.cancelled() else None
    if outcome is None or outcome.refusal is not None:
        answer.set_result(None)  # its request decides, in a session: a replay, a full quota, sold out, or alone
        return
    order.id = outcome.order_id  # an OrderDraft: a plain attribute
    answer.set_result(Placed(order, True, outcome.remaining))
