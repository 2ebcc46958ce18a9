"""The live intake checks "still live? on this shelf?" inside its one read, with the same refusals."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event

from caoyuan.db import prepared
from tests.factories.live import build
from tests.factories.shop import order_body


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


@pytest.fixture
def statements(client):  # type: ignore[no-untyped-def]
    seen: list[str] = []
    engine = client.app.state.database.engine.sync_engine

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    def batched(statement: str, parameters: dict) -> None:  # the batches run past SQLAlchemy (db/prepared.py)
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    prepared.WATCHERS.append(batched)
    yield seen
    prepared.WATCHERS.remove(batched)
    event.remove(engine, "before_cursor_execute", record)


async def test_an_order_reads_the_session_state_in_the_pool_read(client, db, make_user, backend, statements) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    statements.clear()
    made = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders", headers=_key(), json={"pool_id": sc.pool_id, **order_body()}
    )
    assert made.status_code == 201, made.text
    on_session = [s for s in statements if "FROM live_session" in s]
    assert len(on_session) == 1  # the pool read, carrying the session's state: no separate "still live?"
    assert "shop_stock_pool" in on_session[0]
    if backend == "postgres":
        assert len(statements) == 2  # the read, then the one guarded statement


async def test_refusals_are_unchanged(client, db, make_user, login_api) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    other = await build(db, make_user, shelf_qty=5)
    elsewhere = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders", headers=_key(), json={"pool_id": other.pool_id, **order_body()}
    )
    assert elsewhere.status_code == 404 and elsewhere.json()["code"] == "not_on_shelf"
    missing_pool = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders", headers=_key(), json={"pool_id": 999_999, **order_body()}
    )
    assert missing_pool.status_code == 404 and missing_pool.json()["code"] == "not_on_shelf"
    no_show = await client.post(
        "/api/live/sessions/999999/orders", headers=_key(), json={"pool_id": sc.pool_id, **order_body()}
    )
    assert no_show.status_code == 404
    host = await login_api(client, sc.host.phone)
    assert (await client.post(f"/api/live/sessions/{sc.session_id}/end", headers=host)).status_code == 200
    ended = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders", headers=_key(), json={"pool_id": sc.pool_id, **order_body()}
    )
    assert ended.status_code == 409 and ended.json()["code"] in ("session_not_live", "not_on_sale")


async def test_a_new_order_opens_no_session_on_postgres_and_a_replay_answers_the_first(
    client, db, make_user, backend, monkeypatch
) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    database = client.app.state.database
    opened: list[int] = []
    maker = database.sessionmaker

    def counting():  # type: ignore[no-untyped-def]
        opened.append(1)
        return maker()

    monkeypatch.setattr(database, "sessionmaker", counting)
    key = _key()
    made = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders", headers=key, json={"pool_id": sc.pool_id, **order_body()}
    )
    assert made.status_code == 201, made.text
    # PostgreSQL: read and written with the orders in flight, on the batches' own connections.
    assert len(opened) == (0 if backend == "postgres" else 1)
    again = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders", headers=key, json={"pool_id": sc.pool_id, **order_body()}
    )
    assert again.status_code == 200 and again.json()["order_no"] == made.json()["order_no"]  # a replay, in a session
    assert len(opened) == (1 if backend == "postgres" else 2)
    changed = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders",
        headers=key,
        json={"pool_id": sc.pool_id, **order_body(quantity=2)},
    )
    assert changed.status_code == 409 and changed.json()["code"] == "idempotency_key_reused"
