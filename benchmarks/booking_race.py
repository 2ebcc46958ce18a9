"""Booking race: a flood of booking requests at one operator-day through the HTTP API, driven by wrk,
against the real app on PostgreSQL (its own scratch database, migrated and seeded), with the quote's latency
measured while the flood runs.

    .venv/bin/python benchmarks/booking_race.py [--seconds 10] [--race-connections 1000] [--connections 64]
        [--threads 2] [--profile DIR] [--small]

In one run, with wrk (``_wrk.py``; each booking a fresh farmer phone, the bearer tokens of 4 village agents in
turn, per-status counts): bare Litestar's POST (``_bare_app.py``), the app's trivial POST (``_bench_app.py``),
the idle quote (``GET /api/machinery/quote`` at 100 a second), then ``--race-connections`` connections booking
3 mu each at one 300-mu operator-day for ``--seconds`` (at most 100 fit: 201 = booked, 409 ``day_full`` =
refused) while a second wrk asks for quotes at 100 a second. Each phase prints wrk's, the server's and
PostgreSQL's CPU; no ratio is computed from a phase in which wrk's busiest thread was ~ a full core.

The last line printed is one JSON object: attempts, accepted, rejected, errors, over_capacity (mu booked beyond
the day's capacity — must be 0), consistent, bookings_per_s, booking_ratio (bookings / trivial POST),
trivial_ratio (trivial / bare), quote_p99_ms (goal < 20 under the flood), quote_p99_idle_ms, …
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import _profile
import _scrape
import _wrk
import httpx
from _scratch import cpu_canary_ms, free_port, machine_line, start_server, stop
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("CAOYUAN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
PASSWORD = "bench-password-2026"
AGENTS = 4  # bearer tokens the bookings are spread over (village agents)
OPERATOR_MU = 30000  # the operator-day under fire: 300 mu
PLOT = "3"  # each request books 3 mu on flat land → at most 100 fit


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
    from tests.factories.coop import make_cooperative

    database = create_database(url, 2)
    async with database.session() as s:
        coop, _ = await make_cooperative(s, members=3, name="八道岭村股份经济合作社（压测）")
        s.add(PricingPolicy(cooperative_id=coop.id))
        service = ServiceType(cooperative_id=coop.id, name="玉米收割", machine_kind="玉米收割机", is_corn_harvest=True)
        s.add(service)
        asset = FixedAsset(
            cooperative_id=coop.id,
            name="玉米收割机",
            category="machine",
            cost_fen=14_400_000,
            funding_source="special_fund",
            purchased_on=date(2023, 5, 1),
            insurance_policy="PICC-1",
            insurance_expires_on=day + timedelta(365),
        )
        s.add(asset)
        await s.flush()
        s.add(SeasonPrice(service_type_id=service.id, season=day.year, market_fen=8000))
        machine = Machine(
            cooperative_id=coop.id,
            kind="玉米收割机",
            model="4YZ-4",
            plate="蒙D·B0001",
            daily_capacity=OPERATOR_MU * 2,
            asset_id=asset.id,
        )
        s.add(machine)
        await s.flush()
        for n in range(AGENTS):
            await create_user(s, phone=f"1390000{n + 1:04d}", password=PASSWORD, role="admin", display_name=f"代办{n}")
        account = await create_user(s, phone="13900009999", password=PASSWORD, role="operator", display_name="孙德胜")
        operator = Operator(
            cooperative_id=coop.id,
            user_id=account.id,
            name="孙德胜",
            machine_id=machine.id,
            daily_capacity=OPERATOR_MU,
            wage_basis="mu",
            wage_rate_fen=800,
        )
        s.add(operator)
        await s.flush()
        ids = {"service": service.id, "operator": operator.id, "machine": machine.id}
    await database.dispose()
    return ids  # type: ignore[return-value]


async def verify(url: str, ids: dict[str, int], day: date) -> dict[str, int]:
    from caoyuan.db import create_database

    database = create_database(url, 1)
    async with database.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT capacity, booked FROM machinery_operator_day WHERE operator_id = :o AND day = :d"),
                {"o": ids["operator"], "d": day},
            )
        ).one()
        held = await conn.scalar(
            text(
                "SELECT COALESCE(SUM(load), 0) FROM machinery_booking WHERE status = 'scheduled' AND scheduled_on = :d"
            ),
            {"d": day},
        )
        count = await conn.scalar(text("SELECT COUNT(*) FROM machinery_booking"))
    await database.dispose()
    return {"capacity": row.capacity, "booked": row.booked, "held": int(held), "bookings": int(count)}


def _tokens(base: str) -> list[dict[str, str]]:
    tokens = []
    for n in range(AGENTS):
        answer = httpx.post(f"{base}/api/auth/token", json={"phone": f"1390000{n + 1:04d}", "password": PASSWORD})
        answer.raise_for_status()
        tokens.append({"Authorization": f"Bearer {answer.json()['access_token']}"})
    return tokens


def _booking(ids: dict[str, int], day: date) -> dict:
    return {
        "service_type_id": ids["service"],
        "plots": [{"village": "八道岭村", "area": PLOT}],
        "earliest_on": str(day),
        "latest_on": str(day),
        "farmer_name": "压测农户",
        "farmer_phone": _wrk.PHONE,
        "day": str(day),
        "operator_id": ids["operator"],
        "machine_id": ids["machine"],
    }


SETTLE_S = 2.0  # the flood's first moment: a thousand connections opened and their first requests read at once


def _quotes(path: str, seconds: float, rate: float = 100, after: float = 0.5) -> _wrk.Load:
    """A farmer asking for a price, ``rate`` times a second, paced (open loop), on 2 connections."""
    return _wrk.Load(path=path, connections=2, threads=1, seconds=seconds, rate=rate, start_at=time.time() + after)


def race(args: argparse.Namespace, url: str, ids: dict[str, int], day: date, work: Path) -> dict:
    from _scratch import ORDER_BODY

    shape = {"connections": args.connections, "threads": args.threads, "seconds": args.seconds}
    ceiling = {**ORDER_BODY, "pool_id": 1, "phone": _wrk.PHONE}
    runs: dict = {}
    port = free_port()
    bare = start_server("_bare_app:create", port, work / "bare.log")
    try:
        base = f"http://127.0.0.1:{port}"
        warm = _wrk.Load(path="/api/bench/ceiling", method="POST", body=ceiling, **{**shape, "seconds": 1})
        _wrk.measure("warm-up", base, warm, {bare.pid})
        load = _wrk.Load(path="/api/bench/ceiling", method="POST", body=ceiling, phone_prefix="31", **shape)
        runs["bare"] = _wrk.measure("bare Litestar POST", base, load, {bare.pid})
    finally:
        stop(bare)
    print(_wrk.describe(runs["bare"]), flush=True)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"CAOYUAN_DATABASE_URL": url, "CAOYUAN_DATABASE_POOL_SIZE": "10", **_scrape.ENV}
    server = start_server("_bench_app:create", port, work / "server.log", env)
    pids = {server.pid}
    quote_path = f"/api/machinery/quote?service_type_id={ids['service']}&area=12.5&slope_area=4"
    try:
        tokens = _tokens(base)
        _wrk.measure("warm-up", base, _wrk.Load(path=quote_path, **{**shape, "seconds": 1}), pids, url_name(url))
        load = _wrk.Load(path="/api/bench/ceiling", method="POST", body=ceiling, phone_prefix="34", **shape)
        runs["trivial"] = _wrk.measure("app trivial POST", base, load, pids, url_name(url))
        print(_wrk.describe(runs["trivial"]), flush=True)
        runs["quote_idle"] = _wrk.measure("quote, idle (100/s)", base, _quotes(quote_path, 2), pids, url_name(url))
        print(_wrk.describe(runs["quote_idle"]), flush=True)
        flood = _wrk.Load(
            path="/api/machinery/bookings",
            method="POST",
            body=_booking(ids, day),
            rotate=tokens,
            phone_prefix="35",
            connections=args.race_connections,
            threads=args.threads,
            seconds=args.seconds,
        )
        profiler = _profile.start(server.pid, args.seconds, args.profile, "bookings") if args.profile else None
        quotes = _wrk.Running(base, _quotes(quote_path, args.seconds))
        # A second, lighter asker that starts once the flood's connections are open: tells the flood's first
        # moment apart from its steady state (the goal is read on the first asker, over the whole flood).
        settled = _wrk.Running(base, _quotes(quote_path, max(1.0, args.seconds - SETTLE_S), 20, 0.5 + SETTLE_S))
        name = f"bookings ({args.race_connections} connections)"
        runs["bookings"] = _wrk.measure(name, base, flood, pids, url_name(url))
        runs["quote_loaded"] = dict(
            quotes.finish(),
            name="quote, under the flood (100/s)",
            cpu=runs["bookings"]["cpu"],
            loadavg=runs["bookings"]["loadavg"],
        )
        runs["quote_settled"] = dict(
            settled.finish(),
            name=f"quote, the flood after its first {SETTLE_S:g} s (20/s)",
            cpu=runs["bookings"]["cpu"],
            loadavg=runs["bookings"]["loadavg"],
        )
        print(_wrk.describe(runs["bookings"]), flush=True)
        print(_wrk.describe(runs["quote_loaded"]), flush=True)
        print(_wrk.describe(runs["quote_settled"]), flush=True)
        if profiler:
            _profile.finish(profiler)
        time.sleep(1.0)  # bookings still waiting at the gate when wrk stopped: dropped unread (499) by now
        route = _scrape.summary(_scrape.scrape(base), "/api/machinery/bookings")["order_route"]
        runs["server_bookings"] = dict(sorted(route["statuses"].items()))
        print(f"the server's account of the booking route, by status: {runs['server_bookings']}", flush=True)
    finally:
        stop(server)
    return runs


def url_name(url: str) -> str:
    return make_url(url).database or ""


def report(args: argparse.Namespace, runs: dict, checked: dict[str, int]) -> dict:
    server_bookings = runs.pop("server_bookings")  # the server's counts, not a wrk phase
    bookings = runs["bookings"]
    accepted = bookings["statuses"].get("201", 0)
    rejected = bookings["statuses"].get("409 day_full", 0)
    for sample in bookings["samples"] + runs["quote_loaded"]["samples"]:
        if not sample.startswith("409 day_full"):
            print("  ", sample)
    over = max(0, checked["held"] - checked["capacity"]) + max(0, checked["booked"] - checked["capacity"])
    # wrk stops with requests in flight, which the server may still commit: the database is the truth.
    consistent = (
        checked["held"] == checked["booked"] and accepted <= checked["bookings"] <= accepted + args.race_connections
    )
    print(
        f"booking race: {bookings['requests']} answered at one operator-day ({checked['capacity'] / 100:.0f} mu, "
        f"{PLOT} mu each) in {bookings['elapsed_s']:.1f} s → {accepted} booked, {rejected} day_full, "
        f"{bookings['requests'] - accepted - rejected} other"
    )
    print(
        f"operator-day booked {checked['booked'] / 100:.2f} mu; bookings hold {checked['held'] / 100:.2f} mu; "
        f"rows in machinery_booking: {checked['bookings']} — {'consistent' if consistent else 'INCONSISTENT'}"
    )
    idle, loaded = runs["quote_idle"], runs["quote_loaded"]
    print(
        f"quote latency idle: p50 {idle['p50_ms']:.1f} ms, p99 {idle['p99_ms']:.1f} ms; under the flood "
        f"({loaded['requests']} quotes): p50 {loaded['p50_ms']:.1f} ms, p99 {loaded['p99_ms']:.1f} ms (goal < 20)"
    )
    print(
        _wrk.ratio_words(
            "bookings / trivial POST",
            bookings,
            runs["trivial"],
            f"{args.race_connections} against {args.connections} connections",
        )
    )
    print(_wrk.ratio_words("trivial / bare", runs["trivial"], runs["bare"], "goal ≥ 0.7"))
    note = _wrk.saturation_note(*runs.values())
    if note:
        print("NOTE:", note)
    return {
        "attempts": bookings["requests"],
        "accepted": accepted,
        "rejected": rejected,
        "errors": bookings["requests"] - accepted - rejected,
        "capacity_mu": checked["capacity"] / 100,
        "booked_mu": checked["booked"] / 100,
        "over_capacity": over / 100,
        "consistent": consistent,
        "bookings_per_s": round(bookings["per_s"], 1),
        "trivial_per_s": round(runs["trivial"]["per_s"], 1),
        "bare_per_s": round(runs["bare"]["per_s"], 1),
        "booking_ratio": _wrk.ratio(bookings, runs["trivial"]),
        "trivial_ratio": _wrk.ratio(runs["trivial"], runs["bare"]),
        "booking_p99_ms": round(bookings["p99_ms"], 1),
        "quote_p50_idle_ms": round(idle["p50_ms"], 2),
        "quote_p99_idle_ms": round(idle["p99_ms"], 2),
        "quote_p50_ms": round(loaded["p50_ms"], 2),
        "quote_p99_ms": round(loaded["p99_ms"], 2),
        "quotes_under_load": loaded["requests"],
        "quote_p99_settled_ms": round(runs["quote_settled"]["p99_ms"], 2),
        "server_booking_statuses": server_bookings,  # 499: waited at the gate, its client gone
        "client_saturated": note is not None,
        "saturation": note,
        "phases": {r["name"]: _wrk.summary(r) for r in runs.values()},
        "race_connections": args.race_connections,
        "connections": args.connections,
        "seconds": args.seconds,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "cpu_canary_ms": cpu_canary_ms(),
        "client": "wrk",
        "database": "postgresql",
    }


async def _prepare(url: str, name: str) -> tuple[dict[str, int], date]:
    from caoyuan.clock import today as local_today
    from caoyuan.db.migrate import upgrade

    await admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    await asyncio.to_thread(upgrade, url)
    day = local_today() + timedelta(days=3)
    return await seed(url, day), day


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="length of each measured phase")
    parser.add_argument("--race-connections", type=int, default=1000, help="connections booking at once")
    parser.add_argument("--connections", type=int, default=64, help="connections for the ceilings")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--profile", type=Path, help="py-spy the server during the flood into this folder")
    parser.add_argument("--small", action="store_true", help="a smoke run: 3 s phases, 50 booking connections")
    args = parser.parse_args()
    if args.small:
        args.seconds, args.race_connections, args.connections = 3, 50, 8
    _wrk.wrk_path()
    name = f"caoyuan_bench_{os.getpid()}"
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    print(f"machine: {machine_line()}; scratch database {name}; load: wrk", flush=True)
    try:
        ids, day = asyncio.run(_prepare(url, name))
        with tempfile.TemporaryDirectory(prefix="caoyuan-booking-") as tmp:
            runs = race(args, url, ids, day, Path(tmp))
        checked = asyncio.run(verify(url, ids, day))
    finally:
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(json.dumps(report(args, runs, checked), ensure_ascii=False))


if __name__ == "__main__":
    main()
