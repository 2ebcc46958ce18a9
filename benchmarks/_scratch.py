"""What every benchmark shares: a scratch PostgreSQL database, loopback ports, processes, percentiles."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ADMIN_URL = os.environ.get("CAOYUAN_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
ORDER_BODY = {
    "quantity": 1,
    "name": "张三丰",
    "province": "内蒙古",
    "city": "鄂尔多斯市",
    "county": "鄂托克旗",
    "detail": "乌兰镇团结路 8 号",
}


def scratch_name(base: str) -> str:
    """The scratch database's name; CAOYUAN_BENCH_DB_SUFFIX keeps concurrent runs (tests) apart."""
    return base + os.environ.get("CAOYUAN_BENCH_DB_SUFFIX", "")


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


def start_server(
    app: str, port: int, log: Path, env: dict[str, str] | None = None, workers: int = 1, ready_path: str = "/readyz"
) -> subprocess.Popen:
    """uvicorn on 127.0.0.1:``port`` serving the factory ``app`` (a module under benchmarks/ or the package),
    as ``caoyuan serve`` runs it (no access log, websockets-sansio); returns once ``ready_path`` answers 200.

    Keep-alive is longer than uvicorn's 5 s: a load generator starved of CPU on a busy machine may take that
    long to send its next request, and a closed connection is not the server's answer."""
    import httpx

    environment = {
        **os.environ,
        "CAOYUAN_BACKGROUND_TASKS": "0",
        "CAOYUAN_SECRET_KEY": "bench-" + "k" * 40,
        "CAOYUAN_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "CAOYUAN_ENVIRONMENT": "development",
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(HERE),
        app,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
        "--ws",
        "websockets-sansio",
        "--timeout-keep-alive",
        "60",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120  # a loaded 2-core machine takes tens of seconds to import the app
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"server did not become ready: {log.read_text()[-2000:]}")


CANARY_LOOP = 1_000_000


def cpu_canary_ms(repeats: int = 5) -> list[float]:
    """The fastest and the slowest of ``repeats`` timings (process CPU, ms) of one fixed pure-Python loop.

    This machine's speed drifts: the same loop took 210–248 ms from one minute to the next, and
    ``intake_cpu.py``'s CPU per order 0.055 ms in one suite and 0.091 ms an hour later. A figure is read
    next to the canary taken just after it: a slow canary means a slow machine, not slower code."""
    timings = []
    for _ in range(repeats):
        started = time.process_time()
        total = 0
        for n in range(CANARY_LOOP):
            total += n
        timings.append((time.process_time() - started) * 1000)
        time.sleep(0.05)
    return [round(min(timings), 1), round(max(timings), 1)]


def machine_line() -> str:
    load = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (shared machine)"
