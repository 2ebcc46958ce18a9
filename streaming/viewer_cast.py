"""What viewers of a live session see, made once per stream and process and sent to every viewer as is.

Every viewer sees the same thing: the stock left, the pinned item, flash-sale times, the session's state.
So one task per stream (a ``ViewerCast``) reads the new events from the stream's tail a few times a
second, keeps what buyers may see, coalesces the stock, encodes the update once, and keeps it in a short
numbered ring; each viewer's socket sends the updates numbered after the last one it sent. At a big show's
1,000 orders a second, 250 viewers a process used to filter the same 2,000 events each, 250 times over,
and the event loop (the hosts' order feed's too) stalled for that work every quarter second.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import msgspec

from caoyuan.feed.changes import Changes
from caoyuan.feed.tail import Item, StreamTail

EVERY_S = 0.25  # coalesce: a few updates a second is plenty for a buyer
KEPT = 64  # updates held for viewers that are behind (16 s); a slower socket is closed by its send timeout
VIEWER_KINDS = {
    "stock",
    "pinned",
    "flash_sale_scheduled",
    "flash_sale_opened",
    "flash_sale_closed",
    "session_live",
    "session_ended",
    "shelf_added",
}
VIEWER_FIELDS = {
    "pool_id",
    "remaining",
    "item_id",
    "sale_id",
    "deal_price_fen",
    "total_cap",
    "per_buyer_cap",
    "opens_at",
    "closes_at",
    "price_fen",
    "sku_id",
    "started_at",
    "ended_at",
    "returned",
}


def public_view(item: Item) -> dict[str, Any] | None:
    if item.kind not in VIEWER_KINDS:
        return None
    return {"kind": item.kind, "data": {k: v for k, v in item.data.items() if k in VIEWER_FIELDS}}


def update_text(items: list[Item]) -> str | None:
    """The viewers' update for these events (the last stock of each pool, the other events in order)."""
    stock: dict[int, int] = {}
    others = []
    for item in items:
        if item.kind == "stock":
            data = item.data
            stock[data["pool_id"]] = data["remaining"]
        elif (view := public_view(item)) is not None:
            others.append(view)
    if not stock and not others:
        return None
    return msgspec.json.encode({"type": "update", "stock": stock, "events": others}).decode()


class ViewerCast:
    def __init__(self, tail: StreamTail) -> None:
        self.tail = tail
        self.updates: deque[tuple[int, str]] = deque(maxlen=KEPT)
        self.viewers = 0
        self.changes = Changes()  # its version is the newest update's number
        self._task: asyncio.Task[None] | None = None

    def join(self) -> int:
        """A viewer arrives: it is sent the updates after the newest one made so far."""
        self.viewers += 1
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"caoyuan:viewers:{self.tail.stream}")
        return self.changes.version

    @property
    def number(self) -> int:
        """The newest update's."""
        return self.changes.version

    def leave(self) -> None:
        self.viewers -= 1

    def after(self, number: int) -> list[tuple[int, str]]:
        """The updates numbered after ``number`` (numbers run on by one: counted from the end, not searched)."""
        updates = self.updates
        newer = min(self.changes.version - number, len(updates))
        return [updates[i] for i in range(len(updates) - newer, len(updates))] if newer > 0 else []

    async def wait(self, number: int, timeout: float) -> None:
        await self.changes.wait(number, timeout)

    async def _run(self) -> None:
        cursor = self.tail.last_seq
        while self.viewers > 0:
            version = self.tail.version
            items = self.tail.since(cursor)
            if items is None:  # fell behind the memory ring: viewers only need the latest state
                items = [item for item in self.tail.ring if item.seq > cursor]
            if not items:
                await self.tail.wait_change(version, 1.0)
                continue
            cursor = items[-1].seq
            text = update_text(items)
            if text is not None:
                self.updates.append((self.changes.version + 1, text))
                self.changes.bump()
            await asyncio.sleep(EVERY_S)


_CASTS: dict[int, ViewerCast] = {}


def cast_for(tail: StreamTail) -> ViewerCast:
    cast = _CASTS.get(id(tail))
    if cast is None or cast.tail is not tail:
        for key in [key for key, old in _CASTS.items() if old.viewers <= 0]:
            del _CASTS[key]  # casts of tails no one watches any more
        cast = _CASTS[id(tail)] = ViewerCast(tail)
    return cast
