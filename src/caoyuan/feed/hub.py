"""Wake-ups for feed readers in this process.

The data always comes from the ``feed_event`` table; the hub only says "look again". Wake-ups come
from commits in this process (``after_commit``) and, on PostgreSQL, from other processes through
LISTEN/NOTIFY (``pg_notify`` is sent inside the committing transaction, so it arrives after the commit).
Readers also look on their own every few seconds, so a lost wake-up only delays, never loses.

A NOTIFY may carry the events themselves (``caoyuan.feed.numbering.notify_sql``): the hub hands them to
this process's tail (``take``, set by ``caoyuan.feed.tail``), which keeps them when they follow on from the
newest it holds; otherwise, or when a NOTIFY carries only the stream, readers are woken to read the table.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from typing import Any

import msgspec

from caoyuan.db.after_commit import after_commit
from caoyuan.feed.changes import Changes

log = logging.getLogger("caoyuan.feed")
CHANNEL = "caoyuan_feed"
WAKE_KEY = "caoyuan_feed_wake"


Taker = Callable[[str, str], bool]  # (stream, the notice's rows as JSON text): read only where a tail wants them


class FeedHub:
    def __init__(self) -> None:
        self._streams: dict[str, Changes] = defaultdict(Changes)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.listening = False  # a LISTEN connection is up: this process's commits reach it as NOTIFYs too
        self.take: Taker | None = None  # keeps a NOTIFY's events; False when they do not follow on

    def notice(self, payload: str) -> None:
        """A NOTIFY on the channel: its events kept if they follow on, else the stream's readers woken."""
        stream, newline, body = payload.partition("\n")
        if not (newline and self.take is not None and self.take(stream, body)):
            self.wake(stream)

    def wake(self, stream: str) -> None:
        """Safe to call from any thread or from a database callback."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._streams[stream].bump()
        else:
            loop.call_soon_threadsafe(self._bump, stream)

    def _bump(self, stream: str) -> None:
        self._streams[stream].bump()

    def version(self, stream: str) -> int:
        return self._streams[stream].version

    async def wait(self, stream: str, seen_version: int, timeout: float) -> int:
        """Wait until the stream is woken after ``seen_version`` (or the timeout); return the new version."""
        self._loop = asyncio.get_running_loop()
        return await self._streams[stream].wait(seen_version, timeout)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop


HUB = FeedHub()
_rows = msgspec.json.Decoder(list[tuple[int, str, str, str]])


def parse_notice(payload: str) -> tuple[str, list[Any] | None]:
    """(stream, rows of [seq, kind, payload text, created_at ISO text]) or (stream, None) for a bare wake-up."""
    stream, newline, body = payload.partition("\n")
    return stream, parse_rows(stream, body) if newline else None


def parse_rows(stream: str, body: str) -> list[Any] | None:
    try:
        return _rows.decode(body)
    except msgspec.DecodeError:
        log.warning("feed notice for %s not understood; reading the table instead", stream)
        return None


def mark_for_wake(session: Any, stream: str) -> None:
    """Called by append_event: wake the stream's readers once this transaction commits (once per stream)."""
    after_commit(session, partial(HUB.wake, stream), key=(WAKE_KEY, stream), immediate=True)


def _not_listening(*_: object) -> None:
    HUB.listening = False


class PostgresListener:
    """One LISTEN connection per process: every process's NOTIFYs (this one's too) become events kept or wake-ups."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._conn: Any = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        HUB.bind(asyncio.get_running_loop())
        self._task = asyncio.create_task(self._keep_listening(), name="caoyuan:feed-listener")

    async def _keep_listening(self) -> None:
        import asyncpg

        while True:
            try:
                self._conn = await asyncpg.connect(self.dsn)
                self._conn.add_termination_listener(_not_listening)  # at once, not at the next look below
                await self._conn.add_listener(CHANNEL, lambda *args: HUB.notice(args[3]))
                HUB.listening = True
                while not self._conn.is_closed():
                    await asyncio.sleep(5)
                HUB.listening = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reconnect; readers poll meanwhile
                HUB.listening = False
                log.warning("feed listener lost its connection (%s); retrying", type(exc).__name__)
                await asyncio.sleep(2)

    async def stop(self) -> None:
        HUB.listening = False
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()
