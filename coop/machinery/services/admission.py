"""Bookings in flight per process, bounded: a flood of bookings waits here, not for the database pool.

A booking is a transaction of a dozen round trips that ends on an operator-day row lock; a thousand at once
would take every pooled connection, leave the rest waiting for one until the pool's timeout (a 500), and keep
a thousand tasks runnable on the event loop, so that a quote (its own small pool) waited behind all of them.
Here only a few run at a time, each to its commit; the others wait idle, costing neither a connection nor
the event loop's time, and are served in arrival order.
"""

from __future__ import annotations

import asyncio
import weakref

BOOKINGS_IN_FLIGHT = 4  # per process; well under the pool (10 + 10), and one operator-day takes one at a time

_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def booking_gate() -> asyncio.Semaphore:
    """This event loop's gate (a semaphore belongs to one loop; tests run several)."""
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(BOOKINGS_IN_FLIGHT)
    return gate
