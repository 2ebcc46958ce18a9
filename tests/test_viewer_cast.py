"""The viewers' updates are made once per stream and process: coalesced, filtered, the same text for all."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from caoyuan.feed.tail import Item
from streaming import viewer_cast
from streaming.viewer_cast import ViewerCast, update_text

AT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def _stock(seq: int, remaining: int, pool_id: int = 7) -> Item:
    return Item(seq, "stock", json.dumps({"pool_id": pool_id, "remaining": remaining}), AT)


def _order(seq: int) -> Item:
    data = {"order_no": "CY1", "buyer_phone": "13800000001", "buyer_name": "张三"}
    return Item(seq, "order_placed", json.dumps(data, ensure_ascii=False), AT)


class _Tail:
    """What a ViewerCast reads of a StreamTail: the events in memory and a version that changes."""

    stream = "live:1"

    def __init__(self) -> None:
        self.ring: list[Item] = []
        self.last_seq = 0
        self.version = 0
        self.changed = asyncio.Event()

    def add(self, *items: Item) -> None:
        self.ring.extend(items)
        self.last_seq = items[-1].seq
        self.version += 1
        self.changed.set()

    def since(self, cursor: int) -> list[Item]:
        return [item for item in self.ring if item.seq > cursor]

    async def wait_change(self, version: int, timeout: float) -> int:
        if self.version == version:
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), timeout)
            except TimeoutError:
                pass
        return self.version


def test_an_update_keeps_each_pools_last_stock_and_no_buyer() -> None:
    text = update_text([_order(1), _stock(2, 9), _order(3), _stock(4, 8), _stock(5, 3, pool_id=8)])
    assert text is not None
    assert json.loads(text) == {"type": "update", "stock": {"7": 8, "8": 3}, "events": []}
    assert update_text([_order(6)]) is None  # nothing a buyer may see: no update at all


async def test_every_viewer_gets_the_same_update_made_once(monkeypatch) -> None:
    monkeypatch.setattr(viewer_cast, "EVERY_S", 0.01)
    made: list[list[Item]] = []

    def counting(items: list[Item]) -> str | None:
        made.append(items)
        return update_text(items)

    monkeypatch.setattr(viewer_cast, "update_text", counting)
    tail = _Tail()
    cast = ViewerCast(tail)  # type: ignore[arg-type]
    first, second = cast.join(), cast.join()
    await asyncio.sleep(0.01)  # the cast starts from the events held when it starts
    tail.add(_order(1), _stock(2, 9))
    async with asyncio.timeout(5):
        await cast.wait(first, 5)
    assert cast.after(first) == cast.after(second) and len(cast.after(first)) == 1
    assert len(made) == 1  # one update for two viewers
    late = cast.join()  # a viewer arriving now gets only what is made after it came
    tail.add(_stock(3, 4))
    async with asyncio.timeout(5):
        await cast.wait(late, 5)
    assert [json.loads(text)["stock"] for _, text in cast.after(late)] == [{"7": 4}]
    assert [json.loads(text)["stock"] for _, text in cast.after(first)] == [{"7": 9}, {"7": 4}]
    for _ in range(3):
        cast.leave()
    await asyncio.sleep(0.05)


def test_a_hosts_event_is_the_stored_payload_in_its_envelope() -> None:
    item = _order(41)
    assert json.loads(item.wire_text()) == {
        "seq": 41,
        "kind": "order_placed",
        "data": {"order_no": "CY1", "buyer_phone": "13800000001", "buyer_name": "张三"},
        "at": AT.isoformat(),
    }


def test_a_viewer_far_behind_gets_the_updates_still_kept_in_order() -> None:
    cast = ViewerCast(_Tail())  # type: ignore[arg-type]
    for n in range(1, viewer_cast.KEPT + 11):  # ten more than are kept
        cast.updates.append((n, f"u{n}"))
        cast.changes.bump()
    newest = viewer_cast.KEPT + 10
    assert [n for n, _ in cast.after(0)] == list(range(11, newest + 1))
    assert [n for n, _ in cast.after(newest - 2)] == [newest - 1, newest]
    assert cast.after(newest) == []
