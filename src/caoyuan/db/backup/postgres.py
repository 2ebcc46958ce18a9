"""PostgreSQL: ``pg_dump -Fc`` and ``pg_restore``, counted in the very snapshot that is dumped."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from caoyuan import clock
from caoyuan.db.backup.manifest import BackupError, Manifest, Say, holding_data, not_empty, quote_name
from caoyuan.db.backup.pg_tools import pg_tool, run_tool

T = TypeVar("T")


def run_pg(work: Coroutine[Any, Any, T]) -> T:
    """Run PostgreSQL work to its end; a database that cannot be reached is told in words."""
    try:
        return asyncio.run(work)
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        raise BackupError(f"数据库出错或无法连接（CAOYUAN_DATABASE_URL）：{cause}") from None


async def pg_backup(url: URL, partial: Path, say: Say) -> Manifest:
    say(f"正在备份 PostgreSQL 数据库 {where(url)} …")
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            pg_dump = await pg_tool(conn, "pg_dump", say)
            await conn.rollback()  # the version query began a transaction; the snapshot needs a fresh one
            await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                await conn.execute(text("SET TRANSACTION READ ONLY"))
                snapshot = (await conn.execute(text("SELECT pg_export_snapshot()"))).scalar_one()
                tables = await pg_counts(conn)
                revisions = await pg_revisions(conn, tables)
                # pg_dump reads the very snapshot counted above; it must start while this transaction lives.
                await run_tool(url, [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={partial}"])
    finally:
        await engine.dispose()
    return Manifest("postgresql", clock.now().isoformat(timespec="seconds"), revisions, tables)


async def pg_restore(url: URL, source: Path, force: bool, say: Say) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            pg_restore = await pg_tool(conn, "pg_restore", say)
            existing = await pg_counts(conn)
    finally:
        await engine.dispose()
    data = holding_data(existing)
    if data and not force:
        raise BackupError(not_empty(where(url), data))
    say(f"正在把 {source.name} 恢复到 PostgreSQL 数据库 {where(url)} …")
    # One transaction: a failed restore leaves the database as it was. Objects belong to the restoring role.
    args = [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if existing:
        args += ["--clean", "--if-exists"]
    await run_tool(url, [*args, str(source)])


async def pg_counts(conn: AsyncConnection) -> dict[str, int]:
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
        counts[name] = (await conn.execute(text(f"SELECT count(*) FROM {quote_name(name)}"))).scalar_one()
    return counts


async def pg_revisions(conn: AsyncConnection, tables: dict[str, int]) -> list[str]:
    if "alembic_version" not in tables:
        return []
    return sorted((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())


async def pg_inventory(url: str) -> tuple[dict[str, int], list[str]]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            tables = await pg_counts(conn)
            return tables, await pg_revisions(conn, tables)
    finally:
        await engine.dispose()


def where(url: URL) -> str:
    return f"{url.database}（{url.username or ''}@{url.host or 'localhost'}:{url.port or 5432}）"
