"""A seeded demo served by a real process, on SQLite or PostgreSQL, with one API token per demo role.

Used by the API fuzz pass and the edge-value walk: both send hostile input to every route and assert that
no answer is a server error.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from tests.browser import free_port, start_server, stop_server

DEMO_PASSWORD = "caoyuan2026"
DEMO_PHONES = {
    "admin": "13900000001",
    "host": "13900000002",
    "member": "13900000003",
    "operator": "13900000004",
    "buyer": "13900000005",
}


@dataclass
class FuzzServer:
    base_url: str
    tokens: dict[str, str]  # role → bearer token
    log: Path

    def headers(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}

    def server_errors(self) -> str:
        """The server's error lines (not its access log), to show next to a failing request."""
        lines = self.log.read_text(errors="replace").splitlines()
        errors = [line for line in lines if '"caoyuan.access"' not in line]
        return "\n".join(errors)[-6000:]


def _database_url(backend: str, tmp_path: Path, postgres_url: str | None) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}"
    assert postgres_url is not None
    return postgres_url


def serve_seeded_demo(backend: str, tmp_path: Path, postgres_url: str | None = None) -> Iterator[FuzzServer]:
    url = _database_url(backend, tmp_path, postgres_url)
    port = free_port()
    env = {
        "CAOYUAN_DATABASE_URL": url,
        "CAOYUAN_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "CAOYUAN_SECRET_KEY": "f" * 48,
        "CAOYUAN_BACKGROUND_TASKS": "false",
    }
    seeded = subprocess.run(
        [sys.executable, "-m", "caoyuan", "demo", "--no-serve"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert seeded.returncode == 0, seeded.stdout[-2000:] + seeded.stderr[-4000:]
    log = tmp_path / "server.log"
    process = start_server(env, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        tokens = {}
        for role, phone in DEMO_PHONES.items():
            answer = httpx.post(f"{base}/api/auth/token", json={"phone": phone, "password": DEMO_PASSWORD}, timeout=30)
            assert answer.status_code == 201, answer.text
            tokens[role] = answer.json()["access_token"]
        yield FuzzServer(base, tokens, log)
    finally:
        stop_server(process)


async def fresh_postgres_database(admin_url: str, name: str) -> str:
    """An empty database next to the test one (the demo migrates and seeds it itself)."""
    import asyncpg

    plain = make_url(admin_url).set(drivername="postgresql")
    conn = await asyncpg.connect(plain.render_as_string(hide_password=False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def create_postgres_database(admin_url: str, name: str) -> str:
    return asyncio.run(fresh_postgres_database(admin_url, name))
