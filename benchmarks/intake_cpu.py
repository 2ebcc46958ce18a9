"""CPU per live order in-process, one order after another: the intake's own cost, steadier than req/s.

On a shared, overloaded machine throughput says little; the CPU time this process spends per order, with
no concurrency and no HTTP, changes only with the code. ``--profile FILE`` writes a cProfile of the orders.
Each order goes through the order route's own function, ``take_order_now``, in a process whose heap and
collector are set as a server's. ``--concurrency N`` keeps N orders in flight on one event loop and one pool
of ``--pool-size`` connections (PostgreSQL: concurrent orders share the read and the write statements,
``storefront/services/intake_read.py`` and ``intake_batch.py``), and adds orders_per_s and what the
batches carried.

    .venv/bin/python benchmarks/intake_cpu.py --orders 400
    .venv/bin/python benchmarks/intake_cpu.py --orders 4000 --concurrency 64
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import sys
import time
import types
from pathlib import Path

import uvloop

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _live_seed import seed_live_session  # noqa: E402
from _scratch import cpu_canary_ms, recreate_database, scratch_name  # noqa: E402

DB_NAME = scratch_name("caoyuan_bench_intake_cpu")


async def _orders(  # noqa: PLR0913
    url: str, session_id: int, pool_id: int, count: int, profile: Path | None, concurrency: int = 1, pool_size: int = 2
) -> dict:
    import msgspec

    from caoyuan.db import create_database
    from caoyuan.db.metadata import load_all_models
    from caoyuan.web.heap import freeze_startup_heap
    from storefront.schemas import OrderIn
    from streaming.services.intake import take_order_now

    load_all_models()
    from storefront.services.intake_batch import BATCH_ORDERS

    database = create_database(url, pool_size)
    settings = types.SimpleNamespace(order_expiry_minutes=15)

    async def place(i: int) -> None:
        body = {
            "pool_id": pool_id,
            "quantity": 1,
            "phone": f"137{i:08d}",
            "name": "张三丰",
            "province": "北京市",
            "city": "北京市",
            "county": "海淀区",
            "detail": "中关村大街 1 号 2 单元",
        }
        data = msgspec.convert(body, OrderIn)
        await take_order_now(database, settings, session_id, data, f"cpu-{i:09d}", None)  # type: ignore[arg-type]

    for i in range(20):  # warm: connections, prepared statements, compiled caches
        await place(i)
    freeze_startup_heap()  # the heap and collector as a server sets them
    profiler = cProfile.Profile() if profile else None
    started_cpu, started = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    before = _batches(BATCH_ORDERS)
    todo = iter(range(20, 20 + count))

    async def worker() -> None:
        for i in todo:
            await place(i)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(profile))
    cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
    await database.dispose()
    statements, batched = (now - then for now, then in zip(_batches(BATCH_ORDERS), before, strict=True))
    return {
        "orders": count,
        "concurrency": concurrency,
        "orders_per_s": round(count / wall, 1),
        "cpu_ms_per_order": round(cpu / count * 1000, 3),
        "wall_ms_per_order": round(wall / count * 1000, 3),
        "batch_statements": int(statements),
        "mean_batch": round(batched / statements, 1) if statements else None,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "cpu_canary_ms": cpu_canary_ms(),
    }


def _batches(histogram: object) -> tuple[float, float]:
    """(statements, orders) the intake's batches carried so far in this process."""
    count = total = 0.0
    for metric in histogram.collect():  # type: ignore[attr-defined]
        for sample in metric.samples:
            if sample.labels.get("outcome") == "placed" and sample.name.endswith("_count"):
                count += sample.value
            elif sample.labels.get("outcome") == "placed" and sample.name.endswith("_sum"):
                total += sample.value
    return count, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--concurrency", type=int, default=1, help="orders in flight at once")
    parser.add_argument("--pool-size", type=int, default=10, help="database connections (plus as many overflow)")
    args = parser.parse_args()
    from caoyuan.db.migrate import upgrade

    url = asyncio.run(recreate_database(DB_NAME))
    upgrade(url)
    ids = asyncio.run(seed_live_session(url, args.orders + 100))
    result = uvloop.run(  # the servers' event loop (uvicorn takes uvloop)
        _orders(
            url, ids["session_id"], ids["shelf_pool_id"], args.orders, args.profile, args.concurrency, args.pool_size
        )
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
