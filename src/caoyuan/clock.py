"""The one clock: "now" as aware UTC, and "today" as Beijing's calendar day.

The server runs in UTC, but the cooperative's books, reports and default dates follow the Beijing calendar
day (Asia/Shanghai): between 00:00 and 08:00 Beijing the UTC date is still yesterday. Everything that needs
the current moment or the current day asks this module, never `date.today()` or `datetime.now()`.

Tests move the clock with `frozen_at(moment)`; it changes what every caller sees, pages included.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")

_frozen: datetime | None = None


def now() -> datetime:
    """The current moment, timezone-aware UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def epoch_seconds() -> float:
    """The current moment as seconds since the epoch, for log lines (cheap: no datetime per request)."""
    return _frozen.timestamp() if _frozen is not None else time.time()


def beijing_now() -> datetime:
    """The current moment on Beijing's wall clock (aware, Asia/Shanghai)."""
    return now().astimezone(BEIJING)


def today() -> date:
    """Today's date in Beijing — the accounting day."""
    return beijing_now().date()


def beijing_day(moment: datetime) -> date:
    """The Beijing calendar day a moment falls on (aware datetimes only)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass timezone-aware values only")
    return moment.astimezone(BEIJING).date()


@contextmanager
def frozen_at(moment: datetime) -> Iterator[datetime]:
    """Hold the clock at `moment` (aware) for the duration of the block (tests and the demo)."""
    global _frozen
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass timezone-aware values only")
    previous, _frozen = _frozen, moment.astimezone(UTC)
    try:
        yield _frozen
    finally:
        _frozen = previous
