"""A server's start-up heap is frozen out of the collector's full sweeps, its full sweeps made rarer; a test
process's apps change neither."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from caoyuan.app import create_app
from caoyuan.db import create_database
from caoyuan.web import heap


async def test_a_server_freezes_its_start_up_heap_and_tests_do_not(settings, db, monkeypatch) -> None:
    frozen: list[int] = []
    monkeypatch.setattr(heap.gc, "freeze", lambda: frozen.append(1))  # the process's own GC stays as it is
    monkeypatch.setattr(heap.gc, "get_freeze_count", lambda: len(frozen))
    monkeypatch.setattr(heap, "_served", False)  # put back after the test: this process is not a server
    thresholds: list[tuple[int, ...]] = []
    monkeypatch.setattr(heap.gc, "set_threshold", lambda *t: thresholds.append(t))
    async with AsyncTestClient(app=create_app(settings, database=create_database(settings.database_url, 2))):
        assert frozen == [] and thresholds == []  # environment "test": hundreds of apps, their heaps collectable
    served = settings.model_copy(update={"environment": "development"})
    async with AsyncTestClient(app=create_app(served, database=create_database(served.database_url, 2))) as c:
        assert frozen == [1]  # once, when the app has started
        assert thresholds == [heap.CALM]
        assert (await c.get("/healthz")).status_code == 200
