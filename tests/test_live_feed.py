"""The host feed over real websockets against a real server process: replay, live, resume, refusals,
privacy of the viewer channel — and, on PostgreSQL, orders taken by another server process."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
import websockets

from tests.browser import bearer_token as _token
from tests.browser import free_port, start_server, stop_server
from tests.factories.live import build
from tests.factories.shop import order_body


async def _order(base: str, session_id: int, pool_id: int, phone: str = "13800000001") -> dict:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"http://{base}/api/live/sessions/{session_id}/orders",
            headers={"Idempotency-Key": str(uuid.uuid4())},
            json={"pool_id": pool_id, **order_body(phone=phone)},
        )
        assert response.status_code == 201, response.text
        return response.json()


async def _collect(ws, until_seq: int, timeout: float = 10.0) -> list[dict]:  # type: ignore[no-untyped-def]
    events: list[dict] = []
    async with asyncio.timeout(timeout):
        while not events or events[-1]["seq"] < until_seq:
            message = json.loads(await ws.recv())
            if message["type"] == "events":
                events.extend(message["events"])
    return events


async def test_replay_live_and_resume_without_gap_or_duplicate(db, make_user, serve) -> None:
    sc = await build(db, make_user, shelf_qty=20)
    base = serve()
    token = await _token(base, sc.host.phone)
    headers = {"Authorization": f"Bearer {token}"}
    async with websockets.connect(
        f"ws://{base}/ws/live/{sc.session_id}/feed?after=0", additional_headers=headers
    ) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello"
        history = await _collect(ws, hello["last_seq"])  # shelf_added, session_live: replayed
        await _order(base, sc.session_id, sc.pool_id)
        live = await _collect(ws, hello["last_seq"] + 2)
    seen = history + live
    assert [e["seq"] for e in seen] == list(range(1, seen[-1]["seq"] + 1))
    placed = next(e for e in live if e["kind"] == "order_placed")
    assert placed["data"]["buyer"] == "张**" and placed["data"]["phone"] == "138****0001"
    last = seen[-1]["seq"]
    # while the host is away, two more orders; reconnecting with the last seq gets exactly those
    await _order(base, sc.session_id, sc.pool_id, phone="13800000002")
    await _order(base, sc.session_id, sc.pool_id, phone="13800000003")
    async with websockets.connect(
        f"ws://{base}/ws/live/{sc.session_id}/feed?after={last}", additional_headers=headers
    ) as ws:
        hello = json.loads(await ws.recv())
        resumed = await _collect(ws, hello["last_seq"])
    assert [e["seq"] for e in resumed] == list(range(last + 1, hello["last_seq"] + 1))
    assert [e["kind"] for e in resumed] == ["order_placed", "stock", "order_placed", "stock"]


async def test_refusals(db, make_user, serve) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    other_host = await make_user("host", phone="13600001111")
    base = serve()
    url = f"ws://{base}/ws/live/{sc.session_id}/feed?after=0"
    with pytest.raises(websockets.InvalidStatus) as anonymous:
        async with websockets.connect(url):
            pass
    assert anonymous.value.response.status_code == 403
    stranger = {"Authorization": f"Bearer {await _token(base, other_host.phone)}"}
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(url, additional_headers=stranger):
            pass
    mine = {"Authorization": f"Bearer {await _token(base, sc.host.phone)}"}
    for bad in ("999999", "-1", "abc"):
        async with websockets.connect(url.replace("after=0", f"after={bad}"), additional_headers=mine) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
        assert closed.value.rcvd.code == 4400
    async with websockets.connect(url, additional_headers=mine) as ws:
        await ws.recv()
        await ws.send("not json")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await ws.recv()
    assert closed.value.rcvd.code == 4400


async def test_viewer_channel_shows_stock_and_pin_but_no_buyers(db, make_user, serve) -> None:
    sc = await build(db, make_user, shelf_qty=9)
    base = serve()
    async with websockets.connect(f"ws://{base}/ws/live/{sc.session_id}/viewers") as ws:
        assert json.loads(await ws.recv())["type"] == "hello"
        await _order(base, sc.session_id, sc.pool_id)
        token = await _token(base, sc.host.phone)
        async with httpx.AsyncClient() as client:
            pinned = await client.post(
                f"http://{base}/api/live/sessions/{sc.session_id}/pin",
                headers={"Authorization": f"Bearer {token}"},
                json={"item_id": sc.item_id},
            )
            assert pinned.status_code == 200
        stock, kinds, raw = {}, [], []
        async with asyncio.timeout(10):
            while "pinned" not in kinds or not stock:
                text = await ws.recv()
                raw.append(text)
                message = json.loads(text)
                if message["type"] == "update":
                    stock.update(message["stock"])
                    kinds.extend(e["kind"] for e in message["events"])
    assert stock[str(sc.pool_id)] == 8
    everything = "".join(raw)
    assert "138" not in everything and "张" not in everything and "order_no" not in everything


@pytest.mark.postgres_only
async def test_orders_taken_by_another_process_reach_the_host(db, make_user, serve) -> None:
    sc = await build(db, make_user, shelf_qty=10)
    first, second = serve(), serve()
    token = await _token(first, sc.host.phone)
    async with websockets.connect(
        f"ws://{first}/ws/live/{sc.session_id}/feed?after=0", additional_headers={"Authorization": f"Bearer {token}"}
    ) as ws:
        hello = json.loads(await ws.recv())
        await _collect(ws, hello["last_seq"])
        loop = asyncio.get_running_loop()
        started = loop.time()
        made = await _order(second, sc.session_id, sc.pool_id)
        events = await _collect(ws, hello["last_seq"] + 2, timeout=5)
        assert loop.time() - started < 5
    assert any(e["kind"] == "order_placed" and e["data"]["order_no"] == made["order_no"] for e in events)


async def test_a_reader_that_never_reads_is_closed_not_waited_for(monkeypatch) -> None:
    import streaming.feed as feed

    class StuckSocket:
        async def send_text(self, data: str) -> None:
            await asyncio.sleep(3600)  # the client's buffer is full and it never reads

    monkeypatch.setattr(feed, "SEND_TIMEOUT_S", 0.05)
    with pytest.raises(feed.SlowReader):
        await feed._send(StuckSocket(), {"type": "events", "events": []})  # type: ignore[arg-type]


async def test_cli_feed_prints_lines_and_resumes_after_a_restart(db, make_user, database_url, tmp_path) -> None:
    import os
    import subprocess
    import sys
    import threading

    from storefront.services.place_order import OrderRequest, place_order

    sc = await build(db, make_user, shelf_qty=10)
    port = free_port()
    env = {
        "CAOYUAN_DATABASE_URL": database_url,
        "CAOYUAN_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "CAOYUAN_SECRET_KEY": "s" * 40,
        "CAOYUAN_BACKGROUND_TASKS": "0",
        "PYTHONUNBUFFERED": "1",
    }
    server = start_server(env, port, tmp_path / "a.log")
    base = f"127.0.0.1:{port}"
    lines: list[str] = []

    async def until(check, seconds: float = 30) -> None:  # type: ignore[no-untyped-def]
        async with asyncio.timeout(seconds):
            while not check():
                await asyncio.sleep(0.1)

    token = await _token(base, sc.host.phone)
    cli = subprocess.Popen(
        [sys.executable, "-m", "caoyuan", "feed", "--session", str(sc.session_id)],
        env={**os.environ, **env, "CAOYUAN_FEED_TOKEN": token},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reader = threading.Thread(target=lambda: lines.extend(iter(cli.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        await _order(base, sc.session_id, sc.pool_id)
        await until(lambda: any("下单" in line for line in lines))
        stop_server(server)  # the connection drops; meanwhile another order arrives
        async with db.session() as s:
            await place_order(
                s,
                OrderRequest(
                    pool_id=sc.pool_id,
                    quantity=1,
                    phone="13800000009",
                    name="李四",
                    province="北京市",
                    city="北京市",
                    county="朝阳区",
                    detail="建国路 1 号院",
                    idempotency_key="while-away-001",
                    live_session_id=sc.session_id,
                ),
            )
        server = start_server(env, port, tmp_path / "b.log")
        await until(lambda: any("138****0009" in line for line in lines))
        await asyncio.sleep(1)  # anything printed twice would show up now
    finally:
        stop_server(server)
        cli.terminate()
        _, err = cli.communicate(timeout=10)
    printed = [line for line in lines if line.strip()]
    seqs = [int(line.split("#")[1].split()[0]) for line in printed]
    assert seqs == list(range(1, seqs[-1] + 1)), printed  # every event once, in order
    assert sum("下单" in line for line in printed) == 2
    assert any("李*" in line and "138****0009" in line for line in printed)
    assert "连接断开" in err or "连不上" in err


async def test_many_hosts_connecting_at_once_share_one_reader_and_see_each_event_once(db, make_user, serve) -> None:
    """Readers arriving together on a fresh server must not start one database reader each (duplicates)."""
    sc = await build(db, make_user, shelf_qty=30)
    base = serve()
    headers = {"Authorization": f"Bearer {await _token(base, sc.host.phone)}"}
    url = f"ws://{base}/ws/live/{sc.session_id}/feed?after=0"
    sockets = await asyncio.gather(*(websockets.connect(url, additional_headers=headers) for _ in range(20)))
    try:
        hellos = [json.loads(await ws.recv()) for ws in sockets]
        for _ in range(3):
            await _order(base, sc.session_id, sc.pool_id)
        target = hellos[0]["last_seq"] + 6
        seen = await asyncio.gather(*(_collect(ws, target) for ws in sockets))
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))
    for events in seen:
        seqs = [e["seq"] for e in events]
        assert seqs == list(range(1, target + 1))  # complete, ordered, no duplicate
