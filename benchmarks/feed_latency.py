"""Host feed latency under a live sale's order rate, on PostgreSQL, with real websocket clients.

    .venv/bin/python benchmarks/feed_latency.py [--rate 1000] [--seconds 10] [--hosts 10] [--viewers 500]
        [--servers 2] [--intake direct|http] [--generators 2] [--concurrency 8] [--connections 64]
        [--droppers 3] [--profile DIR] [--small]

1. Makes its own scratch database (``caoyuan_bench_feed``, dropped and recreated each run) next to
   CAOYUAN_BENCH_POSTGRES_URL (default ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``), migrates it and
   seeds through the services a cooperative, a product, a host (known password) and a live session on air with
   one shelf item holding stock for every order (no per-buyer cap).
2. Starts ``--servers`` real server processes (uvicorn on ``_bench_app:create``: the app plus its trivial routes, as
   ``caoyuan serve`` runs it, CAOYUAN_BACKGROUND_TASKS=0) on free loopback ports. With two, hosts, viewers and orders are spread over both, so half of what every host sees
   was committed by the other process and reached it through PostgreSQL LISTEN/NOTIFY.
3. In processes of their own (benchmarks/_feed_clients.py): ``--hosts`` host clients on
   ``/ws/live/{id}/feed?after=0`` (bearer token), ``--viewers`` viewers on ``/ws/live/{id}/viewers`` (one event
   loop), then orders paced at ``--rate`` a second for ``--seconds`` (open loop: order i is due at start + i / rate),
   either by ``--generators`` Python processes calling the endpoint's own intake function
   (``streaming.services.intake.take_order_now``, the order route's: orders in flight on one pool share a
   read and a write statement, each with its feed events) against PostgreSQL (``--intake direct``, on
   uvloop), or through ``POST /api/live/sessions/{id}/orders`` by one wrk per server (``--intake http``;
   ``_wrk.py``: ``--connections`` each, a fresh Idempotency-Key and buyer phone per order, paced in Lua).
   Each commit time (``time.time()`` right after the commit, or when the 201 arrives) is kept by order number.
   With ``--intake http`` the run first measures, with wrk, bare Litestar's POST and the app's trivial POST (the
   ceilings the intake rate is compared with). ``--droppers`` hosts close their socket mid-run and reconnect
   after ``--pause`` seconds with ``?after=<last seq seen>``.
4. Latency = a host's receive time − the order's commit time, over every host and order that the host received
   live (committed after the connection that delivered it said hello); orders a dropped host caught up on after
   reconnecting are counted apart. ``lost`` = seqs 1..last (checked against the feed_event table) a host never
   received; ``duplicated`` = seqs a host received more than once. Viewers count messages and must never see a
   phone number; each must end with the final stock figure.

The last line of output is one JSON object: p99_ms (goal < 100 with ``--intake http`` at an offered 1,000
orders a second), p50_ms, events, lost (must be 0), duplicated (must be 0), clients, hosts, viewers, orders,
orders_per_s, reconnects, the CPU of each side, and with ``--intake http`` the ceilings, intake_ratio (orders a
second / trivial POST), client_saturated, and more.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _profile
import _wrk
from _cpu import CpuMeter  # noqa: E402
from _feed_figures import report
from _live_seed import HOST_PASSWORD, HOST_PHONE, seed_live_session
from _scratch import (  # noqa: E402  (run as a script from benchmarks/)
    ORDER_BODY,
    database_url,
    free_port,
    machine_line,
    percentile,
    recreate_database,
    scratch_name,
    start_server,
    stop,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DB_NAME = scratch_name("caoyuan_bench_feed")
CLIENTS = str(HERE / "_feed_clients.py")


# ---------------------------------------------------------------- database


async def _final_state(url: str, session_id: int, pool_id: int) -> dict:
    """What the database says happened: the stream's numbering, its orders and the stock left."""
    import msgspec
    import sqlalchemy as sa

    from caoyuan.db import create_database
    from caoyuan.feed import FeedEvent, FeedStream
    from storefront.models import Order, StockPool

    stream = f"live:{session_id}"
    database = create_database(url, 1)
    async with database.session() as s:
        counter = await s.scalar(sa.select(FeedStream.last_seq).where(FeedStream.key == stream)) or 0
        seqs = list(await s.scalars(sa.select(FeedEvent.seq).where(FeedEvent.stream == stream).order_by(FeedEvent.seq)))
        placed = (
            await s.execute(
                sa.select(FeedEvent.payload, FeedEvent.created_at).where(
                    FeedEvent.stream == stream, FeedEvent.kind == "order_placed"
                )
            )
        ).all()
        orders = await s.scalar(
            sa.select(sa.func.count()).select_from(Order).where(Order.live_session_id == session_id)
        )
        remaining = await s.scalar(sa.select(StockPool.remaining).where(StockPool.id == pool_id))
    await database.dispose()
    created = {msgspec.json.decode(payload)["order_no"]: at.timestamp() for payload, at in placed}
    return {"counter": counter, "seqs": seqs, "created": created, "orders": orders, "remaining": remaining}


# ---------------------------------------------------------------- processes


def _start_role(role: str, spec: dict, work: Path, name: str) -> tuple[subprocess.Popen, Path]:
    spec_file, out_file = work / f"{name}.spec.json", work / f"{name}.out.json"
    spec_file.write_text(json.dumps(spec))
    log = (work / f"{name}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, CLIENTS, role, str(spec_file), str(out_file)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    return process, out_file


def _wait_files(control: Path, names: list[str], processes: list[subprocess.Popen], work: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not all((control / n).exists() for n in names):
        for process in processes:
            if process.poll() not in (None, 0):  # (with nothing to do a client may finish at once)
                logs = "\n".join(p.read_text()[-1500:] for p in work.glob("*.log"))
                raise RuntimeError(f"a client process exited early ({process.args[2:3]}):\n{logs}")
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"clients not ready after {seconds:.0f} s: {[n for n in names if not (control / n).exists()]}"
            )
        time.sleep(0.1)


def _record_servers(args: argparse.Namespace, servers: list[subprocess.Popen]) -> list[_profile.Recording]:
    """py-spy on each server for the load window: collapsed stacks (flamegraph.pl / speedscope read them)."""
    return [
        _profile.start(server.pid, args.seconds + 2, args.profile, f"feed-server-{n}")
        for n, server in enumerate(servers)
    ]


# ---------------------------------------------------------------- main


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=1000, help="orders a second to offer")
    parser.add_argument("--seconds", type=float, default=10, help="how long orders arrive")
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--viewers", type=int, default=500)
    parser.add_argument("--servers", type=int, default=2, help="server processes (2: cross-process NOTIFY too)")
    parser.add_argument("--intake", choices=("direct", "http"), default="direct")
    parser.add_argument("--generators", type=int, default=2, help="order generator processes")
    parser.add_argument("--concurrency", type=int, default=8, help="orders in flight per generator (direct)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections per server (http intake)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads per server (http intake)")
    parser.add_argument("--droppers", type=int, default=3, help="host clients that drop and resume mid-run")
    parser.add_argument("--drops-each", type=int, default=1)
    parser.add_argument("--pause", type=float, default=0.5, help="seconds a dropped host stays away")
    parser.add_argument("--pool-size", type=int, default=5, help="CAOYUAN_DATABASE_POOL_SIZE per server")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, raw results)")
    parser.add_argument("--profile", type=Path, help="record each server with py-spy during the load into this folder")
    parser.add_argument("--small", action="store_true", help="a smoke run: 50 orders/s for 2 s, 2 hosts, 10 viewers")
    args = parser.parse_args()
    if args.small:
        args.rate, args.seconds, args.hosts, args.viewers, args.droppers = 50, 2, 2, 10, 1
        args.connections = 16
    return args


def _ceilings(args: argparse.Namespace, base: str, server_pids: set[int], work: Path) -> dict[str, dict]:
    """Bare Litestar's POST and the app's trivial POST, with wrk, before the feed clients connect."""
    body = {**ORDER_BODY, "pool_id": 1, "phone": _wrk.PHONE}
    shape = {"connections": args.connections, "threads": args.threads, "seconds": min(args.seconds, 10)}
    port = free_port()
    bare = start_server("_bare_app:create", port, work / "bare.log")
    try:
        bare_base = f"http://127.0.0.1:{port}"
        load = _wrk.Load(path="/api/bench/ceiling", method="POST", body=body, phone_prefix="31", **shape)
        _wrk.measure("warm-up", bare_base, dict_replace(load, seconds=1), {bare.pid})
        bare_run = _wrk.measure("bare Litestar POST", bare_base, load, {bare.pid})
    finally:
        stop(bare)
    print(_wrk.describe(bare_run), flush=True)
    load = _wrk.Load(path="/api/bench/ceiling", method="POST", body=body, phone_prefix="34", **shape)
    _wrk.measure("warm-up", base, dict_replace(load, seconds=1), server_pids, DB_NAME)
    trivial = _wrk.measure("app trivial POST", base, load, server_pids, DB_NAME)
    print(_wrk.describe(trivial), flush=True)
    return {"bare": bare_run, "trivial": trivial}


def dict_replace(load: _wrk.Load, **changes: object) -> _wrk.Load:
    import dataclasses

    return dataclasses.replace(load, **changes)  # type: ignore[arg-type]


def _http_intake(
    args: argparse.Namespace, bases: list[str], session_id: int, pool_id: int, start_at: float
) -> list[_wrk.Running]:
    """One wrk per server, each offering its share of the rate from start_at, paced in Lua."""
    path = f"/api/live/sessions/{session_id}/orders"
    body = {**ORDER_BODY, "pool_id": pool_id, "phone": _wrk.PHONE}
    return [
        _wrk.Running(
            base,
            _wrk.Load(
                path=path,
                method="POST",
                body=body,
                idempotency=True,
                tag=f"feed{k}",
                phone_prefix=str(38 + k),
                connections=args.connections,
                threads=args.threads,
                seconds=args.seconds,
                rate=args.rate / len(bases),
                start_at=start_at,
                record=True,
            ),
        )
        for k, base in enumerate(bases)
    ]


def _wrk_generated(args: argparse.Namespace, run: dict, share: float) -> dict:
    """A wrk run in the shape a Python generator reports (commits by order number, lateness, errors)."""
    late = run["late"]
    unexpected = {k: v for k, v in run["statuses"].items() if k != "201"}
    return {
        "commits": run["records"],
        "offered": int(share * args.seconds),
        "started": run["sent"],
        "late_p50_s": percentile(late, 50),
        "late_max_s": max(late, default=0.0),
        "errors": [f"{k}: {v}" for k, v in unexpected.items()] + run["samples"],
        "cpu_s": run["client_cpu_s"],
        "statuses": run["statuses"],
        "client_busiest_thread": run["client_busiest_thread"],
        "client_saturated": run["client_saturated"],
    }


def main() -> None:  # noqa: PLR0915
    args = _arguments()
    from caoyuan.db.migrate import upgrade

    if args.intake == "http":
        _wrk.wrk_path()
    count = int(args.rate * args.seconds)
    url = database_url(DB_NAME)
    print(f"machine: {machine_line()}; scratch database {DB_NAME}; migrating and seeding …", flush=True)
    asyncio.run(recreate_database(DB_NAME))
    upgrade(url)
    ids = asyncio.run(seed_live_session(url, count + 1000))
    ids["pool_id"] = ids["shelf_pool_id"]
    work = Path(tempfile.mkdtemp(prefix="caoyuan-feed-bench-"))
    control = work / "control"
    control.mkdir()
    started: list[subprocess.Popen] = []
    ceilings: dict[str, dict] = {}
    try:
        ports = [free_port() for _ in range(args.servers)]
        env = {"CAOYUAN_DATABASE_URL": url, "CAOYUAN_DATABASE_POOL_SIZE": str(args.pool_size)}
        servers = []
        for port in ports:
            servers.append(start_server("_bench_app:create", port, work / f"server-{port}.log", env))
            started.append(servers[-1])
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        if args.intake == "http":
            ceilings = _ceilings(args, bases[0], {servers[0].pid}, work)
        deadline = time.time() + 120 + args.seconds * 4
        common = {
            "control": str(control),
            "bases": bases,
            "session_id": ids["session_id"],
            "pool_id": ids["pool_id"],
            "deadline": deadline,
            "seconds": args.seconds,
        }
        print(
            f"{args.servers} server process(es) on {', '.join(bases)}; {args.hosts} hosts, {args.viewers} viewers "
            f"connecting …",
            flush=True,
        )
        hosts_p, hosts_out = _start_role(
            "hosts",
            {
                **common,
                "hosts": args.hosts,
                "phone": HOST_PHONE,
                "password": HOST_PASSWORD,
                "droppers": args.droppers,
                "drops_each": args.drops_each,
                "pause": args.pause,
            },
            work,
            "hosts",
        )
        viewers_p, viewers_out = _start_role("viewers", {**common, "viewers": args.viewers}, work, "viewers")
        generators = []
        if args.intake == "direct":
            generators = [
                _start_role(
                    "generator",
                    {
                        **common,
                        "intake": args.intake,
                        "database_url": url,
                        "rate": args.rate,
                        "count": count,
                        "first": k,
                        "stride": args.generators,
                        "concurrency": args.concurrency,
                    },
                    work,
                    f"generator-{k}",
                )
                for k in range(args.generators)
            ]
        clients = [hosts_p, viewers_p] + [g for g, _ in generators]
        started += clients
        _wait_files(
            control,
            ["ready-hosts", "ready-viewers"] + [f"ready-generator-{k}" for k in range(len(generators))],
            clients,
            work,
            150,
        )
        how = (
            f"{args.generators} Python generator(s), {args.concurrency} in flight each"
            if args.intake == "direct"
            else f"one wrk per server, {args.connections} connections each"
        )
        print(
            f"clients ready; {args.intake} intake ({how}) offering {args.rate:.0f} orders/s for {args.seconds:.0f} s …",
            flush=True,
        )

        groups = {
            "servers": {s.pid for s in servers},
            "generators": {g.pid for g, _ in generators},
            "hosts": {hosts_p.pid},
            "viewers": {viewers_p.pid},
        }
        meter = CpuMeter(groups, DB_NAME)
        meter.start()
        load_before = os.getloadavg()
        start_at = time.time() + 1.0
        intake = _http_intake(args, bases, ids["session_id"], ids["pool_id"], start_at) if args.intake == "http" else []
        groups["generators"].update(r.pid for r in intake)
        (control / "start_at").write_text(repr(start_at))
        profilers = _record_servers(args, servers) if args.profile else []
        started += [r.process for r in profilers]
        for process, _ in generators:
            process.wait(timeout=args.seconds * 6 + 120)
        share = args.rate / max(1, len(intake))
        generated = [json.loads(out.read_text()) for _, out in generators]
        generated += [_wrk_generated(args, r.finish(), share) for r in intake]
        cpu = meter.stop()
        cpu["loadavg"] = [round(x, 2) for x in (*load_before, os.getloadavg()[0])]

        state = asyncio.run(_final_state(url, ids["session_id"], ids["pool_id"]))
        (control / "final_stock").write_text(str(state["remaining"]))
        (control / "final_seq").write_text(str(state["counter"]))
        hosts_p.wait(timeout=90)
        viewers_p.wait(timeout=90)
        for profiler in profilers:
            _profile.finish(profiler)
        host_result = json.loads(hosts_out.read_text())
        viewer_result = json.loads(viewers_out.read_text())
        server_logs = "".join((work / f"server-{p}.log").read_text() for p in ports)
    finally:
        for process in reversed(started):
            stop(process)
        if not args.keep:
            for path in sorted(work.rglob("*"), reverse=True):
                path.unlink() if path.is_file() else path.rmdir()
            work.rmdir()
        else:
            print(f"work directory kept: {work}")

    report(args, generated, state, host_result["hosts"], viewer_result, cpu, server_logs, start_at, ceilings)


if __name__ == "__main__":
    main()
