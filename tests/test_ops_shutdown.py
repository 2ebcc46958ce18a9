"""Graceful shutdown of a real server process: SIGTERM → not ready but still serving, then the feed
socket closes with 1012 (reconnect elsewhere), the process exits, and a client resuming with its last
seq on a new node misses nothing."""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid
from pathlib import Path

import httpx
import pytest
import websockets

from tests.browser import free_port, start_server, stop_server
from tests.ops_cluster import order, token

pytestmark = pytest.mark.postgres_only


async def test_sigterm_drains_then_closes_sockets_with_1012_and_clients_resume(
    database_url: str, tmp_path: Path, db, make_user
) -> None:  # type: ignore[no-untyped-def]
    from tests.factories.live import build

    sc = await build(db, make_user, shelf_qty=10)
    env = {
        "CAOYUAN_DATABASE_URL": database_url,
        "CAOYUAN_SECRET_KEY": "d" * 40,
        "CAOYUAN_BACKGROUND_TASKS": "1",
        "CAOYUAN_SHUTDOWN_DRAIN_S": "3",
    }
    port, spare = free_port(), free_port()
    node = start_server({**env, "CAOYUAN_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}, port, tmp_path / "a.log")
    base = f"127.0.0.1:{port}"
    other = None
    try:
        bearer = {"Authorization": f"Bearer {await token(base, sc.host.phone)}"}
        first = await order(base, sc.session_id, sc.pool_id, str(uuid.uuid4()), "13800000001")
        assert first.status_code == 201
        seen: list[int] = []
        async with websockets.connect(
            f"ws://{base}/ws/live/{sc.session_id}/feed?after=0", additional_headers=bearer
        ) as ws:
            async with asyncio.timeout(15):
                while not seen:
                    message = json.loads(await ws.recv())
                    if message["type"] == "events":
                        seen += [e["seq"] for e in message["events"]]
            node.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.5)
            async with httpx.AsyncClient(timeout=10) as client:
                ready = await client.get(f"http://{base}/readyz")
                assert ready.status_code == 503 and ready.json()["draining"] is True
                assert (await client.get(f"http://{base}/healthz")).status_code == 200
            during = await order(base, sc.session_id, sc.pool_id, str(uuid.uuid4()), "13800000002")
            assert during.status_code == 201  # still serving while the proxy takes the node out
            started = time.monotonic()
            with pytest.raises(websockets.ConnectionClosed) as closed:
                async with asyncio.timeout(20):
                    while True:
                        message = json.loads(await ws.recv())
                        if message["type"] == "events":
                            seen += [e["seq"] for e in message["events"]]
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
            assert time.monotonic() - started >= 1.5  # closed only after the drain, not at the signal
        assert node.wait(20) is not None
        log = (tmp_path / "a.log").read_text(errors="replace")
        assert "draining" in log and "Traceback" not in log
        # The client reconnects (through the proxy, here straight to another node) with its last seq.
        other = start_server({**env, "CAOYUAN_PUBLIC_BASE_URL": f"http://127.0.0.1:{spare}"}, spare, tmp_path / "b.log")
        late = await order(f"127.0.0.1:{spare}", sc.session_id, sc.pool_id, str(uuid.uuid4()), "13800000003")
        assert late.status_code == 201
        resumed: list[dict] = []
        async with websockets.connect(
            f"ws://127.0.0.1:{spare}/ws/live/{sc.session_id}/feed?after={seen[-1]}", additional_headers=bearer
        ) as ws:
            async with asyncio.timeout(15):
                while late.json()["order_no"] not in {e["data"].get("order_no") for e in resumed}:
                    message = json.loads(await ws.recv())
                    if message["type"] == "events":
                        resumed += message["events"]
        seqs = seen + [e["seq"] for e in resumed]
        assert seqs == list(range(1, seqs[-1] + 1))  # nothing missed, nothing twice across the restart
    finally:
        if node.poll() is None:
            node.kill()
        if other is not None:
            stop_server(other)
