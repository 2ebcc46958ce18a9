"""A limited kind of request runs a few at a time, before the app reads it; other requests pass meanwhile."""

from __future__ import annotations

import asyncio

from caoyuan.web import admission
from caoyuan.web.logging import access_log_middleware


def _scope(method: str, path: str) -> dict:
    return {"type": "http", "method": method, "path": path, "headers": []}


async def test_only_the_limited_kind_waits_and_it_is_let_in_in_order(monkeypatch) -> None:
    monkeypatch.setattr(admission, "_limits", {})
    admission.limit("POST", "/api/bench/slow", 2)
    release = asyncio.Event()
    running: list[str] = []
    entered: list[str] = []

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        entered.append(scope["path"] + str(scope.get("n", "")))
        if (scope["method"], scope["path"]) == ("POST", "/api/bench/slow"):
            running.append("x")
            await release.wait()
            running.pop()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def send(message) -> None:  # type: ignore[no-untyped-def]
        return None

    gated = access_log_middleware(app)
    slow = [
        asyncio.create_task(gated({**_scope("POST", "/api/bench/slow"), "n": n}, None, send))  # type: ignore[arg-type]
        for n in range(6)
    ]
    await asyncio.sleep(0.01)
    assert len(running) == 2 and entered == ["/api/bench/slow0", "/api/bench/slow1"]  # two in, four waiting
    await asyncio.wait_for(gated(_scope("GET", "/api/bench/slow"), None, send), 1)  # type: ignore[arg-type]
    await asyncio.wait_for(gated(_scope("POST", "/api/bench/other"), None, send), 1)  # type: ignore[arg-type]
    release.set()
    await asyncio.gather(*slow)
    order = [e for e in entered if e.startswith("/api/bench/slow") and e[-1].isdigit()]
    assert order == [f"/api/bench/slow{n}" for n in range(6)]  # let in in arrival order


def test_bookings_are_limited() -> None:
    from coop.machinery import controllers

    assert admission._limits[("POST", "/api/machinery/bookings")] == controllers.BOOKINGS_IN_FLIGHT
