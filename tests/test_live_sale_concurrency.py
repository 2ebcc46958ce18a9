"""The live sale's concurrency claims, proven with real concurrent PostgreSQL connections.

Every race fires its contenders at once through ``asyncio.gather``, each in its own session (its own
connection from a pool wide enough for real overlap), and then checks the database, not the answers alone.
The last tests pin down what the intake's single read must still refuse and charge, on both databases.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from caoyuan.db import Database, utcnow
from caoyuan.errors import AppError
from coop.models import MemberVolume
from storefront.models import BuyerQuota, Order, PaymentAttempt, StockPool
from storefront.services import expire_orders
from storefront.services.place_order import OrderRequest, Placed, SoldOut, place_order
from storefront.services.settle_payment import Notice, settle
from streaming.services import flash_sale
from tests.browser import free_port, start_server, stop_server
from tests.factories.live import Scenario, build
from tests.factories.shop import order_body
from tests.races import Overlap, feed_is_gapless, pool_state, race_orders, request

postgres_only = pytest.mark.postgres_only


@postgres_only
async def test_no_oversell_when_200_buyers_race_for_37_units(db, wide, make_user) -> None:
    sc = await build(db, make_user, stock=300, shelf_qty=37)
    results, overlap = await race_orders(wide, [request(sc, phone=f"1380000{n:04d}") for n in range(200)])
    assert overlap > 10
    placed = [r for r in results if isinstance(r, Placed)]
    refused = [r for r in results if isinstance(r, SoldOut)]
    assert (len(placed), len(refused)) == (37, 163), Counter(type(r).__name__ for r in results)
    assert all(p.created for p in placed) and sorted(p.remaining for p in placed) == list(range(37))  # type: ignore[misc]
    assert await pool_state(db, sc.pool_id) == (0, 37, 37, 37)
    kinds = await feed_is_gapless(db, sc.session_id)
    assert (kinds["order_placed"], kinds["stock"]) == (37, 37)


@postgres_only
async def test_mixed_quantities_never_go_below_zero(db, wide, make_user) -> None:
    sc = await build(db, make_user, stock=300, shelf_qty=50)
    wanted = [1 + n % 3 for n in range(120)]
    results, _ = await race_orders(
        wide, [request(sc, quantity=q, phone=f"1381000{n:04d}") for n, q in enumerate(wanted)]
    )
    sold = sum(r.order.quantity for r in results if isinstance(r, Placed))
    remaining, allocated, _, units = await pool_state(db, sc.pool_id)
    assert units == sold and remaining == allocated - sold >= 0
    assert remaining < 3  # demand was far above supply: at most what no refused quantity fits stays unsold
    assert all(isinstance(r, Placed | SoldOut) for r in results)


@postgres_only
async def test_one_buyer_firing_many_orders_never_exceeds_the_cap(db, wide, make_user) -> None:
    sc = await build(db, make_user, stock=100, shelf_qty=40, per_buyer_cap=3)
    results, overlap = await race_orders(wide, [request(sc, quantity=1 + n % 2) for n in range(40)])
    assert overlap > 10
    placed = [r for r in results if isinstance(r, Placed)]
    codes = Counter(r.code for r in results if isinstance(r, AppError))
    assert set(codes) == {"per_buyer_cap"}
    async with db.session() as s:
        quota = await s.get(BuyerQuota, (sc.pool_id, "13800000001"))
    remaining, _, count, units = await pool_state(db, sc.pool_id)
    assert units == sum(p.order.quantity for p in placed) == quota.used  # type: ignore[union-attr]
    assert 2 <= units <= 3 and count == len(placed)  # full, or one unit short when only 2-unit orders were left
    assert remaining == 40 - units


@postgres_only
async def test_many_buyers_in_a_capped_flash_sale(db, wide, make_user) -> None:
    """The flash-sale shape of the benchmark: capped pool, buyers each trying twice, far more demand than stock."""
    sc = await build(db, make_user, stock=200, shelf_qty=100)
    async with db.session() as s:
        sale = await flash_sale.open_flash_sale(
            s,
            sc.host,
            sc.session_id,
            item_id=sc.item_id,
            deal_price_fen=19900,
            total_cap=30,
            per_buyer_cap=2,
            countdown_s=10,
            window_min=5,
        )
        await s.execute(
            sa.update(StockPool).where(StockPool.id == sale.pool_id).values(opens_at=utcnow() - timedelta(seconds=1))
        )
    requests = [request(sc, quantity=1 + n % 2, phone=f"1382000{n // 3:04d}", pool_id=sale.pool_id) for n in range(90)]
    results, _ = await race_orders(wide, requests)
    placed = [r for r in results if isinstance(r, Placed)]
    codes = Counter(r.code for r in results if isinstance(r, AppError))
    assert set(codes) <= {"sold_out", "per_buyer_cap"}
    remaining, allocated, count, units = await pool_state(db, sale.pool_id)
    assert allocated == 30 and units == sum(p.order.quantity for p in placed) == 30 - remaining
    async with db.session() as s:
        used = dict(
            (
                await s.execute(sa.select(BuyerQuota.phone, BuyerQuota.used).where(BuyerQuota.pool_id == sale.pool_id))
            ).all()
        )
        per_buyer = dict(
            (
                await s.execute(
                    sa.select(Order.buyer_phone, sa.func.sum(Order.quantity))
                    .where(Order.pool_id == sale.pool_id)
                    .group_by(Order.buyer_phone)
                )
            ).all()
        )
    assert all(units <= 2 for units in per_buyer.values())
    assert {phone: n for phone, n in used.items() if n} == per_buyer


@postgres_only
@pytest.mark.parametrize("cap", [None, 2])
async def test_same_idempotency_key_fired_at_once_makes_one_order(db, wide, make_user, cap) -> None:
    sc = await build(db, make_user, stock=100, shelf_qty=20, per_buyer_cap=cap)
    key = f"retry-storm-{uuid.uuid4().hex[:12]}"
    results, overlap = await race_orders(wide, [request(sc, key=key, quantity=2) for _ in range(40)])
    assert overlap > 10
    assert all(isinstance(r, Placed) for r in results), Counter(getattr(r, "code", "placed") for r in results)
    assert len({r.order.id for r in results}) == 1  # type: ignore[union-attr]
    assert sum(r.created for r in results) == 1  # type: ignore[union-attr]
    assert await pool_state(db, sc.pool_id) == (18, 20, 1, 2)
    if cap:
        async with db.session() as s:
            assert (await s.get(BuyerQuota, (sc.pool_id, "13800000001"))).used == 2  # type: ignore[union-attr]
    kinds = await feed_is_gapless(db, sc.session_id)
    assert kinds["order_placed"] == 1


@postgres_only
async def test_racing_sweepers_return_stock_exactly_once(db, wide, make_user) -> None:
    sc = await build(db, make_user, stock=100, shelf_qty=30, per_buyer_cap=2)
    async with db.session() as s:
        orders = [
            (await place_order(s, request(sc, quantity=1 + n % 2, phone=f"1383000{n:04d}"))).order for n in range(20)
        ]
    assert (await pool_state(db, sc.pool_id))[0] == 0
    later = utcnow() + timedelta(minutes=16)

    async def sweep() -> list[str]:
        async with wide.session() as s:
            return await expire_orders.expire_due(s, later)

    overlap = Overlap()
    closed = await asyncio.gather(*(overlap.run(sweep) for _ in range(3)))
    assert overlap.most == 3
    expired = [no for batch in closed for no in batch]  # type: ignore[union-attr]
    assert sorted(expired) == sorted(o.public_no for o in orders)  # each order expired by exactly one sweeper
    assert await pool_state(db, sc.pool_id) == (30, 30, 20, 30)
    async with db.session() as s:
        statuses = Counter(await s.scalars(sa.select(Order.status).where(Order.pool_id == sc.pool_id)))
        used = list(await s.scalars(sa.select(BuyerQuota.used).where(BuyerQuota.pool_id == sc.pool_id)))
    assert statuses == {"expired": 20} and set(used) == {0}
    kinds = await feed_is_gapless(db, sc.session_id)
    assert kinds["order_expired"] == 20


@postgres_only
async def test_late_payment_racing_the_sweeper_counts_stock_once(db, wide, make_user) -> None:
    """A payment notice, the sweeper and a rival buyer race for an overdue order's only unit, round after round:
    whoever wins, the unit is either on the shelf or held by exactly one live (pending or paid) order, each
    notice is recorded once, and only paid orders reach the books."""
    outcomes: Counter[str] = Counter()
    for n in range(12):
        sc = await build(db, make_user, stock=10, shelf_qty=1)
        async with db.session() as s:
            order = (await place_order(s, request(sc, phone=f"1384000{n:04d}"), expiry=timedelta(seconds=-1))).order
        notice = Notice(order.public_no, f"T-race-{n}", order.total_fen, "TRADE_SUCCESS")

        async def pay(notice: Notice = notice) -> str:
            async with wide.session() as s:
                return (await settle(s, notice)).outcome

        async def sweep() -> list[str]:
            async with wide.session() as s:
                return await expire_orders.expire_due(s)

        async def rival(sc: Scenario = sc, n: int = n) -> object:
            async with wide.session() as s:
                return await place_order(s, request(sc, phone=f"1385000{n:04d}"))

        overlap = Overlap()
        paid, swept, other = await asyncio.gather(overlap.run(pay), overlap.run(sweep), overlap.run(rival))
        outcomes[f"{paid}, {'swept' if swept else 'not swept'}, rival {type(other).__name__}"] += 1
        async with db.session() as s:
            mine = await s.get(Order, order.id)
            pool = await s.get(StockPool, sc.pool_id)
            held = await s.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(Order.quantity), 0)).where(
                    Order.pool_id == sc.pool_id, Order.status.in_(["pending_payment", "paid"])
                )
            )
            attempts = await s.scalar(
                sa.select(sa.func.count()).select_from(PaymentAttempt).where(PaymentAttempt.order_id == order.id)
            )
            volume = await s.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(MemberVolume.amount_fen), 0)).where(
                    MemberVolume.member_id == sc.supplier_id
                )
            )
        assert pool.remaining + held == 1 and pool.remaining >= 0, outcomes  # type: ignore[union-attr]
        assert mine.trade_no == f"T-race-{n}" and attempts == 1  # type: ignore[union-attr]
        if paid == "paid":
            assert mine.status == "paid" and not mine.stock_returned and isinstance(other, SoldOut)  # type: ignore[union-attr]
            assert volume == mine.goods_fen  # type: ignore[union-attr]
        else:  # the sweeper freed the unit and the rival bought it before the late payment arrived
            assert paid == "refund_needed" and mine.status == "expired" and isinstance(other, Placed), outcomes  # type: ignore[union-attr]
            assert volume == 0
    assert sum(outcomes.values()) == 12, outcomes


@postgres_only
async def test_no_oversell_over_http_against_a_real_server(db, make_user, database_url, tmp_path: Path) -> None:
    """150 guests hit one flash sale through uvicorn at once; the server process has its own connection pool."""
    sc = await build(db, make_user, stock=200, shelf_qty=100)
    async with db.session() as s:
        sale = await flash_sale.open_flash_sale(
            s,
            sc.host,
            sc.session_id,
            item_id=sc.item_id,
            deal_price_fen=19900,
            total_cap=40,
            per_buyer_cap=1,
            countdown_s=10,
            window_min=5,
        )
        await s.execute(
            sa.update(StockPool).where(StockPool.id == sale.pool_id).values(opens_at=utcnow() - timedelta(seconds=1))
        )
    port = free_port()
    env = {
        "CAOYUAN_DATABASE_URL": database_url,
        "CAOYUAN_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "CAOYUAN_SECRET_KEY": "c" * 40,
        "CAOYUAN_BACKGROUND_TASKS": "0",
        "CAOYUAN_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    server = start_server(env, port, tmp_path / "server.log")
    try:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60) as client:

            async def buy(n: int) -> httpx.Response:
                return await client.post(
                    f"/api/live/sessions/{sc.session_id}/orders",
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                    json={"pool_id": sale.pool_id, **order_body(phone=f"1386000{n:04d}")},
                )

            responses = await asyncio.gather(*(buy(n) for n in range(150)))
    finally:
        stop_server(server)
    answers = Counter((r.status_code, r.json().get("code", "")) for r in responses)
    assert answers == {(201, ""): 40, (409, "sold_out"): 110}, answers
    order_nos = {r.json()["order_no"] for r in responses if r.status_code == 201}
    async with db.session() as s:
        stored = set(await s.scalars(sa.select(Order.public_no).where(Order.pool_id == sale.pool_id)))
    assert stored == order_nos
    assert await pool_state(db, sale.pool_id) == (0, 40, 40, 40)
    kinds = await feed_is_gapless(db, sc.session_id)
    assert kinds["order_placed"] == 40


# ---------------------------------------------------------------- the one-statement intake and transactions


@postgres_only
async def test_inside_a_callers_transaction_refusals_spoil_nothing(db, make_user) -> None:
    """With a transaction already open (a demo seeder, a CLI), the intake joins it; a refusal rolls back only
    its own savepoint and the caller carries on."""
    sc = await build(db, make_user, stock=100, shelf_qty=3, per_buyer_cap=2)
    async with db.session() as s:
        await s.execute(sa.update(StockPool).where(StockPool.id == sc.pool_id).values(label="live-shelf-x"))
        first = await place_order(s, request(sc, quantity=2))
        with pytest.raises(AppError) as capped:
            await place_order(s, request(sc, quantity=1))
        with pytest.raises(SoldOut):
            await place_order(s, request(sc, quantity=2, phone="13800000002"))
        again = await place_order(s, request(sc, key=first.order.idempotency_key, quantity=2))
        last = await place_order(s, request(sc, quantity=1, phone="13800000003"))
    assert capped.value.code == "per_buyer_cap"
    assert (first.remaining, again.created, again.order.id, last.remaining) == (1, False, first.order.id, 0)
    assert await pool_state(db, sc.pool_id) == (0, 3, 2, 3)
    async with db.session() as s:
        assert (await s.get(StockPool, sc.pool_id)).label == "live-shelf-x"  # type: ignore[union-attr]
        used = dict(
            (
                await s.execute(sa.select(BuyerQuota.phone, BuyerQuota.used).where(BuyerQuota.pool_id == sc.pool_id))
            ).all()
        )
    assert used == {"13800000001": 2, "13800000003": 1}
    kinds = await feed_is_gapless(db, sc.session_id)
    assert (kinds["order_placed"], kinds["stock"]) == (2, 2)


@postgres_only
async def test_with_no_transaction_open_the_order_is_its_own_transaction(db, make_user) -> None:
    """An API request's session: the order commits when place_order returns (the hot rows are never held
    across the event loop); later work in the same session is a transaction of its own."""
    sc = await build(db, make_user, stock=100, shelf_qty=3)
    with pytest.raises(RuntimeError):
        async with db.session() as s:
            placed = await place_order(s, request(sc))
            assert await s.get(Order, placed.order.id) is placed.order  # held in the session, as if loaded
            taken = (placed.order.id, placed.order.public_no, placed.order.total_fen)
            await s.execute(sa.update(StockPool).where(StockPool.id == sc.pool_id).values(label="not-kept"))
            raise RuntimeError("the caller fails after the order was taken")
    assert await pool_state(db, sc.pool_id) == (2, 3, 1, 1)
    async with db.session() as s:
        assert (await s.get(StockPool, sc.pool_id)).label == "live-shelf"  # type: ignore[union-attr]
        stored = await s.get(Order, taken[0])
    assert (stored.id, stored.public_no, stored.total_fen, stored.status) == (*taken, "pending_payment")  # type: ignore[union-attr]


# ---------------------------------------------------------------- what the one read decides (both databases)


async def test_shipping_by_region_and_the_fallback_fee(db, make_user) -> None:
    from storefront.models import ShippingRegionFee, Sku

    sc = await build(db, make_user, shelf_qty=5, price_fen=26800, shipping_kind="by_region", shipping_fen=1500)
    async with db.session() as s:
        product_id = (await s.get(Sku, sc.sku_id)).product_id  # type: ignore[union-attr]
        s.add(ShippingRegionFee(product_id=product_id, province="内蒙古自治区", fee_fen=800))
    async with db.session() as s:
        near = await place_order(s, request(sc, quantity=2))
    async with db.session() as s:
        far = await place_order(
            s,
            OrderRequest(
                pool_id=sc.pool_id,
                quantity=1,
                phone="13800000002",
                name="李四",
                province="北京",
                city="北京市",
                county="海淀区",
                detail="中关村大街 1 号",
                idempotency_key=uuid.uuid4().hex,
            ),
        )
    assert (near.order.shipping_fen, near.order.total_fen) == (800, 2 * 26800 + 800)
    assert (far.order.shipping_fen, far.order.total_fen, far.order.province) == (1500, 26800 + 1500, "北京市")
    async with db.session() as s:
        stored = await s.get(Order, near.order.id)
    assert (stored.total_fen, stored.cooperative_id, stored.supplier_member_id) == (  # type: ignore[union-attr]
        53600 + 800,
        sc.coop_id,
        sc.supplier_id,
    )


async def test_changed_price_closed_window_and_closed_pool_write_nothing(db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=5, price_fen=26800)
    refusals = {}
    for name, change, kw in [
        ("price_changed", {}, {"expected_price_fen": 19900}),
        ("not_open_yet", {"opens_at": utcnow() + timedelta(seconds=30)}, {}),
        ("sale_closed", {"closes_at": utcnow() - timedelta(seconds=1)}, {}),
        ("not_on_sale", {"open": False}, {}),
    ]:
        async with db.session() as s:
            await s.execute(
                sa.update(StockPool)
                .where(StockPool.id == sc.pool_id)
                .values(**{"open": True, "opens_at": None, "closes_at": None, **change})
            )
        with pytest.raises(AppError) as info:
            async with db.session() as s:
                await place_order(s, OrderRequest(**{**request(sc).__dict__, **kw}))
        refusals[name] = info.value
    assert {name: exc.code for name, exc in refusals.items()} == {name: name for name in refusals}
    assert refusals["price_changed"].extra == {"price_fen": 26800}
    assert 29 <= refusals["not_open_yet"].extra["opens_in_s"] <= 31
    assert await pool_state(db, sc.pool_id) == (5, 5, 0, 0)
    async with db.session() as s:
        await s.execute(sa.update(StockPool).where(StockPool.id == sc.pool_id).values(open=True, closes_at=None))
        ok = await place_order(s, OrderRequest(**{**request(sc).__dict__, "expected_price_fen": 26800}))
    assert ok.created and ok.remaining == 4


async def test_a_buyer_at_the_cap_hears_about_the_cap_even_when_sold_out(db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=3, per_buyer_cap=2)
    async with db.session() as s:
        await place_order(s, request(sc, quantity=2))
        await place_order(s, request(sc, quantity=1, phone="13800000002"))
    refusals = []
    for phone in ("13800000001", "13800000003"):
        with pytest.raises(AppError) as info:
            async with db.session() as s:
                await place_order(s, request(sc, phone=phone))
        refusals.append(info.value.code)
    assert refusals == ["per_buyer_cap", "sold_out"]
    assert await pool_state(db, sc.pool_id) == (0, 3, 2, 3)


@postgres_only
async def test_the_connection_goes_back_to_the_pool_transactional(database_url, db, make_user) -> None:
    """The autocommit the intake asks for ends with it: the next session on that same connection has real
    transactions again (a rolled-back change stays rolled back)."""
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    sc = await build(db, make_user, shelf_qty=3)
    engine = create_async_engine(database_url, pool_size=1, max_overflow=0, pool_pre_ping=True)
    single = Database(engine, async_sessionmaker(engine, expire_on_commit=False))  # one connection, reused by all
    try:
        async with single.session() as s:
            await place_order(s, request(sc))
        async with single.sessionmaker() as s:
            raw = (await (await s.connection()).get_raw_connection()).driver_connection
            await s.execute(sa.update(StockPool).where(StockPool.id == sc.pool_id).values(label="rolled-back"))
            await s.rollback()
        async with single.sessionmaker() as s:
            assert (await (await s.connection()).get_raw_connection()).driver_connection is raw
            assert await s.scalar(sa.select(sa.func.count()).select_from(Order).where(Order.pool_id == sc.pool_id)) == 1
            assert await s.scalar(sa.select(StockPool.label).where(StockPool.id == sc.pool_id)) == "live-shelf"
    finally:
        await single.dispose()
