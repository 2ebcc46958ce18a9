"""The processes ``feed_latency.py`` starts beside the servers: host clients, viewer clients, direct order generators.

    python benchmarks/_feed_clients.py hosts|viewers|generator SPEC.json OUT.json

Each role reads its spec from a JSON file, waits on small files in the control directory (``start_at``,
``final_seq``, ``final_stock``) written by the orchestrator, and writes its findings to OUT.json. Clocks:
``time.time()`` everywhere, all on this one machine, so commit and receive times compare directly.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec
import uvloop
import websockets
from _scratch import ORDER_BODY, percentile  # noqa: E402  (run as a script from benchmarks/)

# A whole mainland mobile number, or a masked one (138****0001): neither may reach a viewer.
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)|\d{3}\*{4}\d{4}")
BODY = ORDER_BODY


_LOOKED: dict[tuple[str, str], tuple[float, str | None]] = {}


def _control(spec: dict, name: str) -> str | None:
    """A control file's text (written once by feed_latency.py), looked for at most every 50 ms: the readers ask
    at every frame, and a look per frame was a stat call per frame in a process that is part of the load."""
    key, now = (spec["control"], name), time.monotonic()
    looked = _LOOKED.get(key)
    if looked is not None and (looked[1] is not None or now - looked[0] < 0.05):
        return looked[1]
    path = Path(spec["control"]) / name
    value = (path.read_text() if path.exists() else "") or None  # empty: caught mid-write, look again
    _LOOKED[key] = (now, value)
    return value


async def _wait_control(spec: dict, name: str, deadline: float) -> str | None:
    while time.time() < deadline:
        if (value := _control(spec, name)) is not None:
            return value
        await asyncio.sleep(0.1)
    return None


def _ready(spec: dict, role: str) -> None:
    (Path(spec["control"]) / f"ready-{role}").write_text("1")


# ---------------------------------------------------------------- host clients


class _Data(msgspec.Struct):
    order_no: str | None = None  # the rest of an event's data is not looked at


class _Event(msgspec.Struct):
    seq: int
    kind: str
    data: _Data


class _Frame(msgspec.Struct):
    type: str
    events: list[_Event] = []


_frame = msgspec.json.Decoder(_Frame).decode


class Host:
    """One host's console: every event in order; some drop their socket mid-run and resume from the last seq."""

    def __init__(self, index: int, ws_base: str, session_id: int, token: str, drops: list[float], pause: float):
        self.index, self.ws_base, self.session_id, self.token = index, ws_base, session_id, token
        self.drops, self.pause = sorted(drops), pause
        self.last_seq = 0
        self.counts: Counter[int] = Counter()
        self.received: dict[str, list] = {}  # order_no -> [receive time, connection number]
        self.hellos: list[float] = []  # when each connection said hello
        self.closes: list[float] = []  # when we dropped a connection on purpose
        self.out_of_order = 0
        self.messages = 0
        self.errors: list[str] = []
        self.caught_up = asyncio.Event()

    async def run(self, spec: dict) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        deadline = spec["deadline"]
        while time.time() < deadline:
            url = f"{self.ws_base}/ws/live/{self.session_id}/feed?after={self.last_seq}"
            try:
                async with websockets.connect(
                    url, additional_headers=headers, max_size=None, open_timeout=30, ping_interval=None
                ) as ws:
                    hello = json.loads(await ws.recv())
                    self.hellos.append(time.time())
                    if hello.get("type") != "hello":
                        self.errors.append(f"first message {hello.get('type')}")
                    if await self._read(ws, spec, hello["last_seq"]):
                        return
            except websockets.ConnectionClosed as exc:
                self.errors.append(f"closed by server {exc.rcvd.code if exc.rcvd else '-'}")
            except (OSError, TimeoutError, websockets.InvalidHandshake) as exc:
                self.errors.append(f"connect: {type(exc).__name__} {exc}")
            await asyncio.sleep(self.pause)

    async def _read(self, ws: Any, spec: dict, start_seq: int) -> bool:
        """Read until told to stop (True) or until a planned drop (False: reconnect)."""
        try:
            while True:
                drop_at = self.drops[0] if self.drops else None
                if self.last_seq >= start_seq:
                    self.caught_up.set()
                now = time.time()
                if drop_at is not None and now >= drop_at:
                    self.drops.pop(0)
                    self.closes.append(now)
                    await ws.close()
                    return False
                final = _control(spec, "final_seq")
                if final is not None and self.last_seq >= int(final):
                    return True
                if now > spec["deadline"]:
                    return True
                wait = 0.2 if drop_at is None else max(0.0, min(0.2, drop_at - now))
                try:
                    async with asyncio.timeout(wait):  # not wait_for: no task made for every frame
                        raw = await ws.recv()
                except TimeoutError:
                    continue
                self._take(raw, time.time())
        except websockets.ConnectionClosed as exc:
            self.errors.append(f"closed {exc.rcvd.code if exc.rcvd else '-'} {exc.rcvd.reason if exc.rcvd else ''}")
            return False

    def _take(self, raw: str | bytes, at: float) -> None:
        """One frame: its seqs counted (a C loop: ten hosts take 50,000 events a second in a process that is part
        of the load), order numbers stamped with their first receipt."""
        self.messages += 1
        frame = _frame(raw)
        if frame.type != "events" or not frame.events:
            return
        events = frame.events
        seqs = [event.seq for event in events]
        self.counts.update(seqs)
        first = seqs[0]
        if first == self.last_seq + 1 and seqs == list(range(first, first + len(seqs))):
            self.last_seq = seqs[-1]
        else:  # rare: one by one
            for seq in seqs:
                self.out_of_order += seq != self.last_seq + 1
                self.last_seq = max(self.last_seq, seq)
        connection, setdefault = len(self.hellos), self.received.setdefault
        for event in events:
            if event.data.order_no is not None and event.kind == "order_placed":
                setdefault(event.data.order_no, [at, connection])

    def report(self) -> dict:
        return {
            "index": self.index,
            "last_seq": self.last_seq,
            "counts": self.counts,
            "received": self.received,
            "hellos": self.hellos,
            "closes": self.closes,
            "out_of_order": self.out_of_order,
            "messages": self.messages,
            "errors": self.errors[:20],
        }


async def _token(base: str, phone: str, password: str) -> str:
    import httpx

    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(f"{base}/api/auth/token", json={"phone": phone, "password": password})
        response.raise_for_status()
        return response.json()["access_token"]


async def hosts(spec: dict) -> dict:
    token = await _token(spec["bases"][0], spec["phone"], spec["password"])
    clients = []
    for i in range(spec["hosts"]):
        base = spec["bases"][i % len(spec["bases"])]
        clients.append(Host(i, "ws" + base.removeprefix("http"), spec["session_id"], token, [], spec["pause"]))
    tasks = [asyncio.create_task(c.run(spec)) for c in clients]
    await asyncio.wait_for(asyncio.gather(*(c.caught_up.wait() for c in clients)), 60)
    _ready(spec, "hosts")
    start_at = float(await _wait_control(spec, "start_at", spec["deadline"]) or 0)
    # Planned drops, spread over the middle of the load, each dropper at its own moments.
    for n, client in enumerate(clients[: spec["droppers"]]):
        client.drops = [
            start_at + spec["seconds"] * (0.25 + 0.5 * (k + n / max(1, spec["droppers"])) / spec["drops_each"])
            for k in range(spec["drops_each"])
        ]
    await asyncio.gather(*tasks)
    return {"hosts": [c.report() for c in clients]}


# ---------------------------------------------------------------- viewer clients


async def viewers(spec: dict) -> dict:
    n = spec["viewers"]
    messages, leaks, stock, errors = [0] * n, [0] * n, [{} for _ in range(n)], []
    opened = [asyncio.Event() for _ in range(n)]
    gate = asyncio.Semaphore(50)  # do not open 500 handshakes at once

    async def one(i: int) -> None:
        base = spec["bases"][i % len(spec["bases"])]
        url = "ws" + base.removeprefix("http") + f"/ws/live/{spec['session_id']}/viewers"
        try:
            async with gate:
                ws = await websockets.connect(url, max_size=None, open_timeout=60, ping_interval=None)
            async with ws:
                json.loads(await ws.recv())
                opened[i].set()
                while True:
                    final = _control(spec, "final_stock")
                    if final is not None and stock[i].get(str(spec["pool_id"])) == int(final):
                        return
                    if time.time() > spec["deadline"]:
                        return
                    try:
                        async with asyncio.timeout(0.5):
                            raw = await ws.recv()
                    except TimeoutError:
                        continue
                    messages[i] += 1
                    if PHONE.search(raw if isinstance(raw, str) else raw.decode()):
                        leaks[i] += 1
                    message = msgspec.json.decode(raw)
                    if message.get("type") == "update":
                        stock[i].update(message["stock"])
        except Exception as exc:  # noqa: BLE001 - counted and reported, the others go on
            if len(errors) < 20:
                errors.append(f"viewer {i}: {type(exc).__name__} {exc}")
            opened[i].set()

    tasks = [asyncio.create_task(one(i)) for i in range(n)]
    await asyncio.wait_for(asyncio.gather(*(o.wait() for o in opened)), 120)
    _ready(spec, "viewers")
    await asyncio.gather(*tasks)
    final = _control(spec, "final_stock")
    up_to_date = sum(1 for s in stock if final is not None and s.get(str(spec["pool_id"])) == int(final))
    return {
        "viewers": n,
        "messages": sum(messages),
        "min_messages": min(messages, default=0),
        "leaks": sum(leaks),
        "up_to_date": up_to_date,
        "errors": errors,
    }


# ---------------------------------------------------------------- order generator


async def _paced(spec: dict, place) -> dict:  # type: ignore[no-untyped-def]
    """Order i is due at start_at + i / rate; ``concurrency`` workers take the next due order (open loop).

    Bounded: nothing new is started after the offering window (``seconds``); orders still due then were
    more than the system could take and are counted as not placed."""
    mine = range(spec["first"], spec["count"], spec["stride"])
    indices = iter(mine)
    commits: dict[str, float] = {}
    late: list[float] = []
    errors: list[str] = []
    start_at = float(await _wait_control(spec, "start_at", spec["deadline"]) or time.time())
    stop_at = start_at + spec["seconds"]
    rate = spec["rate"]
    cpu = time.process_time()

    async def worker() -> None:
        for i in indices:
            due = start_at + i / rate
            if (delay := due - time.time()) > 0:
                await asyncio.sleep(delay)
            began = time.time()
            if began >= stop_at:
                return
            try:
                order_no = await place(i)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                if len(errors) < 10:
                    errors.append(f"{type(exc).__name__}: {exc}"[:300])
                continue
            commits[order_no] = time.time()
            late.append(began - due)

    await asyncio.gather(*(worker() for _ in range(spec["concurrency"])))
    return {
        "commits": commits,
        "offered": len(mine),
        "started": len(late) + len(errors),
        "late_p50_s": percentile(late, 50),
        "late_max_s": max(late, default=0.0),
        "errors": errors,
        "cpu_s": time.process_time() - cpu,
    }


def _order_fields(spec: dict, i: int) -> dict:
    return {**BODY, "pool_id": spec["pool_id"], "phone": f"138{i:08d}"}


async def generator(spec: dict) -> dict:
    """Direct intake only: the HTTP intake is driven by wrk (feed_latency.py, _wrk.py)."""
    return await _generate_direct(spec)


async def _generate_direct(spec: dict) -> dict:
    """The endpoint's own intake function (take_order_now: the order route's, with the "still live?" check),
    in a process whose heap and collector are set as a server's (``caoyuan.web.heap``)."""
    import types

    import msgspec

    from caoyuan.db import create_database
    from caoyuan.db.metadata import load_all_models
    from caoyuan.web.heap import freeze_startup_heap
    from storefront.schemas import OrderIn
    from streaming.services.intake import take_order_now

    load_all_models()
    # On PostgreSQL an order takes no connection of its own (the read and write batches have one each), so
    # a few cover any concurrency; the fallback paths (replays, refusals found by a batch) use the rest.
    database = create_database(spec["database_url"], min(spec["concurrency"], 8))
    settings = types.SimpleNamespace(order_expiry_minutes=15)

    async def warm() -> None:
        async with database.session() as s:
            await s.connection()

    await asyncio.gather(*(warm() for _ in range(min(spec["concurrency"], 8))))
    freeze_startup_heap()

    async def place(i: int) -> str:
        data = msgspec.convert(_order_fields(spec, i), OrderIn)
        key = f"bench-feed-{i:09d}"
        placed = await take_order_now(database, settings, spec["session_id"], data, key, None)  # type: ignore[arg-type]
        return placed.order.public_no

    _ready(spec, f"generator-{spec['first']}")
    try:
        return await _paced(spec, place)
    finally:
        await database.dispose()


ROLES = {"hosts": hosts, "viewers": viewers, "generator": generator}


def main() -> None:
    role, spec_file, out_file = sys.argv[1:4]
    spec = json.loads(Path(spec_file).read_text())
    # The event loop the servers run on (uvicorn takes uvloop when it is installed, as uvicorn[standard] does):
    # the direct intake runs the endpoint's own code, and the clients share the machine with the servers.
    result = uvloop.run(ROLES[role](spec))
    Path(out_file).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
