"""Group statements: calls that arrive while a statement runs are served together by the next one.

A ``Batcher`` keeps, per engine and per key (e.g. one stock pool), the calls waiting and at most one runner
task. The runner checks out one connection in autocommit (each statement is its own transaction), lets the
event loop run once more for company (or waits ``window`` seconds), hands the waiting calls (as many as
``take`` chooses) to ``run``, and keeps the connection while calls keep coming: no checkout per batch behind
the requests' own. It hands the connection back after ``linger`` without calls. A call that goes away does
not stop its batch.

Why no timed window: calls that arrive together (the requests read off the sockets in one pass of the loop,
the writes queued by one read) are all queued after one pass; a 1 ms sleep then only idled, twice an order
(read, write), while the whole crowd waited on it (in process, 64 in flight: 2,200–2,700 → 2,600–3,400
orders/s). Calls that come later go to the next statement, which starts as soon as this one ends.

If ``run`` raises, ``fail`` answers the batch (the connection may be broken: the next call starts a runner
with a fresh one). Every entry carries its own future; ``run`` answers each one.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger("caoyuan.db.batches")


class Waiting(Protocol):
    future: asyncio.Future


E = TypeVar("E", bound=Waiting)

Run = Callable[[AsyncConnection, Any, list[E]], Awaitable[list[E]]]  # answers the batch; returns entries to queue again
Fail = Callable[[list[E]], None]  # answers what a failed or cancelled runner left unanswered


# Crowds split into cohorts: from SPLIT_FROM (a smaller one waits longer than the overlap saves) up to
# SPLIT_UP_TO. A bigger crowd is not split: its requests' own work already fills a statement's time, and
# more statements cost the database more (two processes with 200 orders in flight each, one pool: split in
# three, 4,720 and 4,611 → 3,959 and 4,453 orders/s).
SPLIT_FROM, SPLIT_UP_TO = 16, 128


def take_up_to(limit: int) -> Callable[[list[Any]], tuple[list[Any], list[Any]]]:
    return lambda waiting: (waiting[:limit], waiting[limit:])


class _Queue:
    def __init__(self) -> None:
        self.waiting: list[Any] = []
        self.runner: asyncio.Task | None = None
        self.arrived = asyncio.Event()  # set by each call, so an idle runner wakes instead of polling
        self.closing = False  # the app is stopping: no lingering once the queue is empty


_BATCHERS: weakref.WeakSet[Batcher] = weakref.WeakSet()


async def finish(engine: AsyncEngine, timeout: float = 5.0) -> None:
    """At shutdown: the runners on ``engine`` serve what waits, then hand their connections back at once."""
    runners = []
    for batcher in list(_BATCHERS):
        for queue in batcher._queues.get(engine.sync_engine, {}).values():
            if queue.runner is not None:
                queue.closing = True
                queue.arrived.set()
                runners.append(queue.runner)
    if runners:
        await asyncio.wait(runners, timeout=timeout)


class Batcher(Generic[E]):
    def __init__(
        self,
        name: str,
        run: Run[E],
        fail: Fail[E],
        *,
        take: Callable[[list[E]], tuple[list[E], list[E]]] = take_up_to(200),
        window: float = 0.0,
        linger: float = 0.05,
        cohorts: int = 1,
    ) -> None:
        self.name, self.run, self.fail, self.take = name, run, fail, take
        self.window, self.linger = window, linger
        self.cohorts = cohorts
        self._queues: weakref.WeakKeyDictionary[Any, dict[Hashable, _Queue]] = weakref.WeakKeyDictionary()
        self._last: tuple[weakref.ref, dict[Hashable, _Queue]] | None = None  # the engine asked last, and its queues
        _BATCHERS.add(self)

    def _engine_queues(self, engine: AsyncEngine) -> dict[Hashable, _Queue]:
        # A weak-keyed lookup makes a weak reference each time (~15 µs); a process serves one engine.
        sync = engine.sync_engine
        last = self._last
        if last is not None and last[0]() is sync:
            return last[1]
        queues = self._queues.setdefault(sync, {})
        self._last = (weakref.ref(sync), queues)
        return queues

    def submit(self, engine: AsyncEngine, key: Hashable, entry: E) -> asyncio.Future:
        """Queue ``entry`` for ``key``'s next statement; await the future returned for its answer.

        A plain function, not a coroutine: the caller awaits the future itself, one frame less to resume."""
        queues = self._engine_queues(engine)
        queue = queues.get(key)
        if queue is None:
            queue = queues[key] = _Queue()
        queue.waiting.append(entry)
        queue.arrived.set()
        if queue.runner is None:
            queue.runner = asyncio.get_running_loop().create_task(self._runner(engine, key, queue))
        return entry.future

    async def _runner(self, engine: AsyncEngine, key: Hashable, queue: _Queue) -> None:
        batch: list[E] = []
        last = 0  # how many the last statement served
        try:
            await asyncio.sleep(self.window)
            async with engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")  # one statement, one commit
                while await self._calls_come(queue):
                    batch, queue.waiting = self._take(queue.waiting, last)
                    try:
                        again = await self.run(conn, key, batch)
                    except Exception:
                        log.warning("a %s batch of %d failed", self.name, len(batch), exc_info=True)
                        self._fail(batch)
                        break
                    queue.waiting[:0] = again
                    last, batch = len(batch), []
        except BaseException:
            self._fail(batch + queue.waiting)  # cut off mid-statement: each caller falls back on its own
            queue.waiting.clear()
            raise
        finally:
            queue.runner = None
        if queue.waiting:  # arrived after a failure
            queue.runner = asyncio.get_running_loop().create_task(self._runner(engine, key, queue))

    def _take(self, waiting: list[E], last: int) -> tuple[list[E], list[E]]:
        """``take``'s choice, of a share of the crowd with ``cohorts`` > 1.

        The crowd is what waits plus what the last statement served (whose callers are now being answered
        and come back). One statement serves a ``cohorts``-th of a crowd of ``SPLIT_FROM`` to ``SPLIT_UP_TO``,
        so that the other cohorts' work keeps the process busy while it runs, instead of all waiting on one."""
        crowd = len(waiting) + last
        share = -(-crowd // self.cohorts)
        if self.cohorts == 1 or not SPLIT_FROM <= crowd <= SPLIT_UP_TO or len(waiting) <= share:
            return self.take(waiting)
        batch, rest = self.take(waiting[:share])
        return batch, rest + waiting[share:]

    def _fail(self, entries: list[E]) -> None:
        self.fail([entry for entry in entries if not entry.future.done()])

    async def _calls_come(self, queue: _Queue) -> bool:
        """True when calls wait (after one more pass of the loop for company); False after ``linger`` without any."""
        if not queue.waiting:
            if queue.closing:
                return False
            queue.arrived.clear()
            try:
                await asyncio.wait_for(queue.arrived.wait(), self.linger)
            except TimeoutError:
                return bool(queue.waiting)
            if not queue.waiting:  # woken to close
                return False
            await asyncio.sleep(self.window)
        return True
