"""A version number that waiters can wait on to change: every waiter wakes at once, none takes a lock.

``asyncio.Condition`` made each woken waiter take its lock again in turn, one turn of the event loop each:
under a big show's order burst the tail's own ``notify_all`` waited 20–60 ms for that lock while hosts,
the viewers' cast and orders took turns, and the hosts' feed was that much late.
"""

from __future__ import annotations

import asyncio
import contextlib


class Changes:
    def __init__(self) -> None:
        self.version = 0
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop whose waiters the event serves

    def bump(self) -> None:
        self.version += 1
        event, self._event = self._event, asyncio.Event()
        event.set()  # wakes everyone waiting for the version before this one

    async def wait(self, seen: int, timeout: float) -> int:
        """Return once the version is past ``seen`` (at once if it already is), or after ``timeout``."""
        if self.version == seen:
            loop = asyncio.get_running_loop()
            if self._loop is not loop:  # an object kept across event loops (tests run one loop each)
                self._event, self._loop = asyncio.Event(), loop
            event = self._event
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await event.wait()
        return self.version
