"""Backup and restore of the whole database, with a manifest to check a restore against.

* PostgreSQL: ``pg_dump -Fc`` and ``pg_restore``. The row counts of the manifest are taken in the very
  snapshot pg_dump dumps (exported from a repeatable-read transaction), so they match the dump exactly
  even while the app keeps writing. The password travels in a temporary passfile, never on a command line.
* SQLite: the online backup API (``sqlite3.Connection.backup``), safe while the server runs; the copy is
  one self-contained file (journal mode DELETE).

The manifest sits next to the backup (``FILE.manifest.json``): when it was made, the migration rows, and
the rows of every table. After a restore every table must hold exactly the manifest's rows. The kernel
knows no domain, so domain invariants (the ledger balancing, the share register) are the tests' business.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from caoyuan import clock
from caoyuan.db.migrate import SchemaState, compare_schema

MANIFEST_SUFFIX = ".manifest.json"
MANIFEST_FORMAT = "caoyuan-backup/1"
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"

Say = Callable[[str], None]
T = TypeVar("T")


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message is for the accountant, in Chinese."""


@dataclass
class Manifest:
    dialect: str
    created_at: str
    revisions: list[str]
    tables: dict[str, int]
    format: str = MANIFEST_FORMAT

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True) + "\n")

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text())
        except ValueError as exc:
            raise BackupError(f"备份清单 {path} 读不出来：{exc}") from None
        if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
            raise BackupError(f"备份清单 {path} 的格式不认识")
        return cls(**data)


@dataclass
class RestoreReport:
    tables: dict[str, int]
    schema: SchemaState
    manifest: Manifest | None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + MANIFEST_SUFFIX)


def _quiet(_: str) -> None:
    pass


# ---------------------------------------------------------------- the two commands


def backup_database(url: str, target: Path, say: Say = _quiet) -> Manifest:
    """Back the database up into ``target`` (replaced only once the new copy is complete). Blocking:
    for the command line, not for a running event loop."""
    target = target.expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        if _is_sqlite(url):
            with _sqlite_errors():
                manifest = _sqlite_backup(_sqlite_file(url), partial, say)
        else:
            manifest = _pg(_pg_backup(make_url(url), partial, say))
        manifest.write(manifest_path(target))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def restore_database(url: str, source: Path, force: bool = False, say: Say = _quiet) -> RestoreReport:
    """Restore ``source`` into the database at ``url`` (empty, unless ``force``), then check it. Blocking."""
    source = source.expanduser().resolve()
    if not source.is_file():
        raise BackupError(f"备份文件不存在：{source}")
    manifest = _read_manifest(source, say)
    _check_kind(source, url)
    if _is_sqlite(url):
        with _sqlite_errors():
            _sqlite_restore(source, _sqlite_file(url), force, say)
    else:
        _pg(_pg_restore(make_url(url), source, force, say))
    say("正在核对恢复结果 …")
    tables, revisions = inventory(url)
    return _compare(tables, compare_schema(revisions), manifest)


def inventory(url: str) -> tuple[dict[str, int], list[str]]:
    """Rows per table and the migration rows, as the database holds them now."""
    if _is_sqlite(url):
        with _sqlite_errors(), _sqlite(_sqlite_file(url)) as conn:
            tables = _sqlite_counts(conn)
            return tables, _sqlite_revisions(conn, tables)
    return _pg(_pg_inventory(url))


@contextmanager
def _sqlite_errors() -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite 出错：{exc}（数据库文件损坏、被占用或不是数据库？）") from None


def _pg(work: Coroutine[Any, Any, T]) -> T:
    """Run PostgreSQL work to its end; a database that cannot be reached is told in words."""
    try:
        return asyncio.run(work)
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        raise BackupError(f"数据库出错或无法连接（CAOYUAN_DATABASE_URL）：{cause}") from None


def _read_manifest(source: Path, say: Say) -> Manifest | None:
    path = manifest_path(source)
    if not path.is_file():
        say(f"注意：找不到备份清单 {path.name}，无法核对每张表的行数，只检查迁移版本。")
        return None
    return Manifest.read(path)


def _check_kind(source: Path, url: str) -> None:
    with source.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(SQLITE_MAGIC):
        kind = "sqlite"
    elif head.startswith(PG_DUMP_MAGIC):
        kind = "postgresql"
    else:
        raise BackupError(f"{source.name} 不是 Caoyuan 的备份文件（既不是 SQLite 数据库，也不是 pg_dump -Fc 文件）")
    wanted = "sqlite" if _is_sqlite(url) else "postgresql"
    if kind != wanted:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(f"{source.name} 是 {names[kind]} 的备份，不能恢复到 {names[wanted]} 数据库")


def _compare(tables: dict[str, int], schema: SchemaState, manifest: Manifest | None) -> RestoreReport:
    report = RestoreReport(tables, schema, manifest)
    if manifest is None:
        return report
    for name in sorted(set(manifest.tables) | set(tables)):
        expected, found = manifest.tables.get(name), tables.get(name)
        if expected is None:
            report.problems.append(f"表 {name} 不在备份里（恢复前数据库中就有？）")
        elif found is None:
            report.problems.append(f"表 {name} 没有恢复出来")
        elif expected != found:
            report.problems.append(f"表 {name}：备份时 {expected} 行，恢复后 {found} 行")
    if sorted(schema.current) != sorted(manifest.revisions):
        report.problems.append(
            f"迁移版本与备份时不同：备份 {', '.join(manifest.revisions) or '空'}，"
            f"恢复后 {', '.join(sorted(schema.current)) or '空'}"
        )
    return report


# ---------------------------------------------------------------- SQLite


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("内存中的 SQLite 数据库无法备份或恢复；请在 CAOYUAN_DATABASE_URL 中指定文件")
    return Path(database).expanduser().resolve()


@contextmanager
def _sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path, timeout=30)
    try:
        conn.execute("PRAGMA busy_timeout=30000")
        yield conn
    finally:
        conn.close()


def _sqlite_backup(source: Path, partial: Path, say: Say) -> Manifest:
    if not source.is_file():
        raise BackupError(f"数据库文件不存在：{source}")
    say(f"正在备份 SQLite 数据库 {source} …")
    partial.unlink(missing_ok=True)
    with _sqlite(source) as live, _sqlite(partial) as copy:
        # One step: a consistent snapshot of the committed data; the app's writers are not blocked (WAL).
        live.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file to copy off the machine
        tables = _sqlite_counts(copy)
        revisions = _sqlite_revisions(copy, tables)
    return Manifest("sqlite", clock.now().isoformat(timespec="seconds"), revisions, tables)


def _sqlite_restore(source: Path, target: Path, force: bool, say: Say) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with _sqlite(target) as dest:
        data = _holding_data(_sqlite_counts(dest))
        if data and not force:
            raise BackupError(_not_empty(target.name, data))
        say(f"正在把 {source.name} 恢复到 SQLite 数据库 {target} …")
        with _readonly(source) as backup:
            backup.backup(dest)  # replaces every page of the target: nothing of the old content is left


@contextmanager
def _readonly(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        yield conn
    finally:
        conn.close()


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY name"
        )
    ]
    return {name: conn.execute(f"SELECT count(*) FROM {_quote(name)}").fetchone()[0] for name in names}


def _sqlite_revisions(conn: sqlite3.Connection, tables: dict[str, int]) -> list[str]:
    if "alembic_version" not in tables:
        return []
    return sorted(row[0] for row in conn.execute("SELECT version_num FROM alembic_version"))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _holding_data(tables: dict[str, int]) -> dict[str, int]:
    """The tables with rows. A freshly migrated database (only its migration rows) has nothing to lose."""
    return {name: count for name, count in tables.items() if count and name != "alembic_version"}


def _not_empty(where: str, tables: dict[str, int]) -> str:
    return (
        f"目标数据库 {where} 不是空的（{len(tables)} 张表里共有 {sum(tables.values())} 行数据）。"
        "恢复会用备份替换其中的全部数据；确认无误请加 --force 再运行，或者恢复到一个新建的空数据库。"
    )


# ---------------------------------------------------------------- PostgreSQL


async def _pg_backup(url: URL, partial: Path, say: Say) -> Manifest:
    say(f"正在备份 PostgreSQL 数据库 {_where(url)} …")
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            pg_dump = await _pg_tool(conn, "pg_dump", say)
            await conn.rollback()  # the version query began a transaction; the snapshot needs a fresh one
            await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                await conn.execute(text("SET TRANSACTION READ ONLY"))
                snapshot = (await conn.execute(text("SELECT pg_export_snapshot()"))).scalar_one()
                tables = await _pg_counts(conn)
                revisions = await _pg_revisions(conn, tables)
                # pg_dump reads the very snapshot counted above; it must start while this transaction lives.
                await _run(url, [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={partial}"])
    finally:
        await engine.dispose()
    return Manifest("postgresql", clock.now().isoformat(timespec="seconds"), revisions, tables)


async def _pg_restore(url: URL, source: Path, force: bool, say: Say) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            pg_restore = await _pg_tool(conn, "pg_restore", say)
            existing = await _pg_counts(conn)
    finally:
        await engine.dispose()
    data = _holding_data(existing)
    if data and not force:
        raise BackupError(_not_empty(_where(url), data))
    say(f"正在把 {source.name} 恢复到 PostgreSQL 数据库 {_where(url)} …")
    # One transaction: a failed restore leaves the database as it was. Objects belong to the restoring role.
    args = [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if existing:
        args += ["--clean", "--if-exists"]
    await _run(url, [*args, str(source)])


async def _pg_counts(conn: AsyncConnection) -> dict[str, int]:
    names = (
        (
            await conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
            )
        )
        .scalars()
        .all()
    )
    counts = {}
    for name in names:
        counts[name] = (await conn.execute(text(f"SELECT count(*) FROM {_quote(name)}"))).scalar_one()
    return counts


async def _pg_revisions(conn: AsyncConnection, tables: dict[str, int]) -> list[str]:
    if "alembic_version" not in tables:
        return []
    return sorted((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())


async def _pg_inventory(url: str) -> tuple[dict[str, int], list[str]]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            tables = await _pg_counts(conn)
            return tables, await _pg_revisions(conn, tables)
    finally:
        await engine.dispose()


def _where(url: URL) -> str:
    return f"{url.database}（{url.username or ''}@{url.host or 'localhost'}:{url.port or 5432}）"


# -- the client tools: same major version as the server where Debian installed one, else the one on PATH


async def _pg_tool(conn: AsyncConnection, name: str, say: Say) -> str:
    server = (await conn.execute(text("SHOW server_version"))).scalar_one()
    server_major = int(re.match(r"\d+", server).group())  # type: ignore[union-attr]
    tool = pick_tool(name, server_major)
    client = await _tool_version(tool)
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


async def _tool_version(tool: str) -> str:
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


async def _run(url: URL, args: list[str]) -> None:
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
