"""Group commit in the intake: concurrent orders for one pool placed by one statement, each answered alone.

Real concurrent PostgreSQL connections; the batching window is widened so that every contender of a test
lands in the same batch, and a statement listener proves that it did (one batched statement, n orders).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from dataclasses import replace

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from caoyuan.db import prepared
from caoyuan.errors import AppError
from caoyuan.web import metrics
from storefront.models import BuyerQuota, Order
from storefront.services import intake_batch, place_now
from storefront.services.place_now import place_order_now
from storefront.services.place_order import Placed, place_order
from tests.factories.live import build
from tests.races import feed_is_gapless, pool_state, race_orders, request

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def batches(wide, monkeypatch):
    """The sizes of the batched statements run on ``wide``; everything fired at once joins one batch."""
    monkeypatch.setattr(intake_batch.BATCHES, "window", 1.0)  # wide: a loaded CI machine still lands all in one
    sizes: list[int] = []

    def record(statement: str, parameters: dict) -> None:  # the batches run past SQLAlchemy (db/prepared.py)
        if "jsonb_to_recordset(" in statement and "INSERT INTO shop_order" in statement:
            sizes.append(len(json.loads(parameters["b_rows"])))  # the batch's rows

    prepared.WATCHERS.append(record)
    yield sizes
    prepared.WATCHERS.remove(record)


def _codes(results: list[object]) -> Counter[str]:
    return Counter(r.code if isinstance(r, AppError) else "placed" for r in results)


async def test_a_batch_straddling_the_last_unit_sells_exactly_the_stock(db, wide, make_user, batches) -> None:
    sc = await build(db, make_user, stock=100, shelf_qty=5)
    before = metrics.ORDERS.labels("placed")._value.get()
    results, _ = await race_orders(wide, [request(sc, phone=f"1390000{n:04d}") for n in range(12)])
    assert batches == [12]
    assert _codes(results) == {"placed": 5, "sold_out": 7}
    placed = [r for r in results if isinstance(r, Placed)]
    assert sorted(p.remaining for p in placed) == [0, 1, 2, 3, 4]  # type: ignore[misc]
    assert len({p.order.id for p in placed}) == 5 and all(p.created for p in placed)
    assert await pool_state(db, sc.pool_id) == (0, 5, 5, 5)
    kinds = await feed_is_gapless(db, sc.session_id)
    assert (kinds["order_placed"], kinds["stock"]) == (5, 5)
    assert metrics.ORDERS.labels("placed")._value.get() - before == 5  # counted once each, after the commit


async def test_a_small_order_cut_off_behind_a_big_one_still_gets_the_last_units(db, wide, make_user, batches) -> None:
    sc = await build(db, make_user, stock=100, shelf_qty=3)
    wanted = [2, 2, 1]  # whichever 2 comes second does not fit; the 1 does, before or behind it
    results, _ = await race_orders(
        wide, [request(sc, quantity=q, phone=f"1391000{n:04d}") for n, q in enumerate(wanted)]
    )
    assert batches[0] == 3
    assert sorted(r.order.quantity for r in results if isinstance(r, Placed)) == [1, 2]  # type: ignore[union-attr]
    assert _codes(results)["sold_out"] == 1
    assert (await pool_state(db, sc.pool_id))[0] == 0


async def test_a_batch_with_a_replayed_key_answers_it_with_the_first_order(db, wide, make_user, batches) -> None:
    sc = await build(db, make_user, stock=100, shelf_qty=20)
    key = f"replay-{uuid.uuid4().hex[:12]}"
    async with wide.session() as s:
        first = await place_order(s, request(sc, key=key, phone="13920000000"))
    batches.clear()
    same = [request(sc, key=key, phone="13920000000") for _ in range(3)]  # a retry storm of the placed order
    twins = [request(sc, key=f"twin-{uuid.uuid4().hex[:8]}", phone="13920000009")] * 3  # a new key, fired thrice
    others = [request(sc, phone=f"1392000{n:04d}") for n in range(1, 6)]
    results, _ = await race_orders(wide, same + twins + others)
    assert max(batches) > 1
    replays, twin_results, fresh = results[:3], results[3:6], results[6:]
    assert all(isinstance(r, Placed) and not r.created and r.order.id == first.order.id for r in replays)
    assert all(isinstance(r, Placed) for r in twin_results)
    assert len({r.order.id for r in twin_results}) == 1 and sum(r.created for r in twin_results) == 1  # type: ignore[union-attr]
    assert all(isinstance(r, Placed) and r.created for r in fresh)
    assert await pool_state(db, sc.pool_id) == (13, 20, 7, 7)
    kinds = await feed_is_gapless(db, sc.session_id)
    assert kinds["order_placed"] == 7


async def test_a_batch_with_one_buyer_over_the_cap_refuses_only_that_buyer(db, wide, make_user, batches) -> None:
    sc = await build(db, make_user, stock=100, shelf_qty=20, per_buyer_cap=2)
    async with wide.session() as s:
        await place_order(s, request(sc, quantity=1, phone="13930000000"))
    batches.clear()
    # Both pass the read (1 of 2 bought); a phone goes once per batch, so the second meets the quota
    # the first took, inside the next batch's statement.
    greedy = [request(sc, quantity=1, phone="13930000000") for _ in range(2)]
    others = [request(sc, quantity=2, phone=f"1393000{n:04d}") for n in range(1, 5)]
    results, _ = await race_orders(wide, [*greedy, *others])
    assert batches == [5, 1]
    assert _codes(results[:2]) == {"placed": 1, "per_buyer_cap": 1}
    assert all(isinstance(r, Placed) and r.created for r in results[2:])
    async with db.session() as s:
        assert (await s.get(BuyerQuota, (sc.pool_id, "13930000000"))).used == 2  # type: ignore[union-attr]
    assert await pool_state(db, sc.pool_id) == (10, 20, 6, 10)


async def test_sold_out_orders_in_a_capped_batch_give_their_quota_back(db, wide, make_user, batches) -> None:
    sc = await build(db, make_user, stock=100, shelf_qty=2, per_buyer_cap=2)
    results, _ = await race_orders(wide, [request(sc, phone=f"1394000{n:04d}") for n in range(6)])
    assert batches == [6] and _codes(results) == {"placed": 2, "sold_out": 4}
    async with db.session() as s:
        for n, result in enumerate(results):
            quota = await s.get(BuyerQuota, (sc.pool_id, f"1394000{n:04d}"))
            assert (quota.used if quota else 0) == (1 if isinstance(result, Placed) else 0)


async def test_a_failing_batch_places_each_order_alone(db, wide, make_user, batches, monkeypatch) -> None:
    sc = await build(db, make_user, stock=100, shelf_qty=4)

    async def broken(*args: object) -> None:
        raise RuntimeError("the batch statement failed")

    monkeypatch.setattr(intake_batch, "_place", broken)
    results, _ = await race_orders(wide, [request(sc, phone=f"1395000{n:04d}") for n in range(6)])
    assert _codes(results) == {"placed": 4, "sold_out": 2}
    assert await pool_state(db, sc.pool_id) == (0, 4, 4, 4)
    kinds = await feed_is_gapless(db, sc.session_id)
    assert kinds["order_placed"] == 4


async def test_many_orders_in_flight_never_overflow_the_pool(db, wide, make_user) -> None:
    """Reads wait for a slot rather than opening overflow connections (each a backend fork and re-prepares)."""
    sc = await build(db, make_user, stock=100, shelf_qty=60)
    pool = wide.engine.sync_engine.pool
    most: list[int] = []

    def checkout(*_: object) -> None:
        most.append(pool.checkedout())

    event.listen(pool, "checkout", checkout)
    try:
        results, overlap = await race_orders(wide, [request(sc, phone=f"1396000{n:04d}") for n in range(48)])
    finally:
        event.remove(pool, "checkout", checkout)
    assert overlap > pool.size()  # more orders in flight than the pool holds
    assert _codes(results) == {"placed": 48}
    assert most and max(most) <= pool.size()


async def test_a_crowd_is_placed_in_cohorts_and_sells_exactly_the_stock(db, wide, make_user, batches) -> None:
    """48 orders at once for 30 units: served a third at a time (the others' answers overlap each statement),
    each order once, never more than the stock, the feed numbered without a gap."""
    sc = await build(db, make_user, stock=100, shelf_qty=30)
    results, _ = await race_orders(wide, [request(sc, phone=f"1397000{n:04d}") for n in range(48)])
    assert sum(batches) == 48 and len(batches) >= 3  # nobody served twice, nobody left behind
    assert max(batches) <= 16  # a third of the crowd per statement
    assert _codes(results) == {"placed": 30, "sold_out": 18}
    placed = [r for r in results if isinstance(r, Placed)]
    assert sorted(p.remaining for p in placed) == list(range(30))  # type: ignore[misc]
    assert await pool_state(db, sc.pool_id) == (0, 30, 30, 30)
    kinds = await feed_is_gapless(db, sc.session_id)
    assert (kinds["order_placed"], kinds["stock"]) == (30, 30)


async def test_a_batch_stores_each_order_exactly_as_read_back(db, wide, make_user, batches) -> None:
    """The batch travels as JSON: quotes, backslashes, emoji and times arrive as they were, to the microsecond."""
    sc = await build(db, make_user, stock=100, shelf_qty=10)
    details = ['草原路"8"号 \\ 后院', "乌兰镇 🐑 牧场 3 号", "团结路 8 号 {'a': 1}"]
    reqs = [replace(request(sc, phone=f"1396000{n:04d}"), detail=detail) for n, detail in enumerate(details)]
    results, _ = await race_orders(wide, reqs)
    assert batches == [3] and all(isinstance(r, Placed) and r.created for r in results)
    async with db.session() as s:
        for result, detail in zip(results, details, strict=True):
            held = result.order  # type: ignore[union-attr]
            stored = await s.get(Order, held.id)
            assert stored is not None and stored.address_detail == detail
            assert (stored.public_no, stored.buyer_phone, stored.total_fen) == (
                held.public_no,
                held.buyer_phone,
                held.total_fen,
            )
            assert (stored.created_at, stored.expires_at) == (held.created_at, held.expires_at)
            assert stored.status == held.status and stored.paid_at is None


async def _no_fallback() -> Placed:
    raise AssertionError("a new order on PostgreSQL is placed without a session")


async def test_an_order_whose_request_goes_away_before_its_read_is_never_written(db, wide, make_user) -> None:
    sc = await build(db, make_user, stock=100, shelf_qty=5)
    gone = asyncio.create_task(place_order_now(wide.engine, request(sc, phone="13970000000"), _no_fallback))
    stays = asyncio.create_task(place_order_now(wide.engine, request(sc, phone="13970000001"), _no_fallback))
    await asyncio.sleep(0)  # both wait in the read's queue (its window is 1 ms)
    gone.cancel()
    placed = await stays
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert placed.created and placed.remaining == 4
    assert await pool_state(db, sc.pool_id) == (4, 5, 1, 1)  # the gone one was never built, never written


async def test_an_order_whose_request_goes_away_while_it_is_written_stands(db, wide, make_user, monkeypatch) -> None:
    """Once queued for the write, the order is written whatever its request does (a retry gets the replay)."""
    sc = await build(db, make_user, stock=100, shelf_qty=5)
    monkeypatch.setattr(intake_batch.BATCHES, "window", 0.5)  # the write waits while the request goes away
    queued = asyncio.Event()
    write_soon = place_now.write_soon

    def recording(*args: object) -> asyncio.Future:
        written = write_soon(*args)  # type: ignore[arg-type]
        queued.set()
        return written

    monkeypatch.setattr(place_now, "write_soon", recording)
    req = request(sc, phone="13971000000")
    task = asyncio.create_task(place_order_now(wide.engine, req, _no_fallback))
    await asyncio.wait_for(queued.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):  # the batch commits after its window
        if (await pool_state(db, sc.pool_id))[2] == 1:
            break
        await asyncio.sleep(0.05)
    assert await pool_state(db, sc.pool_id) == (4, 5, 1, 1)
    async with wide.session() as s:
        replay = await place_order(s, req)  # the buyer's retry with the same key
    assert not replay.created and replay.order.quantity == 1
    assert (await feed_is_gapless(db, sc.session_id))["order_placed"] == 1


async def test_the_database_refuses_an_order_whose_sku_is_not_its_pools(db, make_user) -> None:
    """One composite key checks each order's pool and SKU together (five single keys cost the batch ~40 %)."""
    sc = await build(db, make_user, stock=10, shelf_qty=5)
    placed = await place_order_now(db.engine, request(sc), lambda: None)  # type: ignore[arg-type,return-value]
    row = {column: getattr(placed.order, column) for column in ("quantity", "unit_price_fen", "goods_fen")}
    for pool_id, sku_id in ((sc.pool_id, sc.sku_id + 1000), (sc.pool_id + 1000, sc.sku_id)):
        async with db.session() as s:
            order = Order(
                **row,
                public_no=uuid.uuid4().hex[:20],
                idempotency_key=uuid.uuid4().hex,
                request_digest="x",
                pool_id=pool_id,
                sku_id=sku_id,
                buyer_phone="13800000009",
                buyer_name="张三丰",
                province="内蒙古自治区",
                city="鄂尔多斯市",
                county="鄂托克旗",
                address_detail="乌兰镇团结路 8 号",
                shipping_fen=0,
                total_fen=row["goods_fen"],
                expires_at=placed.order.expires_at,
            )
            s.add(order)
            with pytest.raises(IntegrityError, match="fk_shop_order_pool_id_shop_stock_pool"):
                await s.flush()
            await s.rollback()
    assert await pool_state(db, sc.pool_id) == (4, 5, 1, 1)  # the shelf's 5 units, one sold: only the real order


async def test_a_batch_probes_the_key_index_even_where_the_planner_would_hash_the_order_table(
    db, wide, make_user
) -> None:
    """With thousands of orders and no statistics (autovacuum off, nothing ANALYZEd), a batch must still look its
    keys up in the index: a plan that hashes the whole order table costs a full scan at every batch."""
    sc = await build(db, make_user, stock=100, shelf_qty=50)
    seen: list[tuple[str, dict]] = []

    def record(statement: str, parameters: dict) -> None:
        if "INSERT INTO shop_order" in statement:
            seen.append((statement, parameters))

    async with wide.session() as s:
        await place_order(s, request(sc, phone="13930000000"))
    columns = [c.name for c in Order.__table__.columns if c.name != "id"]
    copied = ", ".join(f"{c} || '-' || n" if c in ("idempotency_key", "public_no") else c for c in columns)
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql(
            f"INSERT INTO shop_order ({', '.join(columns)}) SELECT {copied} FROM shop_order "
            "CROSS JOIN generate_series(1, 8000) AS n"
        )
    prepared.WATCHERS.append(record)
    try:
        await race_orders(wide, [request(sc, phone=f"1393000{n:04d}") for n in range(1, 4)])
    finally:
        prepared.WATCHERS.remove(record)
    sql, parameters = seen[-1]
    names = next(
        d.names for d in (intake_batch._driver_statement(c, f) for c in (0, 1) for f in (0, 1)) if d.sql == sql
    )
    async with db.engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        plan = "\n".join(r[0] for r in await raw.fetch("EXPLAIN " + sql, *(parameters[n] for n in names)))
    assert "Scan using uq_shop_order_idempotency_key on shop_order o" in plan, plan
    assert "Seq Scan on shop_order" not in plan, plan
