"""Faults with real processes: a node killed with SIGKILL mid-sale behind nginx while buyers retry with
their Idempotency-Key until they get an answer; PostgreSQL (a private cluster) stopped and started under
a serving node."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import websockets

from storefront.models import Order, StockPool
from tests.browser import free_port, start_server, stop_server
from tests.factories.live import build
from tests.factories.shop import order_body
from tests.ops_cluster import Cluster, token

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


async def test_a_node_killed_mid_sale_loses_and_doubles_nothing(cluster: Cluster, db, make_user) -> None:  # type: ignore[no-untyped-def]
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


PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*command: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


@pytest.fixture
def private_postgres() -> Iterator[tuple[str, Callable[[str], None]]]:
    """A PostgreSQL cluster of this test's own (the machine's shared one must never be restarted)."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip("no PostgreSQL 15 server binaries in /usr/lib/postgresql/15/bin")
    folder = Path(tempfile.mkdtemp(prefix="caoyuan-pg-"))
    folder.chmod(0o777)
    port = free_port()
    data = folder / "data"
    subprocess.run(
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"

    def pg_ctl(action: str) -> None:
        extra = ["-m", "fast"] if action == "stop" else ["-o", options, "-l", str(folder / "log")]
        subprocess.run(
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", *extra, action), check=True, capture_output=True
        )

    pg_ctl("start")
    try:
        subprocess.run(
            _as_postgres(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "caoyuan"),
            check=True,
        )
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/caoyuan", pg_ctl
    finally:
        subprocess.run(
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"), capture_output=True
        )
        shutil.rmtree(folder, ignore_errors=True)


async def _status(url: str) -> int:
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            return (await client.get(url)).status_code
    except httpx.HTTPError:
        return 0


async def _until_status(url: str, wanted: int, seconds: float = 30) -> None:
    async with asyncio.timeout(seconds):
        while await _status(url) != wanted:
            await asyncio.sleep(0.3)


async def test_postgres_restart_mid_sale_the_node_recovers_without_a_restart(private_postgres, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from caoyuan.auth.service import create_user
    from caoyuan.db import create_database

    url, pg_ctl = private_postgres
    env = {
        "CAOYUAN_DATABASE_URL": url,
        "CAOYUAN_SECRET_KEY": "r" * 40,
        "CAOYUAN_BACKGROUND_TASKS": "0",
        "CAOYUAN_SHUTDOWN_DRAIN_S": "0",  # stopped at the end, not rolled: no 5 s drain
    }
    subprocess.run(
        [sys.executable, "-m", "caoyuan", "db", "upgrade"], env={**os.environ, **env}, check=True, capture_output=True
    )
    database = create_database(url, 2)
    phones = iter(range(1, 100))

    async def make_user(role: str = "admin", phone: str | None = None, name: str = "") -> object:
        async with database.session() as s:
            phone = phone or f"139{next(phones):08d}"
            return await create_user(s, phone=phone, password="correct horse 1", role=role, display_name=name or role)

    sc = await build(database, make_user, shelf_qty=10)
    port = free_port()
    node = start_server({**env, "CAOYUAN_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}, port, tmp_path / "node.log")
    base = f"127.0.0.1:{port}"
    try:
        first = await buy_until_answered(base, sc.session_id, sc.pool_id, "13700000001", 0, [])
        assert "order_no" in first[1]
        pg_ctl("stop")
        await _until_status(f"http://{base}/readyz", 503, 15)  # the outage shows while it lasts
        key = str(uuid.uuid4())
        async with httpx.AsyncClient(timeout=10) as client:
            during = await client.post(
                f"http://{base}/api/live/sessions/{sc.session_id}/orders",
                headers={"Idempotency-Key": key},
                json={"pool_id": sc.pool_id, **order_body(phone="13700000002")},
            )
        assert during.status_code >= 500
        pg_ctl("start")
        await _until_status(f"http://{base}/readyz", 200, 30)  # back without restarting the node
        async with httpx.AsyncClient(timeout=10) as client:
            again = await client.post(
                f"http://{base}/api/live/sessions/{sc.session_id}/orders",
                headers={"Idempotency-Key": key},
                json={"pool_id": sc.pool_id, **order_body(phone="13700000002")},
            )
        assert again.status_code == 201, again.text  # the failed try wrote nothing: the retry makes the order
        assert node.poll() is None
        await database.dispose()  # the test's own pool still holds connections from before the restart
        async with database.sessionmaker() as s:
            count = await s.scalar(sa.select(sa.func.count()).select_from(Order).where(Order.pool_id == sc.pool_id))
            remaining = await s.scalar(sa.select(StockPool.remaining).where(StockPool.id == sc.pool_id))
        assert (count, remaining) == (2, 8)
    finally:
        stop_server(node)
        await database.dispose()
