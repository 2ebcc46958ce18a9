"""Faults with real processes: a node killed with SIGKILL mid-sale behind nginx, while buyers retry with
their Idempotency-Key until they get an answer."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
import sqlalchemy as sa
import websockets

from storefront.models import Order, StockPool
from tests.live_scenario import build, order_body
from tests.test_ops_cluster import Cluster, cluster, token  # noqa: F401 - the fixture, used by name

pytestmark = pytest.mark.postgres_only
STOCK, BUYERS = 12, 24


async def buy_until_answered(
    base: str, session_id: int, pool_id: int, phone: str, delay: float, answered: list[str]
) -> tuple[str, dict]:
    """One buyer: the same key on every try, until the shop answers 201/200 (an order) or 409 (sold out)."""
    key = str(uuid.uuid4())
    await asyncio.sleep(delay)  # buyers arrive over a few seconds, as in a real sale
    async with httpx.AsyncClient(timeout=10) as client:
        for _ in range(200):
            try:
                response = await client.post(
                    f"http://{base}/api/live/sessions/{session_id}/orders",
                    headers={"Idempotency-Key": key},
                    json={"pool_id": pool_id, **order_body(phone=phone)},
                )
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
                continue
            if response.status_code in (200, 201, 409):
                answered.append(phone)
                return key, response.json()
            await asyncio.sleep(0.2)  # 502/503 while nginx notices the dead node
    raise AssertionError(f"buyer {phone} never got an answer")


async def follow_feed(base: str, session_id: int, bearer: str, until_orders: int, seen: list[dict]) -> None:
    """The host's feed through nginx; when a socket drops, reconnect with the last seq seen."""
    while sum(e["kind"] == "order_placed" for e in seen) < until_orders:
        after = seen[-1]["seq"] if seen else 0
        try:
            async with websockets.connect(
                f"ws://{base}/ws/live/{session_id}/feed?after={after}",
                additional_headers={"Authorization": f"Bearer {bearer}"},
            ) as ws:
                while sum(e["kind"] == "order_placed" for e in seen) < until_orders:
                    message = json.loads(await ws.recv())
                    if message["type"] == "events":
                        seen.extend(message["events"])
        except (OSError, websockets.WebSocketException):
            await asyncio.sleep(0.3)


async def test_a_node_killed_mid_sale_loses_and_doubles_nothing(cluster: Cluster, db, make_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    sc = await build(db, make_user, shelf_qty=STOCK)
    bearer = await token(cluster.proxy, sc.host.phone)
    seen: list[dict] = []
    feed = asyncio.create_task(follow_feed(cluster.proxy, sc.session_id, bearer, STOCK, seen))
    answered: list[str] = []
    buyers = [
        asyncio.create_task(
            buy_until_answered(cluster.proxy, sc.session_id, sc.pool_id, f"1370000{i:04d}", i * 0.2, answered)
        )
        for i in range(BUYERS)
    ]
    async with asyncio.timeout(30):  # the sale is under way (orders are being taken) …
        while len(answered) < 3:
            await asyncio.sleep(0.01)
    assert len(answered) < BUYERS
    cluster.kill_node(cluster.nodes[0])  # … when node A dies without a word
    answers = await asyncio.wait_for(asyncio.gather(*buyers), 60)
    await asyncio.wait_for(feed, 30)

    got = [body["order_no"] for _key, body in answers if "order_no" in body]
    refused = [body for _key, body in answers if "order_no" not in body]
    assert len(got) == STOCK == len(set(got))  # every unit sold once; no buyer holds two orders
    assert all(body["code"] == "sold_out" for body in refused) and len(refused) == BUYERS - STOCK
    async with db.sessionmaker() as s:
        rows = (
            await s.execute(sa.select(Order.public_no, Order.idempotency_key).where(Order.pool_id == sc.pool_id))
        ).all()
        remaining = await s.scalar(sa.select(StockPool.remaining).where(StockPool.id == sc.pool_id))
    assert sorted(r.public_no for r in rows) == sorted(got)  # nothing written that no buyer was told of
    assert {r.idempotency_key for r in rows} == {key for key, body in answers if "order_no" in body}
    assert remaining == 0
    seqs = [e["seq"] for e in seen]
    assert seqs == list(range(1, seqs[-1] + 1))  # the host's feed: gap-free across the reconnect
    assert {e["data"]["order_no"] for e in seen if e["kind"] == "order_placed"} == set(got)
