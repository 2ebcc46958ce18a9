"""A limited kind of request runs a few at a time, before the app reads it; other requests pass meanwhile."""

from __future__ import annotations

import asyncio

from caoyuan.web import admission
from caoyuan.web.logging import access_log_middleware


def _scope(method: str, path: str) -> dict:
    return {"type": "http", "method": method, "path": path, "headers": []}


async def _body() -> dict:
    return {"type": "http.request", "body": b"{}", "more_body": False}


async def _gone() -> dict:
    return {"type": "http.disconnect"}


async def _send(message) -> None:  # type: ignore[no-untyped-def]
    return None


async def _answer(send) -> None:  # type: ignore[no-untyped-def]
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


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
        asyncio.create_task(gated({**_scope("POST", "/api/bench/slow"), "n": n}, _body, send))  # type: ignore[arg-type]
        for n in range(6)
    ]
    await asyncio.sleep(0.01)
    assert len(running) == 2 and entered == ["/api/bench/slow0", "/api/bench/slow1"]  # two in, four waiting
    await asyncio.wait_for(gated(_scope("GET", "/api/bench/slow"), _body, send), 1)  # type: ignore[arg-type]
    await asyncio.wait_for(gated(_scope("POST", "/api/bench/other"), _body, send), 1)  # type: ignore[arg-type]
    release.set()
    await asyncio.gather(*slow)
    order = [e for e in entered if e.startswith("/api/bench/slow") and e[-1].isdigit()]
    assert order == [f"/api/bench/slow{n}" for n in range(6)]  # let in in arrival order


def test_bookings_are_limited() -> None:
    from coop.machinery import controllers

    assert admission._limits[("POST", "/api/machinery/bookings")] == controllers.BOOKINGS_IN_FLIGHT


async def test_a_limited_request_yields_to_others_in_flight_but_is_not_starved(monkeypatch) -> None:
    monkeypatch.setattr(admission, "_limits", {})
    monkeypatch.setattr(admission, "YIELD_AT_MOST", 0.3)
    admission.limit("POST", "/api/bench/slow", 2)
    quote_done = asyncio.Event()
    entered: list[str] = []

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        entered.append(scope["path"])
        if scope["path"] == "/api/bench/quote":
            await quote_done.wait()
        await _answer(send)

    gated = access_log_middleware(app)
    quote = asyncio.create_task(gated(_scope("GET", "/api/bench/quote"), _body, _send))  # type: ignore[arg-type]
    await asyncio.sleep(0)
    booking = asyncio.create_task(gated(_scope("POST", "/api/bench/slow"), _body, _send))  # type: ignore[arg-type]
    await asyncio.sleep(0.05)
    assert entered == ["/api/bench/quote"]  # its turn has come, but a quote is in flight
    quote_done.set()
    await asyncio.wait_for(asyncio.gather(quote, booking), 0.2)  # let in as soon as the quote is answered
    assert entered == ["/api/bench/quote", "/api/bench/slow"]

    quote_done.clear()  # a request that never ends delays a limited one by YIELD_AT_MOST only
    stuck = asyncio.create_task(gated(_scope("GET", "/api/bench/quote"), _body, _send))  # type: ignore[arg-type]
    await asyncio.sleep(0)
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(gated(_scope("POST", "/api/bench/slow"), _body, _send), 1)  # type: ignore[arg-type]
    assert 0.25 < asyncio.get_running_loop().time() - started < 0.9
    quote_done.set()
    await stuck


async def test_a_limited_request_whose_client_left_is_dropped_unread_and_logged_499(monkeypatch) -> None:
    monkeypatch.setattr(admission, "_limits", {})
    admission.limit("POST", "/api/bench/slow", 1)
    seen: list[tuple[str, int]] = []
    bodies: list[bytes] = []

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        bodies.append((await receive())["body"])  # the message taken to look for a disconnect is given back
        await _answer(send)

    gated = access_log_middleware(app, lambda scope, status, seconds: seen.append((scope["path"], status)))
    await gated(_scope("POST", "/api/bench/slow"), _gone, _send)  # type: ignore[arg-type]
    await gated(_scope("POST", "/api/bench/slow"), _body, _send)  # type: ignore[arg-type]
    await gated(_scope("POST", "/api/bench/other"), _body, _send)  # type: ignore[arg-type]
    assert bodies == [b"{}", b"{}"]  # the dropped one never reached the app
    assert seen == [("/api/bench/slow", 499), ("/api/bench/slow", 200), ("/api/bench/other", 200)]
