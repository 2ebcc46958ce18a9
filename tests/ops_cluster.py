"""Real processes for the ops tests: PgBouncer started from deploy/pgbouncer/pgbouncer.ini, nginx in front
of app nodes, and a two-node ``Cluster`` on one PostgreSQL (the ``cluster`` fixture in tests/conftest.py)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import websockets
from PIL import Image
from sqlalchemy.engine import make_url

from tests.browser import free_port, start_server
from tests.conftest import PASSWORD
from tests.factories.shop import order_body

METRICS_TOKEN = "cluster-metrics-token-0123456789"


def need(binary: str) -> str:
    found = shutil.which(binary) or next(
        (p for p in (f"/usr/sbin/{binary}", f"/usr/bin/{binary}") if Path(p).exists()), None
    )
    if found is None:
        message = f"{binary} is not installed (apt-get install -y nginx-light pgbouncer)"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " and REQUIRE_POSTGRES=1")
        pytest.skip(message)
    return found


def _wait_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 20) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited: {log.read_text(errors='replace')[-2000:] if log.exists() else ''}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"port {port} never opened")


SHIPPED_PGBOUNCER_INI = Path(__file__).resolve().parents[1] / "deploy" / "pgbouncer" / "pgbouncer.ini"


def pgbouncer_version(binary: str) -> tuple[int, int]:
    """(1, 18) from "PgBouncer 1.18.0"."""
    first = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout.split()
    major, minor = first[1].split(".")[:2]
    return int(major), int(minor)


def pgbouncer_ini(direct_url: str, port: int, folder: Path, version: tuple[int, int]) -> str:
    """deploy/pgbouncer/pgbouncer.ini as shipped, with this machine's addresses, trust authentication and a
    log file; max_prepared_statements only where the installed PgBouncer knows it (1.21+)."""
    url = make_url(direct_url)
    local = {
        "listen_addr": "127.0.0.1",
        "listen_port": str(port),
        "unix_socket_dir": "",
        "auth_type": "trust",
        "auth_file": f"{folder}/users.txt",
        "logfile": f"{folder}/pgbouncer.log",
        "stats_users": url.username or "postgres",
        **({"max_prepared_statements": "200"} if version >= (1, 21) else {}),
    }
    lines, section = [], ""
    for line in SHIPPED_PGBOUNCER_INI.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped
            lines.append(line)
            if section == "[databases]":
                lines.append(f"* = host={url.host} port={url.port or 5432}")  # any database name, for tests
            elif section == "[pgbouncer]":
                lines.extend(f"{key} = {value}" for key, value in local.items())
            continue
        key = stripped.split("=", 1)[0].strip()
        if stripped and not stripped.startswith(";") and (section == "[databases]" or key in local):
            continue  # replaced above
        lines.append(line)
    return "\n".join(lines) + "\n"


def start_pgbouncer(direct_url: str) -> tuple[subprocess.Popen, int, Path]:
    """The shipped PgBouncer configuration (transaction mode) on a free port, in front of ``direct_url``."""
    binary = need("pgbouncer")
    folder = Path(tempfile.mkdtemp(prefix="caoyuan-pgb-"))
    folder.chmod(0o777)  # pgbouncer refuses to run as root: it runs as postgres and writes its log here
    port = free_port()
    (folder / "users.txt").write_text(f'"{make_url(direct_url).username}" ""\n')
    (folder / "pgbouncer.ini").write_text(pgbouncer_ini(direct_url, port, folder, pgbouncer_version(binary)))
    command = [binary, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    _wait_port(port, process, folder / "pgbouncer.log")
    return process, port, folder


def start_nginx(upstreams: list[int]) -> tuple[subprocess.Popen, int, Path]:
    binary = need("nginx")
    folder = Path(tempfile.mkdtemp(prefix="caoyuan-nginx-"))
    port = free_port()
    servers = "".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;\n" for p in upstreams)
    user = "user root;\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        f"    access_log off;\n    client_body_temp_path {folder}/body;\n    proxy_temp_path {folder}/proxy;\n"
        f"    fastcgi_temp_path {folder}/f;\n    uwsgi_temp_path {folder}/u;\n    scgi_temp_path {folder}/s;\n"
        "    client_max_body_size 6m;\n"
        "    map $http_upgrade $connection_upgrade { default upgrade; '' ''; }\n"
        f"    upstream caoyuan {{\n{servers}        keepalive 16;\n    }}\n"
        f"    server {{\n        listen 127.0.0.1:{port};\n"
        "        location / {\n"
        "            proxy_pass http://caoyuan;\n            proxy_http_version 1.1;\n"
        "            proxy_set_header Host $host;\n"
        "            proxy_set_header Upgrade $http_upgrade;\n"
        "            proxy_set_header Connection $connection_upgrade;\n"
        "            proxy_read_timeout 60s;\n"
        "            proxy_next_upstream error timeout http_502 non_idempotent;\n"
        "        }\n    }\n}\n"
    )
    process = subprocess.Popen(
        [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    _wait_port(port, process, folder / "error.log")
    return process, port, folder


@dataclass
class Cluster:
    direct_url: str
    bouncer_port: int
    proxy: str  # host:port of nginx
    nodes: list[str]  # host:port of each app node
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: Path = Path()

    def node_env(self) -> dict[str, str]:
        return self.env

    def start_node(self, port: int) -> None:
        self.processes[f"127.0.0.1:{port}"] = start_server(self.env, port, self.logs / f"node-{port}.log")

    def kill_node(self, base: str) -> None:
        self.processes[base].kill()
        self.processes[base].wait(10)


@contextmanager
def running_cluster(database_url: str, tmp_path: Path) -> Iterator[Cluster]:
    """PgBouncer (the shipped config), two app nodes on it and nginx in front; all stopped afterwards."""
    bouncer, bouncer_port, bouncer_dir = start_pgbouncer(database_url)
    pooled = make_url(database_url).set(host="127.0.0.1", port=bouncer_port).render_as_string(hide_password=False)
    ports = [free_port(), free_port()]
    nginx, proxy_port, nginx_dir = start_nginx(ports)
    env = {
        "CAOYUAN_DATABASE_URL": pooled,
        "CAOYUAN_DATABASE_PGBOUNCER": "true",
        "CAOYUAN_DATABASE_LISTEN_URL": database_url,
        "CAOYUAN_PUBLIC_BASE_URL": f"http://127.0.0.1:{proxy_port}",
        "CAOYUAN_SECRET_KEY": "c" * 40,
        "CAOYUAN_BACKGROUND_TASKS": "0",
        "CAOYUAN_MEDIA_DIR": str(tmp_path / "media"),  # one folder for both nodes (S3 in production)
        "CAOYUAN_METRICS_TOKEN": METRICS_TOKEN,
        "CAOYUAN_SHUTDOWN_DRAIN_S": "1",
    }
    made = Cluster(database_url, bouncer_port, f"127.0.0.1:{proxy_port}", [f"127.0.0.1:{p}" for p in ports], env)
    made.logs = tmp_path
    try:
        with ThreadPoolExecutor(len(ports)) as pool:  # each start is mostly importing the app: side by side
            list(pool.map(made.start_node, ports))
        yield made
    finally:
        stop_all([p for p in made.processes.values() if p.poll() is None] + [nginx, bouncer])
        shutil.rmtree(bouncer_dir, ignore_errors=True)
        shutil.rmtree(nginx_dir, ignore_errors=True)


def stop_all(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to every process at once, then wait: the nodes drain side by side, not one after another."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


async def token(base: str, phone: str) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"http://{base}/api/auth/token", json={"phone": phone, "password": PASSWORD})
        assert response.status_code == 201, response.text
        return response.json()["access_token"]


async def order(base: str, session_id: int, pool_id: int, key: str, phone: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=20) as client:
        return await client.post(
            f"http://{base}/api/live/sessions/{session_id}/orders",
            headers={"Idempotency-Key": key},
            json={"pool_id": pool_id, **order_body(phone=phone)},
        )


async def collect_orders(url: str, bearer: str, count: int, seconds: float = 30) -> list[dict]:
    """Every event on the host feed until ``count`` order_placed events arrived."""
    events: list[dict] = []
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {bearer}"}) as ws:
        async with asyncio.timeout(seconds):
            while sum(e["kind"] == "order_placed" for e in events) < count:
                message = json.loads(await ws.recv())
                if message["type"] == "events":
                    events.extend(message["events"])
    return events


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()
