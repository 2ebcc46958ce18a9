"""Booking race: ≥ 1,000 concurrent booking requests at one operator-day through the HTTP API,
against a real uvicorn process on PostgreSQL (its own scratch database, migrated and seeded),
with quote latency measured while the race runs.

    .venv/bin/python benchmarks/booking_race.py [--attempts 1200] [--quotes 400]

The last line printed is one JSON object: attempts, accepted, rejected, errors, over_capacity
(mu booked beyond the day's capacity — must be 0), quote_p50_ms, quote_p99_ms (goal < 20), …
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("CAOYUAN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
PASSWORD = "bench-password-2026"
AGENTS = 4  # bearer tokens the bookings are spread over (village agents)
OPERATOR_MU = 30000  # the operator-day under fire: 300 mu
PLOT = "3"  # each request books 3 mu on flat land → at most 100 fit


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def admin_sql(*statements: str) -> None:
    from caoyuan.db import create_database

    admin = create_database(PG_URL, 1)
    async with admin.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        for statement in statements:
            await conn.execute(text(statement))
    await admin.dispose()


async def seed(url: str, day: date) -> dict[str, int]:
    from caoyuan.auth.service import create_user
    from caoyuan.db import create_database
    from coop.machinery.models import Machine, Operator, PricingPolicy, SeasonPrice, ServiceType
    from coop.models import FixedAsset
    from coop.testing import make_cooperative

    database = create_database(url, 2)
    async with database.session() as s:
        coop, _ = await make_cooperative(s, members=3, name="八道岭村股份经济合作社（压测）")
        s.add(PricingPolicy(cooperative_id=coop.id))
        service = ServiceType(cooperative_id=coop.id, name="玉米收割", machine_kind="玉米收割机", is_corn_harvest=True)
        s.add(service)
        asset = FixedAsset(cooperative_id=coop.id, name="玉米收割机", category="machine", cost_fen=14_400_000,
                           funding_source="special_fund", purchased_on=date(2023, 5, 1), insurance_policy="PICC-1",
                           insurance_expires_on=day + timedelta(365))
        s.add(asset)
        await s.flush()
        s.add(SeasonPrice(service_type_id=service.id, season=day.year, market_fen=8000))
        machine = Machine(cooperative_id=coop.id, kind="玉米收割机", model="4YZ-4", plate="蒙D·B0001",
                          daily_capacity=OPERATOR_MU * 2, asset_id=asset.id)
        s.add(machine)
        await s.flush()
        for n in range(AGENTS):
            await create_user(s, phone=f"1390000{n + 1:04d}", password=PASSWORD, role="admin", display_name=f"代办{n}")
        account = await create_user(s, phone="13900009999", password=PASSWORD, role="operator", display_name="孙德胜")
        operator = Operator(cooperative_id=coop.id, user_id=account.id, name="孙德胜", machine_id=machine.id,
                            daily_capacity=OPERATOR_MU, wage_basis="mu", wage_rate_fen=800)
        s.add(operator)
        await s.flush()
        ids = {"service": service.id, "operator": operator.id, "machine": machine.id}
    await database.dispose()
    return ids  # type: ignore[return-value]


def start_server(url: str, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "CAOYUAN_DATABASE_URL": url, "CAOYUAN_SECRET_KEY": "x" * 48, "CAOYUAN_LOG_LEVEL": "WARNING",
           "CAOYUAN_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "CAOYUAN_DATABASE_POOL_SIZE": "10"}
    process = subprocess.Popen([sys.executable, "-m", "caoyuan", "serve", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError("server did not become ready")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else 0.0


async def http(port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> int:
    """One request on its own connection, spoken by hand: a lean client leaves the two cores to the server."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{head}"
                 f"Content-Length: {len(body)}\r\nContent-Type: application/json\r\n\r\n".encode() + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    await reader.read()
    writer.close()
    return status


async def race(port: int, ids: dict[str, int], day: date, attempts: int, quotes: int) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        tokens = []
        for n in range(AGENTS):
            r = await client.post("/api/auth/token", json={"phone": f"1390000{n + 1:04d}", "password": PASSWORD})
            r.raise_for_status()
            tokens.append({"Authorization": f"Bearer {r.json()['access_token']}"})
    quote_path = f"/api/machinery/quote?service_type_id={ids['service']}&area=12.5&slope_area=4"
    for _ in range(20):  # warm up
        assert await http(port, "GET", quote_path) == 200
    idle = []
    for _ in range(200):
        t0 = time.perf_counter()
        assert await http(port, "GET", quote_path) == 200
        idle.append((time.perf_counter() - t0) * 1000)

    statuses: list[int] = []
    body = json.dumps({"service_type_id": ids["service"], "plots": [{"village": "八道岭村", "area": PLOT}],
                       "earliest_on": str(day), "latest_on": str(day), "farmer_name": "压测农户",
                       "farmer_phone": "13912345678", "day": str(day), "operator_id": ids["operator"],
                       "machine_id": ids["machine"]}).encode()
    start = asyncio.Event()

    async def book(n: int) -> None:
        await start.wait()  # every request leaves at once
        try:
            statuses.append(await http(port, "POST", "/api/machinery/bookings", body, tokens[n % AGENTS]))
        except (OSError, IndexError, ValueError):
            statuses.append(0)

    loaded: list[float] = []
    racing = True

    async def quoter() -> None:
        while racing and len(loaded) < quotes:
            t0 = time.perf_counter()
            if await http(port, "GET", quote_path) == 200:
                loaded.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(0.01)

    tasks = [asyncio.create_task(book(n)) for n in range(attempts)]
    await asyncio.sleep(0.2)
    t0 = time.perf_counter()
    start.set()
    quoters = [asyncio.create_task(quoter()) for _ in range(2)]
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - t0
    racing = False
    await asyncio.gather(*quoters)
    return {"statuses": statuses, "wall": wall, "idle": idle, "loaded": loaded}


async def verify(url: str, ids: dict[str, int], day: date) -> dict[str, int]:
    from caoyuan.db import create_database

    database = create_database(url, 1)
    async with database.engine.connect() as conn:
        row = (await conn.execute(text("SELECT capacity, booked FROM machinery_operator_day "
                                       "WHERE operator_id = :o AND day = :d"), {"o": ids["operator"], "d": day})).one()
        held = await conn.scalar(text("SELECT COALESCE(SUM(load), 0) FROM machinery_booking "
                                      "WHERE status = 'scheduled' AND scheduled_on = :d"), {"d": day})
        count = await conn.scalar(text("SELECT COUNT(*) FROM machinery_booking"))
    await database.dispose()
    return {"capacity": row.capacity, "booked": row.booked, "held": int(held), "bookings": int(count)}


async def main(attempts: int, quotes: int) -> dict[str, object]:
    sys.path[:0] = [str(ROOT), str(ROOT / "src")]
    from coop.machinery.services.common import local_today

    name = f"caoyuan_bench_{os.getpid()}"
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    await admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    process = None
    try:
        from caoyuan.db.migrate import upgrade

        upgrade(url)
        day = local_today() + timedelta(days=3)
        ids = await seed(url, day)
        port = free_port()
        process = start_server(url, port, Path(os.environ.get("TMPDIR", "/tmp")) / f"booking_race_{port}.log")
        result = await race(port, ids, day, attempts, quotes)
        checked = await verify(url, ids, day)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        await admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    statuses: list[int] = result["statuses"]  # type: ignore[assignment]
    accepted = statuses.count(201)
    loaded: list[float] = result["loaded"]  # type: ignore[assignment]
    idle: list[float] = result["idle"]  # type: ignore[assignment]
    over = max(0, checked["held"] - checked["capacity"]) + max(0, checked["booked"] - checked["capacity"])
    print(f"booking race: {len(statuses)} requests at one operator-day ({checked['capacity'] / 100:.0f} mu, "
          f"{PLOT} mu each) in {result['wall']:.2f} s → {accepted} accepted, {statuses.count(409)} full, "
          f"{len(statuses) - accepted - statuses.count(409)} other")
    print(f"operator-day booked {checked['booked'] / 100:.2f} mu; bookings hold {checked['held'] / 100:.2f} mu; "
          f"rows in machinery_booking: {checked['bookings']}")
    print(f"quote latency idle: p50 {percentile(idle, 50):.1f} ms, p99 {percentile(idle, 99):.1f} ms; "
          f"under load ({len(loaded)} quotes): p50 {percentile(loaded, 50):.1f} ms, p99 {percentile(loaded, 99):.1f} ms")
    return {
        "attempts": len(statuses), "accepted": accepted, "rejected": statuses.count(409),
        "errors": len(statuses) - accepted - statuses.count(409), "capacity_mu": checked["capacity"] / 100,
        "booked_mu": checked["booked"] / 100, "over_capacity": over / 100,
        "consistent": checked["held"] == checked["booked"] and checked["bookings"] == accepted,
        "race_seconds": round(result["wall"], 2), "bookings_per_s": round(len(statuses) / result["wall"], 1),  # type: ignore[operator]
        "quote_p50_idle_ms": round(percentile(idle, 50), 2), "quote_p99_idle_ms": round(percentile(idle, 99), 2),
        "quote_p50_ms": round(percentile(loaded, 50), 2), "quote_p99_ms": round(percentile(loaded, 99), 2),
        "quotes_under_load": len(loaded),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=1200)
    parser.add_argument("--quotes", type=int, default=400)
    args = parser.parse_args()
    summary = asyncio.run(main(max(args.attempts, 1), args.quotes))
    print(json.dumps(summary, ensure_ascii=False))
