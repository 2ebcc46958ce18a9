"""Days this process found full a moment ago, so that a flood of bookings for a full day is refused
before any query.

Once an operator-day is full, every further booking for it cost a transaction of a dozen queries only to be
answered 409 ``day_full`` — most of a booking flood. Now, when ``schedule.day_options`` refuses a day, it
notes the crews the ask could go to and the room it read on their day rows; the next ask of the same kind
(service, day, named crew) that needs at least that much is refused from the note, before any query.

The note only ever refuses, it never books: every booking is still decided by the guarded claim in the
database, so the note cannot over-book a day. What it must not do is refuse a day that has room again:

* room grows only by a release (a cancellation, a move, a rained-off day's bookings moving on), and a release
  clears this process's note for its database at once and again when its transaction commits;
* a refusal read before such a commit but noted after it is dropped (the note's generation moved on);
* other processes' releases and fleet changes (an operator added, maintenance lifted) are not seen here,
  so an entry lives ``NOTE_SECONDS`` only: then the next ask reads the database again.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from caoyuan.db import after_commit

NOTE_SECONDS = 1.0
MAX_ENTRIES = 4096  # asks and day rows together; past it, expired entries go (all of them if none expired)

Ask = tuple[int, date, int | None, int | None]  # service type, day, the operator and machine it names (if any)
Row = tuple[str, int, date]  # ("operator" | "machine", owner id, day)

_now = time.monotonic  # tests move it


class FullDays:
    """One database's note: which crews an ask could go to, and the room last read on their day rows."""

    def __init__(self) -> None:
        self.crews: dict[Ask, tuple[float, tuple[tuple[int, int], ...]]] = {}
        self.rooms: dict[Row, tuple[float, int]] = {}
        self.generation = 0  # moved on by every release: a read begun before one notes nothing

    def known_full(self, ask: Ask, need: int) -> bool:
        """No crew of this ask had ``need`` hundredths of a mu free on its day a moment ago."""
        now = _now()
        hit = self.crews.get(ask)
        if hit is None or hit[0] <= now:
            return False
        day = ask[1]
        return all(
            self._short(("operator", operator_id, day), need, now)
            or self._short(("machine", machine_id, day), need, now)
            for operator_id, machine_id in hit[1]
        )

    def _short(self, row: Row, need: int, now: float) -> bool:
        hit = self.rooms.get(row)
        return hit is not None and hit[0] > now and hit[1] < need

    def remember(
        self, ask: Ask, crews: Iterable[tuple[int, int]], room: dict[tuple[str, int], int], generation: int
    ) -> None:
        if generation != self.generation:
            return  # capacity was freed while the room was being read: what was read may be gone already
        now = _now()
        if len(self.crews) + len(self.rooms) >= MAX_ENTRIES:
            self._prune(now)
        until = now + NOTE_SECONDS
        self.crews[ask] = (until, tuple(crews))
        day = ask[1]
        for (kind, owner_id), free in room.items():
            self.rooms[(kind, owner_id, day)] = (until, free)

    def _prune(self, now: float) -> None:
        self.crews = {k: v for k, v in self.crews.items() if v[0] > now}
        self.rooms = {k: v for k, v in self.rooms.items() if v[0] > now}
        if len(self.crews) + len(self.rooms) >= MAX_ENTRIES:
            self.crews, self.rooms = {}, {}

    def forget(self) -> None:
        self.generation += 1
        self.crews, self.rooms = {}, {}


# One note per database this process opened, found from a session: the pool is shared by an engine and its
# copies with other options, and two engines on one database (tests: one per test) keep apart.
_notes: weakref.WeakKeyDictionary[object, FullDays] = weakref.WeakKeyDictionary()


def _note(db: AsyncSession) -> FullDays | None:
    bind = db.bind
    return None if bind is None else _note_of(bind.sync_engine.pool)


def _note_of(pool: object) -> FullDays:
    note = _notes.get(pool)
    if note is None:
        note = _notes[pool] = FullDays()
    return note


def known_full(engine: AsyncEngine, ask: Ask, need: int) -> bool:
    """The note of the engine's database: found before any session is opened."""
    return _note_of(engine.sync_engine.pool).known_full(ask, need)


def reading(db: AsyncSession) -> int:
    """The note's generation, taken before reading the room that ``remember`` is given."""
    note = _note(db)
    return note.generation if note is not None else 0


def remember(
    db: AsyncSession, ask: Ask, crews: Iterable[tuple[int, int]], room: dict[tuple[str, int], int], generation: int
) -> None:
    note = _note(db)
    if note is not None:
        note.remember(ask, crews, room, generation)


def freed(db: AsyncSession) -> None:
    """Capacity is being freed in this transaction: forget every full day now, and again once it commits
    (a refusal read in between would otherwise be noted after the commit)."""
    note = _note(db)
    if note is not None:
        note.forget()
        after_commit(db, note.forget, key=("machinery.full_days", id(note)), immediate=True)
