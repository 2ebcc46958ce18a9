"""The public reads of a live sale under load — the session's API and the buyer's live-room page — on
PostgreSQL and on the embedded SQLite demo, as shares of the app's trivial GET, driven by wrk.

    .venv/bin/python benchmarks/public_reads.py [--database both|postgresql|sqlite] [--seconds 10]
        [--connections 64] [--threads 2] [--profile DIR] [--small]

1. For each database, bare Litestar (``_bare_app.py``) answers ``GET /api/bench/ping``: this machine's
   ceiling for a GET, measured just before that database's phases (a drifting machine's speed a minute
   later is another machine's).
2. For each database, the real app plus trivial routes (``_bench_app.py``) on it: PostgreSQL — a scratch
   database (``caoyuan_bench_reads``) seeded with a session on air and a flash sale; SQLite — a fresh demo
   database (what ``caoyuan demo`` seeds) in a temporary folder, its session on air.
3. wrk (2 threads, 64 connections) measures, one after another on the same server: the app's trivial GET
   (``/api/bench/ping``: middleware, access log, no handler work), ``GET /healthz``, ``GET /api/live/sessions/{id}``
   and ``GET /live/{id}``, each with wrk's, the server's and PostgreSQL's CPU; no ratio from a phase in which wrk's
   busiest thread was ~ a full core. Every answer must be a 200.

``--profile DIR`` records the server with py-spy during the two reads. The last line is one JSON object:
per database the figures of each phase (its bare GET among them) and ``api_ratio`` / ``page_ratio`` (read /
trivial GET, goal ≥ 0.5), and ``trivial_ratio`` (trivial GET / that database's bare GET, goal ≥ 0.7).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from pathlib import Path

import _profile
import _wrk
from _live_seed import seed_live_session
from _scratch import (
    cpu_canary_ms,
    database_url,
    free_port,
    machine_line,
    recreate_database,
    scratch_name,
    start_server,
    stop,
)

DB_NAME = scratch_name("caoyuan_bench_reads")
PING_PATH = "/api/bench/ping"


def _postgres() -> tuple[str, int]:
    from caoyuan.db.migrate import upgrade

    url = database_url(DB_NAME)
    asyncio.run(recreate_database(DB_NAME))
    upgrade(url)
    ids = asyncio.run(seed_live_session(url, 1000, 100))
    return url, ids["session_id"]


def _sqlite_demo(folder: Path) -> tuple[str, int]:
    """What `caoyuan demo` builds, in a folder of our own: migrated, seeded, with one session on air."""
    import contextlib
    import io

    from caoyuan.demo import prepare_demo
    from caoyuan.settings import load_settings

    url = f"sqlite+aiosqlite:///{folder / 'demo.db'}"
    with contextlib.redirect_stdout(io.StringIO()):  # the demo prints its logins table
        prepare_demo(load_settings(database_url=url))
    return url, asyncio.run(_live_session(url))


async def _live_session(url: str) -> int:
    import sqlalchemy as sa

    from caoyuan.db import create_database
    from streaming.models import LiveSession

    database = create_database(url, 1)
    async with database.session() as s:
        found = await s.scalar(sa.select(LiveSession.id).where(LiveSession.state == "live").limit(1))
    await database.dispose()
    if found is None:
        raise RuntimeError("the demo has no session on air")
    return found


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("both", "postgresql", "sqlite"), default="both")
    parser.add_argument("--seconds", type=float, default=10, help="length of each measured phase")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pool-size", type=int, default=10, help="CAOYUAN_DATABASE_POOL_SIZE")
    parser.add_argument("--profile", type=Path, help="py-spy the server during the reads into this folder")
    parser.add_argument("--small", action="store_true", help="a smoke run: 1 s phases, 8 connections")
    args = parser.parse_args()
    if args.small:
        args.seconds, args.connections = 1, 8
    return args


def _reads(args: argparse.Namespace, name: str, url: str, session_id: int, work: Path) -> dict:
    shape = {"connections": args.connections, "threads": args.threads, "seconds": args.seconds}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"CAOYUAN_DATABASE_URL": url, "CAOYUAN_DATABASE_POOL_SIZE": str(args.pool_size)}
    server = start_server("_bench_app:create", port, work / f"{name}.log", env)
    pids, database = {server.pid}, DB_NAME if name == "postgresql" else None
    api, page = f"/api/live/sessions/{session_id}", f"/live/{session_id}"
    runs = {}
    try:
        for path in (PING_PATH, api, page):  # warm caches, templates and the pool
            _wrk.measure("warm-up", base, _wrk.Load(path=path, **{**shape, "seconds": 1}), pids, database)
        phases = [("trivial", PING_PATH), ("healthz", "/healthz"), ("api", api), ("page", page)]
        for key, path in phases:
            profiler = None
            if args.profile and key in ("api", "page"):
                profiler = _profile.start(server.pid, args.seconds, args.profile, f"{name}-{key}")
            run = _wrk.measure(f"{name} GET {path}", base, _wrk.Load(path=path, **shape), pids, database)
            print(_wrk.describe(run), flush=True)
            if profiler:
                _profile.finish(profiler)
            runs[key] = run
    finally:
        stop(server)
    for run in runs.values():
        for sample in run["samples"]:
            print(f"  {run['name']}: {sample}")
    print(_wrk.ratio_words(f"{name}: API read / trivial GET", runs["api"], runs["trivial"], "goal ≥ 0.5"))
    print(_wrk.ratio_words(f"{name}: page read / trivial GET", runs["page"], runs["trivial"], "goal ≥ 0.5"))
    return runs


def _bare(args: argparse.Namespace, work: Path) -> dict:
    """Bare Litestar's GET, measured on a server of its own (stopped before the app's starts)."""
    shape = {"connections": args.connections, "threads": args.threads, "seconds": args.seconds}
    port = free_port()
    bare = start_server("_bare_app:create", port, work / "bare.log")
    try:
        base = f"http://127.0.0.1:{port}"
        _wrk.measure("warm-up", base, _wrk.Load(path=PING_PATH, **{**shape, "seconds": 1}), {bare.pid})
        run = _wrk.measure("bare Litestar GET", base, _wrk.Load(path=PING_PATH, **shape), {bare.pid})
    finally:
        stop(bare)
    print(_wrk.describe(run), flush=True)
    return run


def main() -> None:
    args = _arguments()
    _wrk.wrk_path()
    print(
        f"machine: {machine_line()}; server: uvicorn, 1 worker; load: wrk, {args.threads} threads, "
        f"{args.connections} connections, {args.seconds:g} s phases",
        flush=True,
    )
    result: dict = {}
    with tempfile.TemporaryDirectory(prefix="caoyuan-reads-") as tmp:
        work = Path(tmp)
        every = []
        for name in ("postgresql", "sqlite"):
            if args.database not in (name, "both"):
                continue
            print(f"{name}: preparing …", flush=True)
            url, session_id = _postgres() if name == "postgresql" else _sqlite_demo(work)
            bare_run = _bare(args, work)  # just before this database's trivial GET: the machine drifts
            result.setdefault("bare", _wrk.summary(bare_run))
            runs = _reads(args, name, url, session_id, work)
            every += [bare_run, *runs.values()]
            result[name] = {
                **{key: _wrk.summary(run) for key, run in runs.items()},
                "bare": _wrk.summary(bare_run),
                "api_ratio": _wrk.ratio(runs["api"], runs["trivial"]),
                "page_ratio": _wrk.ratio(runs["page"], runs["trivial"]),
                "trivial_ratio": _wrk.ratio(runs["trivial"], bare_run),
                "all_200": all(set(run["statuses"]) == {"200"} for run in runs.values()),
            }
            print(_wrk.ratio_words(f"{name}: trivial GET / bare GET", runs["trivial"], bare_run, "goal ≥ 0.7"))
    note = _wrk.saturation_note(*every)
    if note:
        print("NOTE:", note)
    result.update(
        client_saturated=note is not None,
        saturation=note,
        connections=args.connections,
        threads=args.threads,
        seconds=args.seconds,
        loadavg=[round(x, 2) for x in os.getloadavg()],
        cpu_canary_ms=cpu_canary_ms(),
        client="wrk",
    )
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
