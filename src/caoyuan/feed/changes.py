"""A version number that waiters can wait on to change: every waiter wakes at once, none takes a lock.

``asyncio.Condition`` made each woken waiter take its lock again in turn, one turn of the event loop each:
under a big show's order burst the tail's own ``notify_all`` waited 20–60 ms for that lock while hosts,
the viewers' cast and orders took turns, and the hosts' feed was that much late.

A wait's timeout is "at most": the waiters share one timer, which wakes all of them at the earliest deadline
any of them asked for. A timer of its own for each of a process's 250 viewer sockets, made and cancelled at
every update (four a second), cost a tenth of the server's CPU under a flash sale; waking a little early
only makes a waiter look again (a heartbeat due? its client gone?) and wait once more.
"""

from __future__ import annotations

import asyncio


class Changes:
    def __init__(self) -> None:
        self.version = 0
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop whose waiters the event serves
        self._timer: asyncio.TimerHandle | None = None  # wakes the current waiters without a new version

    def bump(self) -> None:
        self.version += 1
        self._wake()

    def _wake(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()  # wakes everyone waiting for the version before this one
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def wait(self, seen: int, timeout: float) -> int:
        """Return once the version is past ``seen`` (at once if it already is), or within ``timeout``."""
        if self.version == seen:
            loop = asyncio.get_running_loop()
            if self._loop is not loop:  # an object kept across event loops (tests run one loop each)
                self._event, self._loop, self._timer = asyncio.Event(), loop, None
            deadline = loop.time() + timeout
            timer = self._timer
            if timer is None or timer.when() > deadline:
                if timer is not None:
                    timer.cancel()
                self._timer = loop.call_at(deadline, self._wake)
            await self._event.wait()
        return self.version
