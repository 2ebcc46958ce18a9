"""One reader per stream and process: it reads new events from the database once per wake-up and keeps
the newest in memory, so a thousand sockets on one stream cost one query per wake-up, not a thousand."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec

from caoyuan.db import Database
from caoyuan.feed.changes import Changes
from caoyuan.feed.hub import HUB, parse_rows
from caoyuan.feed.outbox import events_after, last_seq

POLL_S = 2.0  # look even without a wake-up: a lost NOTIFY only delays
RING = 5000
IDLE_S = 30.0


@dataclass(slots=True)
class Item:
    """One event as held in memory; not changed once made (not frozen: a frozen dataclass's __init__ sets each
    field through object.__setattr__, and a tail makes 6,000 of these a second in a flash sale)."""

    seq: int
    kind: str
    payload: str  # the event's data as stored: JSON text, sent on to hosts as it is
    at: datetime
    wire: str = field(init=False, repr=False, compare=False)  # see wire_text

    def __post_init__(self) -> None:
        self.wire = f'{{"seq":{self.seq},"kind":{_kind_json(self.kind)},"data":{self.payload},"at":"{_iso(self.at)}"}}'

    @property
    def data(self) -> dict[str, Any]:
        return msgspec.json.decode(self.payload)  # type: ignore[no-any-return]

    def wire_text(self) -> str:
        """The event as a host receives it (seq, kind, data, at), as JSON text built around the stored payload:
        a big show's 2,000 events a second are neither decoded nor encoded again for each host. Built once,
        when the tail reads the event, however many hosts it goes to."""
        return self.wire


_encode = msgspec.json.Encoder().encode
# A batch's events share one kind or two and one timestamp: each is written as JSON once, not per event
# (datetime.isoformat was half the cost of making an Item).
_kind_json = functools.lru_cache(maxsize=64)(lambda kind: _encode(kind).decode())
_utc_iso = functools.lru_cache(maxsize=1024)(datetime.isoformat)


def _iso(at: datetime) -> str:
    # An equal instant in another zone is an equal key, with other text: only UTC ones are cached.
    return _utc_iso(at) if at.tzinfo is UTC else at.isoformat()


@functools.lru_cache(maxsize=1024)
def _parse_at(text: str) -> datetime:
    """A NOTIFY's created_at (ISO text in the session's time zone) as the UTC datetime a read returns."""
    return datetime.fromisoformat(text).astimezone(UTC)


def to_item(row: Any) -> Item:
    """An item from a row of ``events_after`` (SQLAlchemy's Row or asyncpg's Record: both read by position)."""
    return Item(row[0], row[1], row[2], row[3])


class StreamTail:
    def __init__(self, database: Database, stream: str) -> None:
        self.database, self.stream = database, stream
        self.ring: deque[Item] = deque(maxlen=RING)
        self.last_seq = 0
        self.changes = Changes()
        self.readers = 0
        self.sent: dict[int, int] = {}  # reader id -> last seq sent to it (for the lag metric)
        self._task: asyncio.Task[None] | None = None
        self._started = asyncio.Event()
        self._failed: BaseException | None = None

    async def start(self) -> None:
        # The task is created before any await: readers arriving together share one pull loop.
        if self._task is None:
            HUB.bind(asyncio.get_running_loop())
            self._task = asyncio.create_task(self._run(), name=f"caoyuan:tail:{self.stream}")
        await self._started.wait()
        if self._failed is not None:
            raise self._failed

    async def _run(self) -> None:
        try:
            async with self.database.reader() as db:  # type: ignore[misc]
                self.last_seq = await last_seq(db, self.stream)
        except Exception as exc:  # noqa: BLE001 - handed to the waiting readers
            self._failed = exc
            _TAILS.pop(self.stream, None)
            return
        finally:
            self._started.set()
        idle_since: float | None = None
        seen = HUB.version(self.stream)
        while True:
            await self.pull()
            seen = await HUB.wait(self.stream, seen, POLL_S)
            now = asyncio.get_running_loop().time()
            if self.readers == 0:
                idle_since = idle_since or now
                if now - idle_since > IDLE_S:
                    _TAILS.pop(self.stream, None)
                    return
            else:
                idle_since = None

    async def pull(self) -> None:
        # A connection, not a session: one read-only statement, in one round trip on PostgreSQL (events_after).
        async with self.database.reader_engine.connect() as conn:
            rows = await events_after(conn, self.stream, self.last_seq, 1000)
        self.take([to_item(row) for row in rows])  # what a NOTIFY brought meanwhile is skipped
        if len(rows) == 1000:
            await self.pull()

    def take(self, items: list[Item]) -> bool:
        """Keep consecutive events, oldest first, that follow on from the newest held (those already held are
        skipped); False, keeping none, when they leave a gap: the caller has the table read instead."""
        fresh = [item for item in items if item.seq > self.last_seq]
        if not fresh:
            return True
        if fresh[0].seq != self.last_seq + 1 or fresh[-1].seq - fresh[0].seq != len(fresh) - 1:
            return False
        self.ring.extend(fresh)
        self.last_seq = fresh[-1].seq
        self.changes.bump()
        return True

    def mark_sent(self, reader: object, seq: int) -> None:
        self.sent[id(reader)] = seq

    def forget(self, reader: object) -> None:
        self.sent.pop(id(reader), None)

    def since(self, cursor: int) -> list[Item] | None:
        """Events after ``cursor`` held in memory; None when some are no longer held (replay from the DB)."""
        if cursor >= self.last_seq:
            return []
        if not self.ring or self.ring[0].seq > cursor + 1:
            return None
        newer = []
        for item in reversed(self.ring):  # the wanted items are at the end: stop at the cursor
            if item.seq <= cursor:
                break
            newer.append(item)
        newer.reverse()
        return newer

    @property
    def version(self) -> int:
        return self.changes.version

    async def wait_change(self, seen_version: int, timeout: float) -> int:
        return await self.changes.wait(seen_version, timeout)


_TAILS: dict[str, StreamTail] = {}


def take_notice(stream: str, body: str) -> bool:
    """A NOTIFY's events for this process's tail of the stream, if it has one (read only then)."""
    tail = _TAILS.get(stream)
    if tail is None or not tail._started.is_set():  # it has yet to learn where the stream stands
        return False
    rows = parse_rows(stream, body)
    return rows is not None and tail.take([Item(seq, kind, payload, _parse_at(at)) for seq, kind, payload, at in rows])


HUB.take = take_notice


@contextlib.asynccontextmanager
async def reading(database: Database, stream: str) -> AsyncIterator[StreamTail]:
    tail = _TAILS.get(stream)
    stale = tail is not None and tail._task is not None and tail._task.done()
    if tail is None or stale or tail.database is not database:
        tail = _TAILS[stream] = StreamTail(database, stream)
    tail.readers += 1
    try:
        await tail.start()
        yield tail
    finally:
        tail.readers -= 1


def feed_figures() -> tuple[int, int]:
    """(feed readers in this process, the largest lag: events read by a tail and not yet sent to its
    slowest reader that reports what it sent)."""
    readers, lag = 0, 0
    for tail in list(_TAILS.values()):
        readers += tail.readers
        for seq in list(tail.sent.values()):
            lag = max(lag, tail.last_seq - seq)
    return readers, lag


async def replay(database: Database, stream: str, after: int, limit: int = 500) -> list[Item]:
    async with database.reader() as db:  # type: ignore[misc]
        return [to_item(row) for row in await events_after(db, stream, after, limit)]
