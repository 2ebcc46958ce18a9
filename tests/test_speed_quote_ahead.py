"""Free capacity for quotes is read ahead in the background once half its second is gone, never served older."""

from __future__ import annotations

import asyncio

from coop.machinery.services import quote


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


async def test_a_quote_past_half_the_age_reads_ahead_and_is_not_kept_waiting(db, monkeypatch) -> None:
    clock = _Clock()
    monkeypatch.setattr(quote, "time", clock)
    cache = quote.QuoteCache(db)
    loads: list[str] = []
    figures = iter(["first", "second", "third"])

    async def load() -> str:
        loads.append("now")
        return next(figures)

    async def ahead(session) -> str:  # type: ignore[no-untyped-def]
        assert session is not None  # the cache's own session, not the request's
        loads.append("ahead")
        return next(figures)

    seconds = quote.QuoteCache.CAPACITY_SECONDS
    assert await cache.get(("free",), seconds, load, ahead) == "first" and loads == ["now"]
    clock.now += seconds * 0.4
    assert await cache.get(("free",), seconds, load, ahead) == "first" and loads == ["now"]  # young: nothing read
    clock.now += seconds * 0.2
    assert await cache.get(("free",), seconds, load, ahead) == "first"  # answered at once from the valid entry
    assert await cache.get(("free",), seconds, load, ahead) == "first"  # one read ahead in flight, not two
    await asyncio.gather(*cache._ahead.values())
    assert loads == ["now", "ahead"]
    assert await cache.get(("free",), seconds, load, ahead) == "second"  # the figures read ahead, a fresh second
    clock.now += seconds + 0.01  # nobody asked for a second: expired, so read now, never served stale
    assert await cache.get(("free",), seconds, load, ahead) == "third" and loads == ["now", "ahead", "now"]
