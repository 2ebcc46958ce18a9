"""Engine and session factory. SQLite gets WAL, foreign keys and real transactions; PostgreSQL a small pool.

pysqlite's own transaction handling sends no BEGIN before a SAVEPOINT (so a savepoint's work survived the
rollback of its request) and begins lazily, so two read-then-write transactions collide with "database is
locked" instead of waiting. SQLAlchemy's documented remedy for pysqlite/aiosqlite: take transaction control
away from the driver (``isolation_level = None`` on connect) and emit BEGIN ourselves in the ``begin`` event.
Transactions that may write begin IMMEDIATE (they take the write lock at once, so a second writer waits
under the busy timeout instead of failing); read-only work asks for DEFERRED through ``Database.reader``.
"""

from __future__ import annotations

import os
import uuid
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from caoyuan.db.after_commit import PENDING_KEY, run_committed

SQLITE_BEGIN = "sqlite_begin"  # execution option: "IMMEDIATE" (default) or "DEFERRED"
BUSY_TIMEOUT_S = 30
RECYCLE_S = 300  # PostgreSQL: reopen a pooled connection after 5 minutes
_THROUGH_PGBOUNCER: weakref.WeakSet = weakref.WeakSet()  # sync engines made with the PgBouncer settings


@dataclass
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]  # may write: IMMEDIATE on SQLite
    reader: async_sessionmaker[AsyncSession] | None = None  # read-only work: DEFERRED on SQLite

    def __post_init__(self) -> None:
        if self.reader is None:
            deferred = self.engine.execution_options(**{SQLITE_BEGIN: "DEFERRED"})
            self.reader = async_sessionmaker(deferred, expire_on_commit=False)

    @property
    def reader_engine(self) -> AsyncEngine:
        """The engine behind ``reader``: for a read-only statement on a connection of its own."""
        return self.reader.kw.get("bind", self.engine)  # type: ignore[union-attr]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits on success (then its after-commit work runs) and rolls back on any error."""
        async with self.sessionmaker() as session:
            try:
                yield session
                if _has_work(session):
                    await session.commit()
            except BaseException:
                await session.rollback()
                raise
            await run_committed(session)

    async def dispose(self) -> None:
        await self.engine.dispose()


def create_database(url: str, pool_size: int = 10, echo: bool = False, pgbouncer: bool | None = None) -> Database:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": BUSY_TIMEOUT_S})
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    else:
        # No pool_pre_ping: its ping was a round trip on every checkout (13 % of an order's profile). A
        # connection the server dropped fails its next statement instead; SQLAlchemy sees a disconnect,
        # invalidates that connection and every one pooled before it, so the next checkout gets a fresh one
        # (its "optimistic" disconnect handling). pool_recycle bounds how stale an idle connection can get.
        pooled = through_pgbouncer(url, pgbouncer)
        engine = create_async_engine(
            url,
            echo=echo,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_recycle=RECYCLE_S,
            connect_args={**(pgbouncer_connect_args() if pooled else {}), **plain_loopback_args(url)},
        )
        if pooled:
            _THROUGH_PGBOUNCER.add(engine.sync_engine)
    return Database(engine, async_sessionmaker(engine, expire_on_commit=False))


def through_pgbouncer(url: str, flag: bool | None = None) -> bool:
    """Told so (argument, else CAOYUAN_DATABASE_PGBOUNCER), or PgBouncer's usual port 6432 in the URL."""
    if flag is None:
        raw = os.environ.get("CAOYUAN_DATABASE_PGBOUNCER", "").strip().lower()
        if raw and raw != "auto":
            return raw in ("1", "true", "yes", "on")
        from sqlalchemy.engine import make_url

        return make_url(url).port == 6432
    return flag


def autocommit_safe(bind: object) -> bool:
    """False behind PgBouncer (transaction mode): outside a transaction, SQLAlchemy's prepare and the
    execute that follows it may reach different server connections ("prepared statement … does not
    exist"), so work that would run in AUTOCOMMIT runs in a short transaction instead."""
    return getattr(bind, "sync_engine", bind) not in _THROUGH_PGBOUNCER


def plain_loopback_args(url: str) -> dict[str, object]:
    """``ssl=False`` for a server on this machine when neither the URL nor PGSSLMODE asks for SSL.

    asyncpg's default ("prefer") opens every new connection with an SSL request and, on a server without
    SSL, a second round trip; on loopback that buys nothing. A URL with ``ssl``/``sslmode`` is left alone."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    asks_for_ssl = any(k in parsed.query for k in ("ssl", "sslmode")) or os.environ.get("PGSSLMODE")
    loopback = parsed.host in (None, "", "localhost", "::1") or (parsed.host or "").startswith("127.")
    return {"ssl": False} if loopback and not asks_for_ssl else {}


def pgbouncer_connect_args() -> dict[str, object]:
    """asyncpg through PgBouncer in transaction mode, where consecutive transactions of one client
    connection may run on different server connections: a statement prepared on one is unknown on the
    next, and two clients' auto-numbered statements collide on one. So asyncpg caches none
    (``statement_cache_size``), SQLAlchemy's dialect caches none (``prepared_statement_cache_size``), and
    the statements SQLAlchemy still prepares get names unique across processes."""
    return {
        "statement_cache_size": 0,
        "prepared_statement_cache_size": 0,
        "prepared_statement_name_func": lambda: f"__caoyuan_{uuid.uuid4().hex}__",
    }


def _sqlite_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.isolation_level = None  # the driver stops issuing BEGIN/COMMIT on its own
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cursor.close()


def _sqlite_begin(connection) -> None:  # type: ignore[no-untyped-def]
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
    connection.exec_driver_sql("BEGIN DEFERRED" if mode == "DEFERRED" else "BEGIN IMMEDIATE")


def _has_work(session: AsyncSession) -> bool:
    """False for a session that never began and holds nothing (e.g. a batched order's): no commit to make."""
    pending = session.new or session.dirty or session.deleted or session.sync_session.info.get(PENDING_KEY)
    return session.in_transaction() or bool(pending)
