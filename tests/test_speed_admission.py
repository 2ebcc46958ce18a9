"""A limited kind of request runs a few at a time, before the app reads it; other requests pass meanwhile."""

from __future__ import annotations

import asyncio
import weakref

import pytest

from caoyuan.web import admission
from caoyuan.web.logging import access_log_middleware
from coop.machinery import controllers

LIMITS = admission._limits  # the process's own (each test below gets an empty one)


@pytest.fixture(autouse=True)
def fresh_gates(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Each test its own limits and gates (a test's loop may be the next test's too), and no queue."""
    monkeypatch.setattr(admission, "_lanes", weakref.WeakKeyDictionary())
    monkeypatch.setattr(admission, "_waiting", 0)
    monkeypatch.setattr(admission, "_flooded", False)


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
    assert LIMITS[("POST", "/api/machinery/bookings")] == controllers.BOOKINGS_IN_FLIGHT


async def test_under_a_flood_a_limited_request_yields_to_others_in_flight_but_is_not_starved(monkeypatch) -> None:
    monkeypatch.setattr(admission, "YIELD_AT_MOST", 0.3)
    admission.limit("POST", "/api/bench/slow", 1)
    hold = {n: asyncio.Event() for n in range(4)}  # bookings 0 and 2 hold the one slot until set
    quote_done = asyncio.Event()
    entered: list[str] = []

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        entered.append(f"{scope['path']}{scope.get('n', '')}")
        if scope["path"] == "/api/bench/quote":
            await quote_done.wait()
        elif scope["n"] in (0, 2):
            await hold[scope["n"]].wait()
        await _answer(send)

    gated = access_log_middleware(app)

    def booking(n: int) -> asyncio.Task:
        return asyncio.create_task(gated({**_scope("POST", "/api/bench/slow"), "n": n}, _body, _send))  # type: ignore[arg-type]

    def quote() -> asyncio.Task:
        return asyncio.create_task(gated(_scope("GET", "/api/bench/quote"), _body, _send))  # type: ignore[arg-type]

    first, second = booking(0), booking(1)
    await asyncio.sleep(0.01)  # 0 runs, 1 waits at the gate: a queue
    asking = quote()
    await asyncio.sleep(0.01)
    hold[0].set()  # 1's turn comes while the quote is in flight
    await asyncio.sleep(0.05)
    assert entered == ["/api/bench/slow0", "/api/bench/quote"]  # 1 steps aside for the quote
    quote_done.set()
    await asyncio.wait_for(asyncio.gather(first, second, asking), 0.2)  # let in as soon as it is answered
    assert entered[-1] == "/api/bench/slow1"

    quote_done.clear()  # a request that never ends delays a waiting one by YIELD_AT_MOST only
    third, fourth = booking(2), booking(3)
    await asyncio.sleep(0.01)
    stuck = quote()
    await asyncio.sleep(0.01)
    started = asyncio.get_running_loop().time()
    hold[2].set()
    await asyncio.wait_for(asyncio.gather(third, fourth), 1)
    assert 0.25 < asyncio.get_running_loop().time() - started < 0.9
    quote_done.set()
    await stuck


async def test_without_a_queue_nothing_waits_and_nothing_is_counted(monkeypatch) -> None:
    monkeypatch.setattr(admission, "YIELD_AT_MOST", 5)
    admission.limit("POST", "/api/bench/slow", 2)
    quote_done = asyncio.Event()

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["path"] == "/api/bench/quote":
            await quote_done.wait()
        await _answer(send)

    gated = access_log_middleware(app)
    asking = asyncio.create_task(gated(_scope("GET", "/api/bench/quote"), _body, _send))  # type: ignore[arg-type]
    await asyncio.sleep(0.01)
    await asyncio.wait_for(gated(_scope("POST", "/api/bench/slow"), _body, _send), 1)  # type: ignore[arg-type]
    assert admission._lane().others == 0  # no one was queueing when the quote came: not counted, not waited for
    quote_done.set()
    await asyncio.wait_for(asking, 1)


async def test_the_collector_sweeps_in_small_steps_while_requests_queue(monkeypatch) -> None:
    monkeypatch.setattr(admission, "FLOOD_WAITERS", 3)
    switched: list[bool] = []
    monkeypatch.setattr(admission.heap, "flooding", switched.append)
    admission.limit("POST", "/api/bench/slow", 1)
    release = asyncio.Event()

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        await release.wait()
        await _answer(send)

    gated = access_log_middleware(app)
    tasks = [
        asyncio.create_task(gated(_scope("POST", "/api/bench/slow"), _body, _send))  # type: ignore[arg-type]
        for _ in range(3)
    ]
    await asyncio.sleep(0.01)
    assert switched == []  # one in, two waiting: under the mark
    tasks += [asyncio.create_task(gated(_scope("POST", "/api/bench/slow"), _body, _send))]  # type: ignore[arg-type]
    await asyncio.sleep(0.01)
    assert switched == [True]
    release.set()
    await asyncio.gather(*tasks)
    assert switched == [True, False]  # back once no one waits


def test_flood_thresholds_are_a_served_process_s_only(monkeypatch) -> None:
    from caoyuan.web import heap

    applied: list[tuple[int, ...]] = []
    monkeypatch.setattr(heap.gc, "set_threshold", lambda *t: applied.append(t))
    monkeypatch.setattr(heap, "_served", False)
    heap.flooding(True)
    assert applied == []  # a test process keeps Python's thresholds
    monkeypatch.setattr(heap, "_served", True)
    heap.flooding(True)
    heap.flooding(False)
    assert applied == [heap.FLOOD, heap.CALM]


async def test_a_limited_request_whose_client_left_is_dropped_unread_and_logged_499(monkeypatch) -> None:
    admission.limit("POST", "/api/bench/slow", 1)
    seen: list[tuple[str, int]] = []
    bodies: list[bytes] = []

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        bodies.append((await receive())["body"])  # the message taken to look for a disconnect is given back
        await _answer(send)

    gated = access_log_middleware(
        app, lambda scope, status, seconds: seen.append((scope.get("path_template", "unrouted"), status))
    )
    await gated(_scope("POST", "/api/bench/slow"), _gone, _send)  # type: ignore[arg-type]
    await gated(_scope("POST", "/api/bench/slow"), _body, _send)  # type: ignore[arg-type]
    await gated(_scope("POST", "/api/bench/other"), _body, _send)  # type: ignore[arg-type]
    assert bodies == [b"{}", b"{}"]  # the dropped one never reached the app
    # the dropped one is counted under its route (a limit is one exact path), the others were not routed here
    assert seen == [("/api/bench/slow", 499), ("unrouted", 200), ("unrouted", 200)]
