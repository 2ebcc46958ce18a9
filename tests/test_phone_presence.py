"""在线 across processes: each process writes its viewer count with a heartbeat and the console sums the fresh
rows. Two "processes" against one database (SQLite and PostgreSQL), then two real app processes."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import websockets

from caoyuan.db import utcnow
from caoyuan.demo import DEMO_PASSWORD
from streaming.models import ViewerPresence
from streaming.services import presence
from tests.browser import free_port, seeded_demo, start_server, stop_server


@pytest.mark.usefixtures("backend")
async def test_two_processes_viewers_are_summed_and_stale_rows_drop_out(db) -> None:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        await presence.beat(s, {7: 3, 8: 1}, process_id="node-a:1")
        await presence.beat(s, {7: 2}, process_id="node-b:1")
        s.add(ViewerPresence(process_id="dead:1", session_id=7, viewers=50, seen_at=utcnow() - timedelta(seconds=40)))
    async with db.session() as s:
        # each process adds its own live count to the others' fresh rows (never its own row twice)
        assert await presence.viewers_online(s, 7, here=3, process_id="node-a:1") == 5
        assert await presence.viewers_online(s, 7, here=2, process_id="node-b:1") == 5
        assert await presence.viewers_online(s, 8, here=0, process_id="node-b:1") == 1
        assert await presence.viewers_online(s, 9, here=0, process_id="node-b:1") == 0
    async with db.session() as s:  # everyone left node a: its next beat takes its rows away
        await presence.beat(s, {}, process_id="node-a:1")
    async with db.session() as s:
        assert await presence.viewers_online(s, 7, here=2, process_id="node-b:1") == 2
        # a process that stops beating drops out once its row is older than FRESH_S
        later = utcnow() + timedelta(seconds=presence.FRESH_S + 1)
        assert await presence.viewers_online(s, 7, here=0, process_id="node-a:1", now=later) == 0


async def test_two_app_processes_show_every_viewer_on_the_console(tmp_path: Path) -> None:
    """Two uvicorn processes on one database: buyers watch on B, the host's console on A counts them."""
    ports = free_port(), free_port()
    env = seeded_demo(tmp_path, ports[0])
    a = start_server(env, ports[0], tmp_path / "a.log")
    try:
        b = start_server(env, ports[1], tmp_path / "b.log")
        try:
            await _count_across(f"http://127.0.0.1:{ports[0]}", f"127.0.0.1:{ports[1]}")
        finally:
            stop_server(b)
    finally:
        stop_server(a)


async def _count_across(console_base: str, viewer_host: str) -> None:
    async with httpx.AsyncClient(base_url=console_base, timeout=10) as host:
        await host.get("/login")
        answer = await host.post(
            "/login",
            data={"phone": "13900000002", "password": DEMO_PASSWORD, "next": "/live/console"},
            headers={"x-csrftoken": host.cookies.get("caoyuan_csrf") or ""},
            follow_redirects=True,
        )
        session_id = re.search(r'class="button primary" href="/live/console/(\d+)"', answer.text)
        assert session_id, answer.text[:500]
        sid = session_id.group(1)

        async def online() -> int:
            page = await host.get(f"/live/console/{sid}")
            return int(re.search(r'id="n-viewers">(\d+)<', page.text).group(1))  # type: ignore[union-attr]

        assert await online() == 0
        sockets = [await websockets.connect(f"ws://{viewer_host}/ws/live/{sid}/viewers") for _ in range(3)]
        try:
            deadline = time.monotonic() + presence.BEAT_S + 10
            seen = 0
            while time.monotonic() < deadline and seen != 3:
                await asyncio.sleep(1)
                seen = await online()
            assert seen == 3, "viewers on the other process are counted within one heartbeat"
        finally:
            for socket in sockets:
                await socket.close()
