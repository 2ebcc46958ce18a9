"""Benchmark: the yearly distribution for 100,000 members and 1,000,000 transaction-volume lines.

Builds its own scratch PostgreSQL database (COPY for the load, which is not timed), then times
  * the whole distribution run — read (SQL aggregates), compute (exact splits), write the draft's
    100,000 allocation rows — committed, exactly as `caoyuan coop distribute` does it;
  * a raw SQL aggregate over the same rows: SUM of volume per member, fetched to the client.
The last line of output is one JSON object: seconds, sql_floor_seconds, ratio (goal ≤ 3), exact.

    .venv/bin/python benchmarks/distribution.py [--members 100000] [--lines 1000000] [--runs 3]
Environment: CAOYUAN_BENCH_POSTGRES_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
from datetime import UTC, date, datetime

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from caoyuan.db import create_database
from caoyuan.db.metadata import load_all_models
from caoyuan.db.migrate import upgrade

BASE_URL = os.environ.get("CAOYUAN_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
SCRATCH = "caoyuan_bench_distribution"
YEAR = 2025
FLOOR_SQL = (
    "SELECT member_id, SUM(amount_fen) FROM coop_member_volume "
    "WHERE cooperative_id = :coop AND year = :year GROUP BY member_id"
)


async def admin(*statements: str) -> None:
    database = create_database(BASE_URL, 1)
    async with database.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        for statement in statements:
            await conn.execute(text(statement))
    await database.dispose()


def id_number(seq: int) -> str:
    from caoyuan.identity import id_check_char

    first17 = f"150426{1950 + seq % 50}0101{seq % 1000:03d}"
    return first17 + id_check_char(first17)


async def load(url: str, members: int, lines: int, seed: int = 2025) -> int:
    from coop.models import Cooperative
    from coop.rules import chart as c
    from coop.rules.charter import Terms
    from coop.rules.journal import credit, debit
    from coop.services.charter import record_charter
    from coop.services.ledger import write_entry

    rnd = random.Random(seed)
    database = create_database(url, 2)
    try:
        async with database.session() as s:
            coop = Cooperative(name="基准测试合作社", kind="farmer", banner="翁牛特旗", village="白音套海嘎查")
            s.add(coop)
            await s.flush()
            coop_id = int(coop.id)  # type: ignore[arg-type]
            await record_charter(s, coop_id, date(2020, 1, 1), Terms(reserve_rate_bp=1000, patronage_rate_bp=6000))
            income = 123_456_789_01
            await write_entry(
                s,
                coop_id,
                [debit(c.BANK, income), credit(c.OTHER_INCOME, income)],
                kind="manual",
                entry_date=date(YEAR, 6, 30),
            )
            raw = (await (await s.connection()).get_raw_connection()).driver_connection
            now = datetime.now(UTC)
            await raw.copy_records_to_table(
                "coop_member",
                columns=(
                    "id",
                    "cooperative_id",
                    "member_no",
                    "name",
                    "id_number",
                    "phone",
                    "village",
                    "group_name",
                    "household_size",
                    "hardship",
                    "status",
                    "status_since",
                    "status_reason",
                    "created_at",
                ),
                records=[
                    (
                        1_000_000 + i,
                        coop_id,
                        i,
                        f"社员{i}",
                        id_number(i),
                        "",
                        "白音套海嘎查",
                        f"{i % 12 + 1}组",
                        1 + i % 6,
                        i % 17 == 0,
                        "admitted",
                        date(2020, 1, 1),
                        "入社",
                        now,
                    )
                    for i in range(1, members + 1)
                ],
            )
            await raw.copy_records_to_table(
                "coop_share_transaction",
                columns=(
                    "cooperative_id",
                    "number",
                    "op",
                    "member_id",
                    "shares",
                    "amount_fen",
                    "effective_on",
                    "reason",
                    "created_at",
                ),
                records=[
                    (coop_id, i, "subscribe", 1_000_000 + i, n, n * 100_00, date(2021, 1, 1), "入股", now)
                    for i in range(1, members + 1)
                    for n in [rnd.randint(1, 500)]
                ],
            )
            await raw.copy_records_to_table(
                "coop_member_volume",
                columns=("cooperative_id", "member_id", "year", "occurred_on", "source", "amount_fen", "reference"),
                records=[
                    (
                        coop_id,
                        1_000_000 + rnd.randint(1, members),
                        YEAR,
                        date(YEAR, 1 + k % 12, 1 + k % 28),
                        "live_sale" if k % 3 else "machinery",
                        rnd.randint(1_00, 5_000_00),
                        "",
                    )
                    for k in range(lines)
                ],
            )
            await s.execute(text("SELECT setval(pg_get_serial_sequence('coop_member', 'id'), 2000000)"))
        async with database.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
        return coop_id
    finally:
        await database.dispose()


async def run_distribution(database, coop_id: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    from coop.services.distribution import compute_draft

    started = time.perf_counter()
    async with database.session() as s:
        draft = await compute_draft(s, coop_id, YEAR)
    return time.perf_counter() - started, int(draft.id)


async def discard_draft(database, distribution_id: int) -> None:  # type: ignore[no-untyped-def]
    """Between runs (not timed): so every timed run computes a fresh draft, as the first one does."""
    async with database.session() as s:
        for table in ("coop_distribution_allocation", "coop_distribution_step"):
            await s.execute(text(f"DELETE FROM {table} WHERE distribution_id = :d"), {"d": distribution_id})
        await s.execute(text("DELETE FROM coop_distribution WHERE id = :d"), {"d": distribution_id})
    async with database.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE coop_distribution_allocation"))


async def run_floor(database, coop_id: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    async with database.session() as s:
        rows = (await s.execute(text(FLOOR_SQL), {"coop": coop_id, "year": YEAR})).all()
    return time.perf_counter() - started, len(rows)


async def check_exact(url: str, distribution_id: int) -> tuple[bool, dict]:
    from coop.models import Allocation, Distribution

    database = create_database(url, 1)
    try:
        async with database.session() as s:
            d = await s.get(Distribution, distribution_id)
            pat, rem, tot, n = (
                await s.execute(
                    select(
                        func.sum(Allocation.patronage_fen),
                        func.sum(Allocation.remainder_fen),
                        func.sum(Allocation.total_fen),
                        func.count(),
                    ).where(Allocation.distribution_id == distribution_id)
                )
            ).one()
            exact = (
                int(pat) == d.patronage_fen
                and int(rem) == d.remainder_fen
                and int(tot) == d.distributable_fen
                and d.loss_cover_fen
                + d.reserve_fen
                + d.pool_development_fen
                + d.pool_assistance_fen
                + d.distributable_fen
                == d.surplus_fen
            )
            return exact, {
                "allocations": int(n),
                "distributable_fen": d.distributable_fen,
                "surplus_fen": d.surplus_fen,
            }
    finally:
        await database.dispose()


async def main(members: int, lines: int, runs: int, keep: bool = False) -> dict:
    load_all_models()
    url = make_url(BASE_URL).set(database=SCRATCH).render_as_string(hide_password=False)
    coop_id = await existing_load(url) if keep else None
    if coop_id is None:
        await admin(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)', f'CREATE DATABASE "{SCRATCH}"')
    try:
        if coop_id is None:
            upgrade(url)
            t0 = time.perf_counter()
            coop_id = await load(url, members, lines)
            print(
                f"loaded {members:,} members and {lines:,} volume lines in {time.perf_counter() - t0:.1f} s (not timed)"
            )
        database = create_database(url, 2)
        try:
            await run_floor(database, coop_id)  # warm the page cache and the connections for both
            await discard_draft(database, (await run_distribution(database, coop_id))[1])
            runs_dist, runs_floor, last_id = [], [], 0
            for i in range(runs):
                if last_id:
                    await discard_draft(database, last_id)
                floor, groups = await run_floor(database, coop_id)
                seconds, last_id = await run_distribution(database, coop_id)
                runs_floor.append(floor)
                runs_dist.append(seconds)
                print(f"run {i + 1}: distribution {seconds:.3f} s, SQL floor {floor:.3f} s ({groups:,} groups)")
        finally:
            await database.dispose()
        exact, figures = await check_exact(url, last_id)
        seconds, floor = statistics.median(runs_dist), statistics.median(runs_floor)
        return {
            "benchmark": "distribution",
            "members": members,
            "volume_lines": lines,
            "runs": runs,
            "seconds": round(seconds, 4),
            "sql_floor_seconds": round(floor, 4),
            "ratio": round(seconds / floor, 3),
            "best_seconds": round(min(runs_dist), 4),
            "best_sql_floor_seconds": round(min(runs_floor), 4),
            "exact": exact,
            **figures,
        }
    finally:
        if not keep:
            await admin(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')


async def existing_load(url: str) -> int | None:
    """With --keep: reuse a scratch database an earlier run left behind (for profiling)."""
    try:
        database = create_database(url, 1)
        async with database.session() as s:
            return await s.scalar(text("SELECT id FROM coop_cooperative WHERE name = '基准测试合作社'"))
    except Exception:  # noqa: BLE001 - no such database yet
        return None
    finally:
        await database.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the scratch database")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.members, args.lines, args.runs, args.keep)), ensure_ascii=False))
