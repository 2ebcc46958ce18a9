"""CPU per live order in-process, one order after another: the intake's own cost, steadier than req/s.

On a shared, overloaded machine throughput says little; the CPU time this process spends per order, with
no concurrency and no HTTP, changes only with the code. ``--profile FILE`` writes a cProfile of the orders.

    .venv/bin/python benchmarks/intake_cpu.py --orders 400
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _live_seed import seed_live_session  # noqa: E402
from _scratch import recreate_database, scratch_name  # noqa: E402

DB_NAME = scratch_name("caoyuan_bench_intake_cpu")


async def _orders(url: str, session_id: int, pool_id: int, count: int, profile: Path | None) -> dict:
    import msgspec

    from caoyuan.db import create_database
    from caoyuan.db.metadata import load_all_models
    from storefront.schemas import OrderIn
    from streaming.services.intake import take_order

    load_all_models()
    database = create_database(url, 2)
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
        async with database.session() as s:  # as the request's session does: one per order
            await take_order(s, settings, session_id, msgspec.convert(body, OrderIn), f"cpu-{i:09d}", None)  # type: ignore[arg-type]

    for i in range(20):  # warm: connections, prepared statements, compiled caches
        await place(i)
    profiler = cProfile.Profile() if profile else None
    started_cpu, started = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for i in range(20, 20 + count):
        await place(i)
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(profile))
    cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
    await database.dispose()
    return {
        "orders": count,
        "cpu_ms_per_order": round(cpu / count * 1000, 3),
        "wall_ms_per_order": round(wall / count * 1000, 3),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    from caoyuan.db.migrate import upgrade

    url = asyncio.run(recreate_database(DB_NAME))
    upgrade(url)
    ids = asyncio.run(seed_live_session(url, args.orders + 100))
    result = asyncio.run(_orders(url, ids["session_id"], ids["shelf_pool_id"], args.orders, args.profile))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
