"""Requests of a kind that may run at once, per process: the rest wait before the app reads them.

A domain names a costly write (method and exact path) and how many may run at a time; a flood of them then
waits here, at the cost of uvicorn's parsing only, holding no database connection and running no middleware,
routing or body decoding until its turn, and is let in in arrival order. Everything else on the event loop
(a quote, a page) is so not queued behind a thousand requests being prepared only to wait.
"""

from __future__ import annotations

import asyncio
import weakref

_limits: dict[tuple[str, str], int] = {}
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


def limit(method: str, path: str, at_once: int) -> None:
    """At most ``at_once`` requests ``method path`` (exact path) run at a time in this process."""
    if at_once < 1:
        raise ValueError("at_once must be at least 1")
    _limits[(method.upper(), path)] = at_once


def admission(method: str, path: str) -> asyncio.Semaphore | None:
    """The gate for this request when its kind is limited (None, the usual case: nothing to wait for)."""
    at_once = _limits.get((method, path))
    if at_once is None:
        return None
    loop = asyncio.get_running_loop()  # a semaphore belongs to one loop; tests run several
    gates = _gates.get(loop)
    if gates is None:
        gates = _gates[loop] = {}
    gate = gates.get((method, path))
    if gate is None:
        gate = gates[(method, path)] = asyncio.Semaphore(at_once)
    return gate
