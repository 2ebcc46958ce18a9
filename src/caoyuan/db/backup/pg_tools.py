"""The libpq client tools: the same major version as the server where Debian installed one, else the one on
PATH; the password travels in a temporary passfile, never on a command line."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection

from caoyuan.db.backup.manifest import BackupError, Say


async def pg_tool(conn: AsyncConnection, name: str, say: Say) -> str:
    server = (await conn.execute(text("SHOW server_version"))).scalar_one()
    server_major = int(re.match(r"\d+", server).group())  # type: ignore[union-attr]
    tool = pick_tool(name, server_major)
    client = await tool_version(tool)
    for line in version_notes(name, client, server):
        say(line)
    return tool


def pick_tool(name: str, server_major: int) -> str:
    matching = Path(f"/usr/lib/postgresql/{server_major}/bin/{name}")
    if matching.is_file():
        return str(matching)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"找不到 {name}：请安装 postgresql-client-{server_major}（与服务器同一大版本）")
    return found


async def tool_version(tool: str) -> str:
    process = await asyncio.create_subprocess_exec(tool, "--version", stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    found = re.search(r"(\d+)(?:\.(\d+))?", out.decode())
    if found is None:
        raise BackupError(f"{tool} --version 的输出看不懂：{out.decode().strip()}")
    return found.group(0)


def version_notes(name: str, client: str, server: str) -> list[str]:
    """What to tell about the tool's version against the server's; raises when the tool is too old."""
    client_major, server_major = int(client.split(".")[0]), int(re.match(r"\d+", server).group())  # type: ignore[union-attr]
    if client_major < server_major:
        raise BackupError(
            f"{name} 是 {client} 版，比服务器的 PostgreSQL {server} 旧，无法使用；"
            f"请安装 postgresql-client-{server_major}"
        )
    if client_major > server_major:
        return [
            f"注意：{name} {client} 与服务器 PostgreSQL {server} 大版本不同（新客户端可以处理旧服务器；"
            f"恢复此备份时请用 {client_major} 或更新版本的 pg_restore）"
        ]
    return [f"{name} {client}，服务器 PostgreSQL {server}"]


async def run_tool(url: URL, args: list[str]) -> None:
    with libpq_env(url) as env:
        process = await asyncio.create_subprocess_exec(
            *args, *connection_args(url), env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        _, err = await process.communicate()
    if process.returncode != 0:
        tool = Path(args[0]).name
        raise BackupError(f"{tool} 失败（退出码 {process.returncode}）：{err.decode(errors='replace').strip()}")


def connection_args(url: URL) -> list[str]:
    """Where to connect, for the libpq tools: never the password."""
    host = url.host or url.query.get("host")
    args = [f"--dbname={url.database}"]
    if host:
        args.append(f"--host={host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--username={url.username}")
    return [*args, "--no-password"]


@contextmanager
def libpq_env(url: URL) -> Iterator[dict[str, str]]:
    """The environment for pg_dump/pg_restore: the password in a passfile readable only by us, removed after."""
    env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
    ssl = url.query.get("sslmode") or url.query.get("ssl")
    if isinstance(ssl, str):
        env["PGSSLMODE"] = {"true": "require", "false": "disable"}.get(ssl.lower(), ssl)
    if not url.password:
        yield env
        return
    handle, name = tempfile.mkstemp(prefix="caoyuan-pgpass-")  # created 0600
    try:
        escaped = str(url.password).replace("\\", "\\\\").replace(":", "\\:")
        with os.fdopen(handle, "w") as passfile:
            passfile.write(f"*:*:*:*:{escaped}\n")
        yield {**env, "PGPASSFILE": name}
    finally:
        Path(name).unlink(missing_ok=True)
