"""Requests of a kind that may run at once, per process: the rest wait before the app reads them.

A domain names a costly write (method and exact path) and how many may run at a time; a flood of them then
waits here, at the cost of uvicorn's parsing only, holding no database connection and running no middleware,
routing or body decoding until its turn, and is let in in arrival order. Everything else on the event loop
(a quote, a page) is so not queued behind a thousand requests being prepared only to wait.

While requests wait at a gate (a flood), three more things keep it from slowing everyone else:

* A limited request whose turn has come yields, for at most ``YIELD_AT_MOST``, to other requests in flight.
  While the slots are full the event loop runs every admitted request's steps before a quote's next step; a
  quote then took 6.5 ms at the median and 29 ms at p99 under booking_race's flood. A booking is a slow,
  deliberate action; a quote or a page is someone waiting at a screen. Other requests are counted only
  while someone waits at a gate, so the usual request pays one look at a number.
* A limited request whose client has gone while it waited is dropped unread (status 499, nginx's "client
  closed"): when a thousand clients gave up at once, the server spent the next 0.4 s refusing bookings
  nobody would read, every quote behind them.
* From ``FLOOD_WAITERS`` waiting until none waits, the garbage collector sweeps in small steps
  (``caoyuan.web.heap.flooding``): the waiting requests' objects had made a 10–20 ms sweep every second.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable
from dataclasses import dataclass, field

from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

from caoyuan.web import heap

CLIENT_GONE = 499
YIELD_AT_MOST = 0.02  # seconds a limited request waits for others in flight: ≥ 200 of them a second per slot
FLOOD_WAITERS = 32  # requests waiting at this process's gates from which the GC sweeps in small steps

_limits: dict[tuple[str, str], int] = {}
_waiting = 0  # requests at this process's gates, every event loop's (the GC is the process's)
_flooded = False


@dataclass
class _Lane:
    """One event loop's gates and its count of unlimited requests in flight (a semaphore belongs to one loop;
    tests run several)."""

    gates: dict[tuple[str, str], asyncio.Semaphore] = field(default_factory=dict)
    others: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)


_lanes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Lane] = weakref.WeakKeyDictionary()


def limit(method: str, path: str, at_once: int) -> None:
    """At most ``at_once`` requests ``method path`` (exact path) run at a time in this process."""
    if at_once < 1:
        raise ValueError("at_once must be at least 1")
    _limits[(method.upper(), path)] = at_once


def _lane() -> _Lane:
    loop = asyncio.get_running_loop()
    lane = _lanes.get(loop)
    if lane is None:
        lane = _lanes[loop] = _Lane()
        lane.idle.set()
    return lane


def run(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> Awaitable[int | None]:
    """Run the app for one HTTP request, a limited kind in its turn; ``CLIENT_GONE`` if it was dropped unread.

    Not itself a coroutine: the usual request (no limit, no queue) awaits the app's own call, with no frame
    of this module's in between (one coroutine fewer a request on the order route)."""
    kind = (scope["method"], scope["path"])  # type: ignore[typeddict-item]  # an HTTP scope
    at_once = _limits.get(kind)
    if at_once is not None:
        return _in_turn(kind, at_once, app, scope, receive, send)
    if not _waiting:  # the usual case: no flood, nothing to count
        return app(scope, receive, send)  # type: ignore[return-value]  # resolves to None
    return _counted(app, scope, receive, send)


async def _counted(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Another request while some wait at a gate: counted, so one whose turn comes steps aside for it."""
    lane = _lane()
    lane.others += 1
    lane.idle.clear()
    try:
        await app(scope, receive, send)
    finally:
        lane.others -= 1
        if not lane.others:
            lane.idle.set()


async def _in_turn(
    kind: tuple[str, str], at_once: int, app: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> int | None:
    lane = _lane()
    gate = lane.gates.get(kind)
    if gate is None:
        gate = lane.gates[kind] = asyncio.Semaphore(at_once)
    _queue(+1)
    try:
        await gate.acquire()
    finally:
        _queue(-1)
    try:
        if lane.others:
            try:
                async with asyncio.timeout(YIELD_AT_MOST):
                    await lane.idle.wait()
            except TimeoutError:
                pass  # others keep coming: go ahead, so a steady stream of them cannot starve this kind
        first = await receive()
        if first["type"] == "http.disconnect":
            # never routed: a limit is one exact path, so that is its route in the metrics
            scope.setdefault("path_template", kind[1])  # type: ignore[typeddict-unknown-key]
            return CLIENT_GONE
        await app(scope, _replaying(first, receive), send)
    finally:
        gate.release()
    return None


def _queue(step: int) -> None:
    global _waiting, _flooded
    _waiting += step
    if _waiting >= FLOOD_WAITERS and not _flooded:
        _flooded = True
        heap.flooding(True)
    elif _waiting == 0 and _flooded:
        _flooded = False
        heap.flooding(False)


def _replaying(first: ReceiveMessage, receive: Receive) -> Receive:
    """``receive`` with ``first`` (already taken, to see whether the client is still there) given back first."""
    pending = [first]

    async def replay() -> ReceiveMessage:
        return pending.pop() if pending else await receive()

    return replay  # type: ignore[return-value]
