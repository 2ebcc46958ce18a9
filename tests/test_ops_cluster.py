"""Two app nodes behind nginx, on one PostgreSQL through PgBouncer (transaction pooling): real processes.

Orders go through node A and through nginx, the host's feed socket sits on node B (and another behind
nginx) and sees every order, in order, with no gap; a token from A works on B; an Idempotency-Key
replayed on B returns A's order; an image uploaded on A is served by B (shared media folder); the
nodes query through PgBouncer while their LISTEN connection goes straight to PostgreSQL.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.factories.live import build
from tests.ops_cluster import METRICS_TOKEN, Cluster, collect_orders, jpeg, order, token

pytestmark = pytest.mark.postgres_only


async def test_two_nodes_behind_nginx_and_pgbouncer_run_a_show(cluster: Cluster, db, make_user) -> None:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user, shelf_qty=20)
    node_a, node_b = cluster.nodes
    bearer = await token(node_a, sc.host.phone)  # logged in on A …
    on_b = asyncio.create_task(collect_orders(f"ws://{node_b}/ws/live/{sc.session_id}/feed?after=0", bearer, 6))
    via_proxy = asyncio.create_task(
        collect_orders(f"ws://{cluster.proxy}/ws/live/{sc.session_id}/feed?after=0", bearer, 6)
    )
    await asyncio.sleep(1.0)  # both sockets are past their hello
    keys = [str(uuid.uuid4()) for _ in range(6)]
    placed = await asyncio.gather(
        *(
            order(node_a if i < 3 else cluster.proxy, sc.session_id, sc.pool_id, k, f"1380000{i:04d}")
            for i, k in enumerate(keys)
        )
    )
    assert [r.status_code for r in placed] == [201] * 6, [r.text for r in placed]
    replay = await order(node_b, sc.session_id, sc.pool_id, keys[0], "13800000000")  # the same key, other node
    assert replay.status_code == 200 and replay.json()["order_no"] == placed[0].json()["order_no"]

    for events in await asyncio.gather(on_b, via_proxy):  # … and its token opens the feed on B
        seqs = [e["seq"] for e in events]
        assert seqs == list(range(1, len(seqs) + 1))  # gap-free, in order, nothing twice
        numbers = {e["data"]["order_no"] for e in events if e["kind"] == "order_placed"}
        assert numbers == {r.json()["order_no"] for r in placed}

    async with httpx.AsyncClient(timeout=20) as client:
        admin = await make_user("admin", phone="13600001313")
        admin_bearer = {"Authorization": f"Bearer {await token(node_a, admin.phone)}"}
        async with db.sessionmaker() as s:
            from storefront.models import Sku

            product_id = (await s.get(Sku, sc.sku_id)).product_id  # type: ignore[union-attr]
        uploaded = await client.post(
            f"http://{node_a}/api/shop/admin/products/{product_id}/images",
            headers=admin_bearer,
            files={"file": ("lamb.jpg", jpeg(), "image/jpeg")},
        )
        assert uploaded.status_code == 201, uploaded.text
        served = await client.get(f"http://{node_b}{uploaded.json()['url']}")
        assert served.status_code == 200 and served.content[:2] == b"\xff\xd8"
        stock = (await client.get(f"http://{cluster.proxy}/api/live/sessions/{sc.session_id}")).json()
        assert stock["shelf"][0]["remaining"] == 14
        for node in cluster.nodes:  # each node reports its own figures
            scraped = await client.get(f"http://{node}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
            assert scraped.status_code == 200 and "caoyuan_orders_total" in scraped.text
        ready = await client.get(f"http://{cluster.proxy}/readyz")
        assert ready.status_code == 200


async def test_the_nodes_query_through_pgbouncer_and_listen_directly(cluster: Cluster, db, make_user) -> None:  # type: ignore[no-untyped-def]
    import asyncpg

    sc = await build(db, make_user, shelf_qty=5)
    for i in range(3):  # several transactions per node through the pool: no prepared-statement clash
        for node in cluster.nodes:
            made = await order(node, sc.session_id, sc.pool_id, str(uuid.uuid4()), f"1390000{i}{node[-1]}00"[:11])
            assert made.status_code in (201, 409), made.text
    conn = await asyncpg.connect(make_url(cluster.direct_url).set(drivername="postgresql").render_as_string(False))
    try:
        listeners = await conn.fetch(
            "SELECT client_addr, query FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'"
        )
        pooled = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = ''"
        )
    finally:
        await conn.close()
    assert len(listeners) >= 2  # one LISTEN session per node, straight to PostgreSQL
    assert pooled >= 1
