"""What every benchmark shares: a scratch PostgreSQL database, loopback ports, processes, percentiles."""

from __future__ import annotations

import os
import socket
import subprocess

ADMIN_URL = os.environ.get("CAOYUAN_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
ORDER_BODY = {"quantity": 1, "name": "张三丰", "province": "内蒙古", "city": "鄂尔多斯市", "county": "鄂托克旗",
              "detail": "乌兰镇团结路 8 号"}


def database_url(database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(ADMIN_URL).set(database=database).render_as_string(hide_password=False)


async def recreate_database(name: str) -> str:
    """Drop and create the scratch database; returns its URL."""
    from sqlalchemy import text

    from caoyuan.db import create_database

    admin = create_database(ADMIN_URL, 1)
    async with admin.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return database_url(name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))] if ordered else 0.0
