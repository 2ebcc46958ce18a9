"""The public session read comes from a per-process view at most a second old, refreshed once for all."""

from __future__ import annotations

import asyncio
import uuid

import sqlalchemy as sa

from storefront.models import StockPool
from streaming.services import views
from tests.factories.live import build
from tests.factories.shop import order_body


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def _counting(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    reads: list[int] = []
    real = views.session_view

    async def counted(db, session_id):  # type: ignore[no-untyped-def]
        reads.append(session_id)
        return await real(db, session_id)

    monkeypatch.setattr(views, "session_view", counted)
    return reads


async def _remaining(client, session_id: int) -> int:  # type: ignore[no-untyped-def]
    response = await client.get(f"/api/live/sessions/{session_id}")
    assert response.status_code == 200, response.text
    return response.json()["shelf"][0]["remaining"]


async def test_reads_within_a_second_share_one_database_read(client, db, make_user, monkeypatch) -> None:
    sc = await build(db, make_user, shelf_qty=10)
    clock = _Clock()
    monkeypatch.setattr(views, "time", clock)
    reads = _counting(monkeypatch)
    answers = await asyncio.gather(*(_remaining(client, sc.session_id) for _ in range(20)))
    assert answers == [10] * 20 and len(reads) == 1  # one refresh, shared by every concurrent reader
    async with db.session() as s:  # stock changed by another process (here: straight in the database)
        await s.execute(sa.update(StockPool).where(StockPool.id == sc.pool_id).values(remaining=7))
    clock.now += views.PUBLIC_TTL_S - 0.01
    assert await _remaining(client, sc.session_id) == 10  # still within the second: the cached figure
    clock.now += 0.02
    assert await _remaining(client, sc.session_id) == 7 and len(reads) == 2  # a second old: read again


async def test_an_order_here_updates_the_cached_stock_and_a_host_change_shows_at_once(
    client, db, make_user, login_api, monkeypatch
) -> None:
    sc = await build(db, make_user, shelf_qty=10)
    monkeypatch.setattr(views, "time", _Clock())  # time stands still: only the events below may change it
    assert await _remaining(client, sc.session_id) == 10
    made = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders",
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"pool_id": sc.pool_id, **order_body(quantity=3)},
    )
    assert made.status_code == 201, made.text
    assert await _remaining(client, sc.session_id) == 7
    host = await login_api(client, sc.host.phone)
    pinned = await client.post(f"/api/live/sessions/{sc.session_id}/pin", headers=host, json={"item_id": sc.item_id})
    assert pinned.status_code == 200, pinned.text
    view = (await client.get(f"/api/live/sessions/{sc.session_id}")).json()
    assert view["pinned_item_id"] == sc.item_id and view["shelf"][0]["pinned"] is True


async def test_an_unknown_session_is_not_cached(client, db, make_user, monkeypatch) -> None:
    monkeypatch.setattr(views, "time", _Clock())
    reads = _counting(monkeypatch)
    for _ in range(2):
        assert (await client.get("/api/live/sessions/999999")).status_code == 404
    assert len(reads) == 2
