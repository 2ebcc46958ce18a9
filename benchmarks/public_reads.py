"""The public reads of a live sale under load — the session's API and the buyer's live-room page — on
PostgreSQL and on the embedded SQLite demo, as shares of the app's trivial GET, driven by wrk.

    .venv/bin/python benchmarks/public_reads.py [--database both|postgresql|sqlite] [--seconds 10]
        [--rounds 3] [--connections 64] [--threads 2] [--profile DIR] [--small]

1. For each database, two servers side by side: bare Litestar (``_bare_app.py``), whose
   ``GET /api/bench/ping`` is this machine's ceiling for a GET, and the real app plus trivial routes
   (``_bench_app.py``) on that database: PostgreSQL — a scratch database (``caoyuan_bench_reads``) seeded
   with a session on air and a flash sale; SQLite — a fresh demo database (what ``caoyuan demo`` seeds) in a
   temporary folder, its session on air.
2. wrk (2 threads, 64 connections) measures, in each round, one after another: bare Litestar's GET, the
   app's trivial GET (``/api/bench/ping``: middleware, access log, no handler work),
   ``GET /api/live/sessions/{id}`` and ``GET /live/{id}``; ``GET /healthz`` once, in the first round. Each
   phase has wrk's, the server's and PostgreSQL's CPU; no ratio from a phase in which wrk's busiest thread was
   ~ a full core. Every answer must be a 200. Each ratio is taken within one round, whose phases are seconds
   apart, and the median of the rounds is reported: this machine's speed drifts by a third within minutes,
   and a ratio of two phases a minute apart measured the drift.

``--profile DIR`` records the server with py-spy during the first round's two reads. The last line is one
JSON object: per database the figures of the first round's phases, every round's ``rounds`` entry, and the
medians ``api_ratio`` / ``page_ratio`` (read / trivial GET, goal ≥ 0.5) and ``trivial_ratio`` (trivial GET /
bare GET, goal ≥ 0.7).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from pathlib import Path

import _profile
import _rounds
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
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 10), help="rounds, 1–9 (medians)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pool-size", type=int, default=10, help="CAOYUAN_DATABASE_POOL_SIZE")
    parser.add_argument("--profile", type=Path, help="py-spy the server during the reads into this folder")
    parser.add_argument("--small", action="store_true", help="a smoke run: 1 s phases, 8 connections")
    args = parser.parse_args()
    if args.small:
        args.seconds, args.connections, args.rounds = 1, 8, 2
    return args


def _reads(args: argparse.Namespace, name: str, url: str, session_id: int, work: Path) -> list[dict]:
    """Every round's runs (``bare``, ``trivial``, ``api``, ``page``; ``healthz`` in the first)."""
    shape = {"connections": args.connections, "threads": args.threads, "seconds": args.seconds}
    env = {"CAOYUAN_DATABASE_URL": url, "CAOYUAN_DATABASE_POOL_SIZE": str(args.pool_size)}
    app_port, bare_port = free_port(), free_port()
    server = start_server("_bench_app:create", app_port, work / f"{name}.log", env)
    try:
        bare = start_server("_bare_app:create", bare_port, work / f"{name}-bare.log")
    except BaseException:
        stop(server)
        raise
    pids, database = {server.pid}, DB_NAME if name == "postgresql" else None
    app, ceiling = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
    api, page = f"/api/live/sessions/{session_id}", f"/live/{session_id}"
    rounds: list[dict] = []
    try:
        _wrk.measure("warm-up", ceiling, _wrk.Load(path=PING_PATH, **{**shape, "seconds": 1}), {bare.pid})
        for path in (PING_PATH, api, page):  # warm caches, templates and the pool
            _wrk.measure("warm-up", app, _wrk.Load(path=path, **{**shape, "seconds": 1}), pids, database)
        for number in range(1, args.rounds + 1):
            rounds.append(_round(args, name, number, (ceiling, bare.pid), (app, server.pid, database), (api, page)))
    finally:
        stop(server)
        stop(bare)
    for runs in rounds:
        for run in runs.values():
            for sample in run["samples"]:
                print(f"  {run['name']}: {sample}")
    return rounds


def _round(args: argparse.Namespace, name: str, number: int, ceiling: tuple, app: tuple, reads: tuple) -> dict:
    shape = {"connections": args.connections, "threads": args.threads, "seconds": args.seconds}
    (bare_base, bare_pid), (base, pid, database), (api, page) = ceiling, app, reads
    label = "" if number == 1 else f" (round {number})"
    runs = {
        "bare": _wrk.measure(f"bare Litestar GET{label}", bare_base, _wrk.Load(path=PING_PATH, **shape), {bare_pid})
    }
    print(_wrk.describe(runs["bare"]), flush=True)
    phases = [("trivial", PING_PATH), *([("healthz", "/healthz")] if number == 1 else []), ("api", api), ("page", page)]
    for key, path in phases:
        profiler = None
        if args.profile and number == 1 and key in ("api", "page"):
            profiler = _profile.start(pid, args.seconds, args.profile, f"{name}-{key}")
        run = _wrk.measure(f"{name} GET {path}{label}", base, _wrk.Load(path=path, **shape), {pid}, database)
        print(_wrk.describe(run), flush=True)
        if profiler:
            _profile.finish(profiler)
        runs[key] = run
    return runs


def _round_figures(runs: dict) -> dict:
    return {
        **{f"{key}_per_s": runs[key]["per_s"] for key in ("bare", "trivial", "api", "page")},
        "trivial_ratio": _wrk.ratio(runs["trivial"], runs["bare"]),
        "api_ratio": _wrk.ratio(runs["api"], runs["trivial"]),
        "page_ratio": _wrk.ratio(runs["page"], runs["trivial"]),
    }


def _database_result(name: str, rounds: list[dict]) -> dict:
    figures = [_round_figures(runs) for runs in rounds]
    result = {
        **{key: _wrk.summary(run) for key, run in rounds[0].items()},
        "rounds": figures,
        "api_ratio": _rounds.median_ratio(figures, "api_ratio"),
        "page_ratio": _rounds.median_ratio(figures, "page_ratio"),
        "trivial_ratio": _rounds.median_ratio(figures, "trivial_ratio"),
        "all_200": all(set(run["statuses"]) == {"200"} for runs in rounds for run in runs.values()),
    }
    for key, words, goal in (
        ("trivial_ratio", "trivial GET / bare GET", "goal ≥ 0.7"),
        ("api_ratio", "API read / trivial GET", "goal ≥ 0.5"),
        ("page_ratio", "page read / trivial GET", "goal ≥ 0.5"),
    ):
        print(_rounds.rounds_words(f"{name}: {words}", figures, key, goal))
    return result


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
            rounds = _reads(args, name, url, session_id, work)
            every += [run for runs in rounds for run in runs.values()]
            result[name] = _database_result(name, rounds)
            result.setdefault("bare", result[name]["bare"])
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
