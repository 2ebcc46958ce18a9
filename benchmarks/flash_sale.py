"""A flash sale (秒杀) under load, on PostgreSQL, through the complete live-sale intake path.

    .venv/bin/python benchmarks/flash_sale.py [--orders 5000] [--stock 2000] [--concurrency 64] [--workers 1]

1. Makes a scratch database of its own (``caoyuan_bench_flash``, dropped and recreated each run) next to
   CAOYUAN_BENCH_POSTGRES_URL (default ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``), migrates it and
   seeds, through the services, a cooperative, a product, a host, a live session on air with a shelf item and a
   running flash sale whose countdown is already over.
2. Serves the real app (``benchmarks/_bench_app.py``: ``create_app()`` plus one trivial JSON POST route) with
   uvicorn on a free loopback port, CAOYUAN_BACKGROUND_TASKS=0, the same worker count for both measurements.
3. From a separate load process (httpx on uvloop, 64 connections, 64 workers): the HTTP ceiling — the trivial route, same
   body, same load — then ``--orders`` orders at the flash-sale pool, each with its own Idempotency-Key and buyer
   phone, far more orders than stock: 201 = sold, 409 ``sold_out`` = rejected, anything else is an error. The
   ceiling is measured again after the orders and the mean of the two is used: on a machine shared with other
   work the ceiling moves, and bracketing the order run keeps the ratio fair. ``--clients shared`` (default, as the
   issue asks) is one AsyncClient with a 64-connection pool; httpcore scans that pool on every event and the client
   becomes the bottleneck of the ceiling. ``--clients per-worker`` gives each worker its own one-connection client:
   a higher ceiling, so a lower — stricter — ratio.
4. Checks the database: orders, stock left, buyer quotas and the host feed's numbering agree with what was sold.

The last line of output is one JSON object: orders_per_s, http_ceiling_per_s, ratio (goal ≥ 0.5), p99_ms (goal
< 50), sold, stock, oversold (must be 0), and more.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from _scratch import ORDER_BODY, database_url, free_port, percentile, recreate_database, stop  # noqa: E402  (run as a script from benchmarks/)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DB_NAME = "caoyuan_bench_flash"
CEILING_PATH = "/api/bench/ceiling"
BODY = ORDER_BODY


# ---------------------------------------------------------------- the load process




async def _load(spec: dict) -> dict:
    """Send ``spec['count']`` POSTs from ``spec['concurrency']`` workers over as many kept-alive connections.

    ``spec['clients']``: "shared" — one httpx.AsyncClient with a pool of ``concurrency`` connections (the issue's
    set-up); "per-worker" — each worker its own client with one connection. httpcore scans its whole pool on
    every request and response, so the shared client spends most of its CPU there and caps the ceiling.
    """
    import httpx

    statuses: dict[str, int] = {}
    errors: list[str] = []
    latencies: list[float] = []
    last_sold = 0.0
    numbers = iter(range(spec["count"]))

    def client(connections: int) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        return httpx.AsyncClient(base_url=spec["base"], limits=limits, timeout=60)

    async def one(http: httpx.AsyncClient, n: int) -> str:
        body = {**BODY, "pool_id": spec["pool_id"], "phone": f"{spec['phone_prefix']}{n:07d}"}
        response = await http.post(spec["path"], json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
        if response.status_code == 201:
            return "201"
        code = response.json().get("code", "") if response.headers.get("content-type", "").startswith(
            "application/json") else ""
        if response.status_code == 409 and code == "sold_out":
            return "409 sold_out"
        if len(errors) < 10:
            errors.append(f"{response.status_code} {response.text[:300]}")
        return f"{response.status_code} {code}".strip()

    async def worker(shared: httpx.AsyncClient | None) -> None:
        nonlocal last_sold
        async with contextlib.AsyncExitStack() as stack:
            http = shared or await stack.enter_async_context(client(1))
            for n in numbers:
                started = time.perf_counter()
                try:
                    outcome = await one(http, n)
                except httpx.HTTPError as exc:
                    outcome = f"transport {type(exc).__name__}"
                    if len(errors) < 10:
                        errors.append(f"{outcome} after {time.perf_counter() - started:.1f} s "
                                      f"(request {n}): {exc!r} {exc.__context__!r}")
                finished = time.perf_counter()
                latencies.append(finished - started)
                statuses[outcome] = statuses.get(outcome, 0) + 1
                if outcome == "201":
                    last_sold = finished

    async with contextlib.AsyncExitStack() as stack:
        shared = await stack.enter_async_context(client(spec["concurrency"])) if spec["clients"] == "shared" else None
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker(shared) for _ in range(spec["concurrency"])))
        cpu = time.process_time() - cpu
        elapsed = time.perf_counter() - started
    return {"count": spec["count"], "elapsed_s": elapsed, "client_cpu_s": cpu, "per_s": spec["count"] / elapsed,
            "selling_s": max(0.0, last_sold - started), "statuses": statuses, "errors": errors,
            "p50_ms": percentile(latencies, 50) * 1000, "p90_ms": percentile(latencies, 90) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000, "max_ms": max(latencies) * 1000}


def _cpu_seconds(match) -> float:  # type: ignore[no-untyped-def]
    """CPU time (user + system) used so far by the processes whose (pid, parent, command line) ``match`` accepts."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if match(int(entry.name), int(fields[1]), command):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _use_uvloop() -> None:
    """The load generator runs on uvloop when it is there (it comes with uvicorn): a cheaper client leaves more
    of the machine to the server, so the ceiling is the server's and not the client's."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def _run_load(spec: dict, server_pid: int | None = None) -> dict:
    """Run the load in its own process, so the client does not share the server's (or this one's) event loop.

    Also counts the CPU seconds the server (and its workers) and this database's PostgreSQL backends used
    meanwhile: on a shared two-core machine this says who was busy and who was starved.
    """
    def server(pid: int, parent: int, _: str) -> bool:
        return server_pid is not None and server_pid in (pid, parent)

    def postgres(_: int, __: int, command: str) -> bool:
        return command.startswith("postgres:") and f" {DB_NAME} " in command

    before = (_cpu_seconds(server), _cpu_seconds(postgres), time.monotonic())
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--load", json.dumps(spec)],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"load process failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    wall = time.monotonic() - before[2]
    result["cpu"] = {"server": (_cpu_seconds(server) - before[0]) / wall,
                     "postgres": (_cpu_seconds(postgres) - before[1]) / wall,
                     "client": result["client_cpu_s"] / result["elapsed_s"]}
    return result


# ---------------------------------------------------------------- database






async def _seed(url: str, stock: int, warmup: int) -> dict[str, int]:
    """A live session on air: the shelf holds stock + warm-up units; a flash sale of ``stock`` is open now."""
    import sqlalchemy as sa

    from caoyuan.auth.current import CurrentUser
    from caoyuan.auth.service import create_user
    from caoyuan.db import create_database, utcnow
    from caoyuan.identity import id_check_char
    from coop.models import Cooperative, CoopKind, Member
    from storefront.models import Product, Sku, StockPool
    from streaming.models import LiveRoom, LiveRoomHost
    from streaming.services import flash_sale, sessions, shelf

    database = create_database(url, 2)
    async with database.session() as s:
        account = await create_user(s, phone="13900000002", password="caoyuan2026-bench", role="host",
                                    display_name="其其格")
        host = CurrentUser(account.id, account.phone, "其其格", "host", "session", "bench")  # type: ignore[arg-type]
        coop = Cooperative(name="鄂托克旗阿尔巴斯合作社", kind=CoopKind.FARMER, banner="鄂托克旗", village="阿尔巴斯嘎查")
        s.add(coop)
        await s.flush()
        first17 = "15062419800101001"
        supplier = Member(cooperative_id=coop.id, member_no=1, name="巴特尔",  # type: ignore[arg-type]
                          id_number=first17 + id_check_char(first17), village="阿尔巴斯嘎查", status_since=date(2021, 1, 1))
        product = Product(cooperative_id=coop.id, name="阿尔巴斯羊肉", shipping_kind="fixed", shipping_fen=1200)
        s.add_all([supplier, product])
        await s.flush()
        product.supplier_member_id = supplier.id
        sku = Sku(product_id=product.id, name="后腿 2.5kg", price_fen=26800, weight_g=2500,  # type: ignore[arg-type]
                  stock=stock + warmup + 100)
        room = LiveRoom(cooperative_id=coop.id, name="阿尔巴斯直播间", banner="鄂托克旗")  # type: ignore[arg-type]
        s.add_all([sku, room])
        await s.flush()
        s.add(LiveRoomHost(room_id=room.id, user_id=host.id))  # type: ignore[arg-type]
        await s.flush()
        live = await sessions.schedule(s, host, room_id=room.id, title="今晚羊肉秒杀专场", content_line="goods",  # type: ignore[arg-type]
                                       scheduled_start=utcnow() + timedelta(minutes=1))
        item = await shelf.add_item(s, host, live.id, sku_id=sku.id, price_fen=26800,  # type: ignore[arg-type]
                                    quantity=stock + warmup + 100)
        await sessions.go_live(s, host, live.id)  # type: ignore[arg-type]
        sale = await flash_sale.open_flash_sale(s, host, live.id, item_id=item.id, deal_price_fen=19900,  # type: ignore[arg-type]
                                                total_cap=stock, per_buyer_cap=2, countdown_s=10, window_min=20)
        # The countdown is over: open the pool now instead of waiting (the sale stays open for 20 minutes).
        await s.execute(sa.update(StockPool).where(StockPool.id == sale.pool_id)
                        .values(opens_at=utcnow() - timedelta(seconds=1)))
        ids = {"session_id": live.id, "shelf_pool_id": item.pool_id, "flash_pool_id": sale.pool_id}
    await database.dispose()
    return ids  # type: ignore[return-value]


async def _verify(url: str, pool_id: int, session_id: int) -> dict[str, int]:
    import sqlalchemy as sa

    from caoyuan.db import create_database
    from caoyuan.feed import FeedEvent, FeedStream
    from storefront.models import BuyerQuota, Order, StockPool

    database = create_database(url, 1)
    async with database.session() as s:
        pool = await s.get(StockPool, pool_id)
        orders, units = (await s.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Order.quantity), 0))
                                         .where(Order.pool_id == pool_id))).one()
        quota = await s.scalar(sa.select(sa.func.coalesce(sa.func.sum(BuyerQuota.used), 0))
                               .where(BuyerQuota.pool_id == pool_id))
        stream = f"live:{session_id}"
        events, distinct, top = (await s.execute(
            sa.select(sa.func.count(), sa.func.count(sa.distinct(FeedEvent.seq)), sa.func.max(FeedEvent.seq))
            .where(FeedEvent.stream == stream))).one()
        counter = await s.scalar(sa.select(FeedStream.last_seq).where(FeedStream.key == stream))
        placed = await s.scalar(sa.select(sa.func.count()).select_from(FeedEvent)
                                .where(FeedEvent.stream == stream, FeedEvent.kind == "order_placed"))
        session_orders = await s.scalar(sa.select(sa.func.count()).select_from(Order)
                                        .where(Order.live_session_id == session_id))
    await database.dispose()
    return {"orders": orders, "units": int(units), "remaining": pool.remaining, "allocated": pool.allocated,  # type: ignore[union-attr]
            "quota_used": int(quota), "feed_events": events, "feed_distinct_seq": distinct, "feed_max_seq": top or 0,
            "feed_counter": counter or 0, "feed_order_placed": placed, "session_orders": session_orders}


# ---------------------------------------------------------------- server




def _start_server(url: str, port: int, workers: int, pool_size: int, log: Path,
                  app: str = "_bench_app:create") -> subprocess.Popen:
    import httpx

    env = {**os.environ, "CAOYUAN_DATABASE_URL": url, "CAOYUAN_BACKGROUND_TASKS": "0",
           "CAOYUAN_SECRET_KEY": "bench-" + "k" * 40, "CAOYUAN_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
           "CAOYUAN_DATABASE_POOL_SIZE": str(pool_size), "CAOYUAN_ENVIRONMENT": "development"}
    # As `caoyuan serve` runs it, but keep-alive is longer than uvicorn's 5 s: a load generator starved of CPU
    # on a busy machine may take that long to send its next request, and a closed connection is not the server's
    # answer to an order.
    command = [sys.executable, "-m", "uvicorn", "--app-dir", str(HERE), app, "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--no-access-log",
               "--log-level", "warning", "--ws", "websockets-sansio", "--timeout-keep-alive", "60"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server did not become ready: {log.read_text()[-2000:]}")




# ---------------------------------------------------------------- main


def _line(name: str, run: dict) -> str:
    cpu = run["cpu"]
    return (f"{name:<18} {run['per_s']:7.0f} req/s  p50 {run['p50_ms']:6.1f} ms  p90 {run['p90_ms']:6.1f} ms  "
            f"p99 {run['p99_ms']:6.1f} ms  max {run['max_ms']:6.1f} ms  ({run['count']} in {run['elapsed_s']:.1f} s; "
            f"cores busy: server {cpu['server']:.2f}, postgres {cpu['postgres']:.2f}, client {cpu['client']:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--stock", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers, the same for both measurements")
    parser.add_argument("--pool-size", type=int, default=10, help="CAOYUAN_DATABASE_POOL_SIZE per worker")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--clients", choices=["shared", "per-worker"], default="shared",
                        help="one httpx client with a 64-connection pool (default), or one client per worker")
    parser.add_argument("--app", default="_bench_app:create", help="ASGI factory under benchmarks/ (for A/B runs)")
    parser.add_argument("--load", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        _use_uvloop()
        print(json.dumps(asyncio.run(_load(json.loads(args.load)))))
        return
    if args.orders < args.stock:
        parser.error("--orders must exceed --stock: the point is more buyers than goods")

    from caoyuan.db.migrate import upgrade

    url = database_url(DB_NAME)
    print(f"scratch database {DB_NAME}; migrating and seeding …", flush=True)
    asyncio.run(recreate_database(DB_NAME))
    upgrade(url)
    ids = asyncio.run(_seed(url, args.stock, args.warmup))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="caoyuan-bench-") as tmp:
        log = Path(tmp) / "server.log"
        server = _start_server(url, port, args.workers, args.pool_size, log, args.app)
        try:
            orders_path = f"/api/live/sessions/{ids['session_id']}/orders"
            common = {"base": base, "concurrency": args.concurrency, "clients": args.clients}
            print(f"server: uvicorn, {args.workers} worker(s), pool {args.pool_size}+{args.pool_size} per worker, "
                  f"{os.cpu_count()} CPUs; load: {args.concurrency} connections ({args.clients} httpx client)", flush=True)
            _run_load({**common, "path": CEILING_PATH, "pool_id": ids["flash_pool_id"], "count": args.warmup,
                       "phone_prefix": "1370"})
            _run_load({**common, "path": orders_path, "pool_id": ids["shelf_pool_id"], "count": args.warmup,
                       "phone_prefix": "1360"})
            ceiling_spec = {**common, "path": CEILING_PATH, "pool_id": ids["flash_pool_id"], "count": args.orders,
                            "phone_prefix": "1370"}
            before = _run_load(ceiling_spec, server.pid)
            print(_line("HTTP ceiling", before), flush=True)
            orders = _run_load({**common, "path": orders_path, "pool_id": ids["flash_pool_id"],
                                "count": args.orders, "phone_prefix": "1380"}, server.pid)
            print(_line("flash-sale orders", orders), flush=True)
            # Measured again afterwards: other work on a shared machine moves the ceiling; use the mean.
            after = _run_load(ceiling_spec, server.pid)
            print(_line("HTTP ceiling again", after), flush=True)
        finally:
            stop(server)
            server_log = log.read_text()
    checked = asyncio.run(_verify(url, ids["flash_pool_id"], ids["session_id"]))
    sold = orders["statuses"].get("201", 0)
    rejected = orders["statuses"].get("409 sold_out", 0)
    errors = args.orders - sold - rejected
    ceiling = {"per_s": (before["per_s"] + after["per_s"]) / 2, "p99_ms": max(before["p99_ms"], after["p99_ms"])}
    for problem in before["errors"] + orders["errors"] + after["errors"]:
        print("  error:", problem)
    remarks = [line for line in server_log.splitlines() if '"event": "request"' not in line]
    for line in remarks[:10]:
        print("  server:", line[:300])
    consistent = (checked["units"] == sold == checked["orders"] == checked["quota_used"]
                  and checked["remaining"] == args.stock - sold >= 0
                  and checked["feed_events"] == checked["feed_distinct_seq"] == checked["feed_max_seq"]
                  == checked["feed_counter"] and checked["feed_order_placed"] == checked["session_orders"])
    print(f"sold {sold} (201), rejected {rejected} (409 sold_out), errors {errors}; statuses {orders['statuses']}")
    print(f"database: {checked['orders']} orders for {checked['units']} units, remaining {checked['remaining']} of "
          f"{checked['allocated']}, quotas used {checked['quota_used']}, feed {checked['feed_events']} events "
          f"numbered 1..{checked['feed_max_seq']} (counter {checked['feed_counter']}) — "
          f"{'consistent' if consistent else 'INCONSISTENT'}")
    selling = sold / orders["selling_s"] if orders["selling_s"] else 0.0
    print(f"while stock lasted: {selling:.0f} sales/s; ratio orders/ceiling "
          f"{orders['per_s'] / ceiling['per_s']:.2f} (goal ≥ 0.5); p99 {orders['p99_ms']:.1f} ms (goal < 50)")
    result = {
        "orders_per_s": round(orders["per_s"], 1), "http_ceiling_per_s": round(ceiling["per_s"], 1),
        "ratio": round(orders["per_s"] / ceiling["per_s"], 3), "p99_ms": round(orders["p99_ms"], 1),
        "p50_ms": round(orders["p50_ms"], 1), "ceiling_p99_ms": round(ceiling["p99_ms"], 1),
        "ceiling_before_per_s": round(before["per_s"], 1), "ceiling_after_per_s": round(after["per_s"], 1),
        "sales_per_s": round(selling, 1), "orders": args.orders, "sold": sold, "rejected": rejected,
        "errors": errors, "stock": args.stock, "remaining": checked["remaining"],
        "oversold": max(0, checked["units"] - args.stock), "consistent": consistent,
        "workers": args.workers, "concurrency": args.concurrency, "clients": args.clients, "database": "postgresql",
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
