"""Deadlines for many short awaits that almost never wait: checked by one timer, not one timer each.

A websocket send hands its frame to the socket at once unless the client has stopped reading and the
buffer is full; only then does it wait, and after a while it must give up (the slow client is closed, the
others are not held up). ``asyncio.timeout`` around every send made, scheduled and cancelled a timer per
frame: at a flash sale's thousand frames a second a process, a tenth of its CPU. Here a send is noted in a
dict, and one timer a loop, set only while sends are under way, cancels those past their deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")
CHECK_S = 1.0  # an overdue await is cancelled at most this much after its deadline


class Overdue(Exception):
    """The await ran past its deadline and was cancelled."""


class Deadlines:
    def __init__(self) -> None:
        self._running: dict[asyncio.Task, tuple[float, int]] = {}  # task -> (deadline, its cancels before)
        self._overdue: set[asyncio.Task] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the timer's (tests run one loop each)

    async def within(self, seconds: float, awaitable: Awaitable[T]) -> T:
        """Await ``awaitable`` in this task; raise ``Overdue`` if it has not finished ``seconds`` from now."""
        task = asyncio.current_task()
        if task is None or task in self._running:  # not in a task, or nested: a plain await
            return await awaitable
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        self._running[task] = (deadline, task.cancelling())
        timer = self._timer
        if timer is None or self._loop is not loop or timer.cancelled() or timer.when() > deadline + CHECK_S:
            self._schedule(loop, deadline)
        try:
            return await awaitable
        except asyncio.CancelledError:
            if task in self._overdue and task.uncancel() <= self._running[task][1]:
                raise Overdue from None
            raise
        finally:
            del self._running[task]
            self._overdue.discard(task)

    def _schedule(self, loop: asyncio.AbstractEventLoop, at: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._loop = loop.call_at(at, self._check, loop), loop

    def _check(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        now = loop.time()
        for task, (deadline, _) in self._running.items():
            if deadline <= now and task not in self._overdue:
                self._overdue.add(task)
                task.cancel()
        waiting = [deadline for task, (deadline, _) in self._running.items() if task not in self._overdue]
        if waiting:
            self._schedule(loop, max(min(waiting), now + CHECK_S))


SENDS = Deadlines()
