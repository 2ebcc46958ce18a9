"""Live-sale orders under load, on PostgreSQL, through the complete intake path — driven by wrk.

    .venv/bin/python benchmarks/flash_sale.py [--seconds 10] [--stock 300] [--connections 64] [--threads 2] [--workers 1]
        [--rounds 1] [--profile DIR] [--small]

1. Makes a scratch database of its own (``caoyuan_bench_flash``, dropped and recreated each run) next to
   CAOYUAN_BENCH_POSTGRES_URL (default ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``), migrates it and
   seeds, through the services, a live session on air with a shelf item holding stock for every order of the
   run, and a flash sale of ``--stock`` units whose countdown is over.
2. Serves, side by side with the same uvicorn settings, bare Litestar + msgspec (``_bare_app.py``) and the real
   app plus trivial routes (``_bench_app.py``), CAOYUAN_BACKGROUND_TASKS=0; one is idle while the other is measured.
3. wrk (``_wrk.py``: 2 threads, 64 connections, a fresh Idempotency-Key and buyer phone per request) measures in
   one run: the bare POST, the app's trivial POST (same body), ``POST /api/live/sessions/{id}/orders`` with every
   order a new sale (201), then the flash sale: orders for ``--seconds`` at ``--stock`` units, far more buyers
   than goods (201 = sold, 409 ``sold_out`` = rejected, anything else is an error), then the trivial POST again (the mean of the two brackets
   the orders, as the machine is shared). Each phase prints wrk's, the server's and PostgreSQL's CPU; a phase in
   which wrk's busiest thread was ~ a full core is marked and no ratio is computed from it.
4. Checks the database: the flash pool is not oversold, orders, units, quotas and stock agree, and the host
   feed is numbered without a gap with one order_placed per order.

``--rounds N`` measures bare Litestar, the trivial POST and the orders N times in turn (bare, trivial, orders, bare,
…) before the flash sale, each orders phase against the trivial phase just before it, and each trivial phase against
the bare phase just before it. On a shared machine whose speed drifts by a quarter within a minute, one round says
little; the figures reported are then the round with the median ratio, every round's are listed under ``rounds``,
and ``trivial_ratio`` is the median of the rounds' own trivial / bare.

``--profile DIR`` records the server with py-spy (raw collapsed stacks) during the trivial and the orders phases
and prints their top frames. After the order phases it scrapes the server's ``/metrics`` (orders placed at commit,
refusals by code, the order route's requests and latency, feed lag, orders per intake statement). The last line of output is one JSON object: orders_per_s, trivial_per_s, bare_per_s, ratio (orders /
trivial, goal ≥ 0.5), trivial_ratio (trivial / bare, goal ≥ 0.7), p99_ms (goal < 50), oversold (must be 0),
consistent, client_saturated, and each phase's figures.
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
import _scrape
import _wrk
from _live_seed import seed_live_session
from _scratch import (
    ORDER_BODY,
    cpu_canary_ms,
    database_url,
    free_port,
    machine_line,
    recreate_database,
    scratch_name,
    start_server,
    stop,
)

DB_NAME = scratch_name("caoyuan_bench_flash")
CEILING_PATH = "/api/bench/ceiling"


async def _verify(url: str, pool_id: int, session_id: int) -> dict[str, int]:
    import sqlalchemy as sa

    from caoyuan.db import create_database
    from caoyuan.feed import FeedEvent, FeedStream
    from storefront.models import BuyerQuota, Order, StockPool

    database = create_database(url, 1)
    async with database.session() as s:
        pool = await s.get(StockPool, pool_id)
        orders, units = (
            await s.execute(
                sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Order.quantity), 0)).where(
                    Order.pool_id == pool_id
                )
            )
        ).one()
        quota = await s.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(BuyerQuota.used), 0)).where(BuyerQuota.pool_id == pool_id)
        )
        stream = f"live:{session_id}"
        events, distinct, top = (
            await s.execute(
                sa.select(sa.func.count(), sa.func.count(sa.distinct(FeedEvent.seq)), sa.func.max(FeedEvent.seq)).where(
                    FeedEvent.stream == stream
                )
            )
        ).one()
        counter = await s.scalar(sa.select(FeedStream.last_seq).where(FeedStream.key == stream))
        placed = await s.scalar(
            sa.select(sa.func.count())
            .select_from(FeedEvent)
            .where(FeedEvent.stream == stream, FeedEvent.kind == "order_placed")
        )
        session_orders = await s.scalar(
            sa.select(sa.func.count()).select_from(Order).where(Order.live_session_id == session_id)
        )
    await database.dispose()
    return {
        "orders": orders,
        "units": int(units),
        "remaining": pool.remaining,
        "allocated": pool.allocated,  # type: ignore[union-attr]
        "quota_used": int(quota),
        "feed_events": events,
        "feed_distinct_seq": distinct,
        "feed_max_seq": top or 0,
        "feed_counter": counter or 0,
        "feed_order_placed": placed,
        "session_orders": session_orders,
    }


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10, help="length of each measured phase")
    parser.add_argument("--stock", type=int, default=300, help="units in the flash sale (sold out in one phase)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (1–9)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers")
    parser.add_argument("--pool-size", type=int, default=10, help="CAOYUAN_DATABASE_POOL_SIZE per worker")
    parser.add_argument(
        "--shelf-stock",
        type=int,
        default=2_000_000,  # 9 rounds of 10 s at 20,000 orders/s; 200,000 ran out in round 4 on a fast machine
        help="units for the every-order-a-sale phases (a round that runs out is not counted)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="trivial + orders pairs, 1–9 (median reported)")
    parser.add_argument("--profile", type=Path, help="py-spy the server during the orders phase into this folder")
    parser.add_argument("--small", action="store_true", help="a smoke run: 1 s phases, a flash sale of 20 units")
    args = parser.parse_args()
    if args.small:
        args.seconds, args.stock, args.connections, args.shelf_stock = 1, 20, 8, 100_000
    if not 1 <= args.threads <= 9:
        parser.error("--threads must be 1–9 (one digit of each buyer phone is the thread)")
    if not 1 <= args.rounds <= 9:
        parser.error("--rounds must be 1–9 (each round's buyers have phone prefix 4k)")
    return args


def main() -> None:  # noqa: PLR0915
    args = _arguments()
    from caoyuan.db.migrate import upgrade

    _wrk.wrk_path()
    url = database_url(DB_NAME)
    print(f"scratch database {DB_NAME}; migrating and seeding …", flush=True)
    asyncio.run(recreate_database(DB_NAME))
    upgrade(url)
    ids = asyncio.run(seed_live_session(url, args.shelf_stock, args.stock))
    orders_path = f"/api/live/sessions/{ids['session_id']}/orders"
    shape = {"connections": args.connections, "threads": args.threads, "seconds": args.seconds}

    def post(path: str, pool_id: int, tag: str, prefix: str, **extra: object) -> _wrk.Load:
        return _wrk.Load(
            path=path,
            method="POST",
            body={**ORDER_BODY, "pool_id": pool_id, "phone": _wrk.PHONE},
            idempotency=True,
            tag=tag,
            phone_prefix=prefix,
            **{**shape, **extra},
        )  # type: ignore[arg-type]

    print(
        f"machine: {machine_line()}; server: uvicorn, {args.workers} worker(s), pool {args.pool_size} per "
        f"worker; load: wrk, {args.threads} threads, {args.connections} connections, {args.seconds:g} s phases",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="caoyuan-bench-") as tmp:
        work = Path(tmp)
        bare_port, port = free_port(), free_port()
        ceiling, base = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{port}"
        env = {"CAOYUAN_DATABASE_URL": url, "CAOYUAN_DATABASE_POOL_SIZE": str(args.pool_size), **_scrape.ENV}
        # Side by side: bare Litestar idles while the app is measured, and is measured again in every round.
        bare = start_server("_bare_app:create", bare_port, work / "bare.log", workers=args.workers)
        try:
            server = start_server("_bench_app:create", port, work / "server.log", env, args.workers)
        except BaseException:
            stop(bare)
            raise
        pids = {server.pid}
        try:
            _wrk.measure("warm-up", ceiling, post(CEILING_PATH, 1, "w0", "30", seconds=1), {bare.pid})
            _wrk.measure("warm-up", base, post(CEILING_PATH, 1, "w1", "32", seconds=1), pids, DB_NAME)
            _wrk.measure("warm-up", base, post(orders_path, ids["shelf_pool_id"], "w2", "33", seconds=1), pids, DB_NAME)

            def phase(name: str, path: str, pool: int, tag: str, digit: str, recording: str):
                profiler = _profile.start(server.pid, args.seconds, args.profile, recording) if args.profile else None
                run = _wrk.measure(name, base, post(path, pool, tag, digit), pids, DB_NAME)
                print(_wrk.describe(run), flush=True)
                if profiler:
                    _profile.finish(profiler)
                return run

            def bare_phase(k: int) -> dict:
                name = "bare Litestar POST" + ("" if k == 1 else f" (round {k})")
                run = _wrk.measure(name, ceiling, post(CEILING_PATH, 1, f"b{k}", f"6{k}"), {bare.pid})
                print(_wrk.describe(run), flush=True)
                return run

            shelf = ids["shelf_pool_id"]
            rounds = [
                (
                    bare_phase(1),
                    phase("app trivial POST", CEILING_PATH, 1, "t1", "34", "trivial"),
                    phase("orders (every one a sale)", orders_path, shelf, "o", "35", "orders"),
                )
            ]
            for k in range(2, args.rounds + 1):
                rounds.append(
                    (
                        bare_phase(k),
                        phase(f"app trivial POST (round {k})", CEILING_PATH, 1, f"rt{k}", f"5{k}", f"trivial-{k}"),
                        phase(f"orders (round {k})", orders_path, shelf, f"ro{k}", f"4{k}", f"orders-{k}"),
                    )
                )
            flash = _wrk.measure(
                f"flash sale ({args.stock} units)",
                base,
                post(orders_path, ids["flash_pool_id"], "f", "36"),
                pids,
                DB_NAME,
            )
            print(_wrk.describe(flash), flush=True)
            server_metrics = _scrape.summary(_scrape.scrape(base))  # both order phases, as the server counted them
            print("server /metrics after the orders:", json.dumps(server_metrics, ensure_ascii=False), flush=True)
            again = _wrk.measure("app trivial POST again", base, post(CEILING_PATH, 1, "t2", "37"), pids, DB_NAME)
            print(_wrk.describe(again), flush=True)
        finally:
            stop(server)
            stop(bare)
            server_log = (work / "server.log").read_text()
    checked = asyncio.run(_verify(url, ids["flash_pool_id"], ids["session_id"]))
    _report(args, rounds, flash, again, checked, server_log, server_metrics)


def _all_sales(orders: dict) -> bool:
    """Every answer of an orders phase a new sale: a refusal (the shelf ran out) measures another route."""
    return set(orders["statuses"]) == {"201"}


def _median_round(rounds: list[tuple[dict, dict, dict]], again: dict) -> tuple[dict, dict, dict, list[dict]]:
    """One round: its bare and trivial phases (the trivial the mean of the two that bracket its orders).
    Several: the round whose ratio (orders / the trivial phase just before) is the median, and each round's
    figures, its own trivial / bare among them."""
    for k, (_, _, orders) in enumerate(rounds):
        if not _all_sales(orders):
            verdict = "not counted" if len(rounds) > 1 else "its ratio is not the orders' alone"
            print(f"NOTE: orders round {k + 1} was not every one a sale ({orders['statuses']}): {verdict}")
    if len(rounds) == 1:
        bare, trivial, orders = rounds[0]
        mean = dict(
            trivial,
            per_s=(trivial["per_s"] + again["per_s"]) / 2,
            client_saturated=trivial["client_saturated"] or again["client_saturated"],
            name="app trivial POST (mean)",
        )
        return bare, mean, orders, []
    listed = [
        {
            "bare_per_s": round(bare["per_s"], 1),
            "trivial_per_s": round(trivial["per_s"], 1),
            "orders_per_s": round(orders["per_s"], 1),
            "ratio": _wrk.ratio(orders, trivial) if _all_sales(orders) else None,
            "trivial_ratio": _wrk.ratio(trivial, bare),
            "all_sales": _all_sales(orders),
            "p99_ms": round(orders["p99_ms"], 1),
            "server_ms_per_order": orders["server_ms_per_request"],
            "server_cpu": orders["cpu"]["server"],
        }
        for bare, trivial, orders in rounds
    ]
    counted = [k for k, line in enumerate(listed) if line["all_sales"]] or list(range(len(rounds)))
    ranked = sorted(counted, key=lambda k: listed[k]["ratio"] or 0.0)
    bare, trivial, orders = rounds[ranked[len(ranked) // 2]]
    return bare, trivial, orders, listed


def _trivial_ratio(bare: dict, trivial: dict, listed: list[dict]) -> float | None:
    """Trivial / bare: with rounds, the median of each round's own (bare and trivial seconds apart)."""
    if not listed:
        return _wrk.ratio(trivial, bare)
    return _rounds.median_ratio(listed, "trivial_ratio")


def _report(  # noqa: PLR0913
    args: argparse.Namespace,
    rounds: list[tuple[dict, dict, dict]],
    flash: dict,
    again: dict,
    checked: dict,
    server_log: str,
    server_metrics: dict,
) -> None:
    bare, trivial_used, orders, listed = _median_round(rounds, again)
    trivial_ratio = _trivial_ratio(bare, trivial_used, listed)
    sold = flash["statuses"].get("201", 0)
    rejected = flash["statuses"].get("409 sold_out", 0)
    errors = flash["requests"] - sold - rejected
    for run in [orders for _, _, orders in rounds] + [flash]:
        for sample in run["samples"]:
            if not sample.startswith("409 sold_out"):  # the expected refusal, not a problem
                print(f"  {run['name']}: {sample}")
    not_access = [ln for ln in server_log.splitlines() if ln.strip() and '"event":"request"' not in ln.replace(" ", "")]
    for line in not_access[:10]:
        print("  server:", line[:300])
    # wrk stops with requests in flight, which the server may still commit: the database is the truth,
    # and what wrk saw answered 201 is a lower bound of it.
    consistent = (
        checked["units"] == checked["orders"] == checked["quota_used"]
        and checked["remaining"] == args.stock - checked["units"] >= 0
        and sold <= checked["orders"] <= sold + args.connections
        and checked["feed_events"] == checked["feed_distinct_seq"] == checked["feed_max_seq"] == checked["feed_counter"]
        and checked["feed_order_placed"] == checked["session_orders"]
    )
    sold_out = checked["remaining"] == 0 and rejected > 0
    print(
        f"flash sale: {flash['requests']} orders answered — sold {sold} (201), rejected {rejected} (409 sold_out), "
        f"other {errors}; {'sold out' if sold_out else 'NOT sold out: fewer buyers than goods, oversell untested'}"
    )
    print(
        f"database: {checked['orders']} orders for {checked['units']} units, remaining {checked['remaining']} of "
        f"{checked['allocated']}, quotas used {checked['quota_used']}, feed {checked['feed_events']} events "
        f"numbered 1..{checked['feed_max_seq']} (counter {checked['feed_counter']}) — "
        f"{'consistent' if consistent else 'INCONSISTENT'}"
    )
    print(
        _wrk.ratio_words("orders / trivial", orders, trivial_used, "goal ≥ 0.5")
        + f"; orders p99 {orders['p99_ms']:.1f} ms (goal < 50)"
    )
    if listed:
        print(_rounds.rounds_words("trivial / bare", listed, "trivial_ratio", "goal ≥ 0.7"))
    else:
        print(_wrk.ratio_words("trivial / bare", trivial_used, bare, "goal ≥ 0.7"))
    note = _wrk.saturation_note(*(run for three in rounds for run in three), flash, again)
    if note:
        print("NOTE:", note)
    result = {
        "orders_per_s": round(orders["per_s"], 1),
        "trivial_per_s": round(trivial_used["per_s"], 1),
        "bare_per_s": round(bare["per_s"], 1),
        "ratio": _wrk.ratio(orders, trivial_used),
        "trivial_ratio": trivial_ratio,
        "p99_ms": round(orders["p99_ms"], 1),
        "p50_ms": round(orders["p50_ms"], 1),
        "order_statuses": orders["statuses"],
        "flash_orders": flash["requests"],
        "sold_out": sold_out,
        "sold": sold,
        "rejected": rejected,
        "errors": errors,
        "stock": args.stock,
        "remaining": checked["remaining"],
        "oversold": max(0, checked["units"] - args.stock),
        "consistent": consistent,
        "client_saturated": note is not None,
        "saturation": note,
        "phases": {r["name"]: _wrk.summary(r) for r in (*(run for three in rounds for run in three), flash, again)},
        "rounds": listed,
        "workers": args.workers,
        "connections": args.connections,
        "threads": args.threads,
        "seconds": args.seconds,
        "loadavg": list(os.getloadavg()),
        "cpu_canary_ms": cpu_canary_ms(),
        "database": "postgresql",
        "client": "wrk",
        "server_metrics": server_metrics,
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
