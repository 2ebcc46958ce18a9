"""Hot PostgreSQL statements compiled once: as text (no cache key worked out at every execution), or for
asyncpg itself (no SQLAlchemy execution at all).

SQLAlchemy looks up a Select's compiled form by a cache key it derives from the whole statement each time
it runs; for the intake's batched read (~20 columns, subqueries, a join) that is ~0.1 ms a statement. The
same SQL as text with the Select's typed columns costs ~0.01 ms and keeps the columns' result processing.
Executing through SQLAlchemy at all (its cursor adapter, the greenlet hand-over, result rows) costs another
~0.1 ms of CPU a statement; ``fetch`` hands a ``DriverStatement`` to asyncpg directly, for the statements a
batch runner repeats on the connection it holds, and plans it anew as often as the statement asks.
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection

_BIND = re.compile(r"%\((\w+)\)s(?:::(\w+(?:\[\])?))?")  # a parameter, and the type it is cast to


def _named(match: re.Match[str]) -> str:
    name, kind = match.groups()
    return f"CAST(:{name} AS {kind})" if kind else f":{name}"  # text() would read ":x::T" as an escaped colon


def as_text(select: sa.Select) -> sa.TextualSelect:
    """``select`` as text: its parameters all named and given at execution, no value bound inside."""
    compiled = select.compile(dialect=postgresql.dialect())
    if any(value is not None for value in compiled.params.values()):
        raise ValueError("a value bound inside the statement would be lost: keep it a Select")
    sql = compiled.string
    if "%%" in sql or _BIND.sub("", sql).count("%"):
        raise ValueError("a literal % in the SQL: keep this statement a Select")
    if any(c.key is None for c in select.selected_columns):
        raise ValueError("an unnamed column: label it")
    columns = [sa.column(str(c.key), c.type) for c in select.selected_columns]
    return sa.text(_BIND.sub(_named, sql)).columns(*columns)


# Who wants to see the statements ``fetch`` runs (SQLAlchemy's cursor events never do): a test counting
# statements, a tracer. Each is called with the SQL and the parameters by name, before the statement runs.
WATCHERS: list[Callable[[str, dict[str, Any]], None]] = []


# A batch statement over a table that grows by thousands of rows a minute (orders in a big show): its plan
# kept this long (see _prepared).
REPLAN_GROWING = 1.0


@dataclass(frozen=True)
class DriverStatement:
    """A statement as asyncpg takes it: ``$n`` parameters, given in the order of ``names``.

    ``replan_after``: seconds a connection keeps its plan of this statement before it prepares it anew (see
    ``fetch``); None: asyncpg's statement cache keeps it for the connection's life."""

    sql: str
    names: tuple[str, ...]
    replan_after: float | None = None


def for_driver(statement: sa.Executable, replan_after: float | None = None) -> DriverStatement:
    """``statement`` compiled once for asyncpg. Its parameters must carry no SQLAlchemy type that would
    process a value (text with CASTs: the database types them), and no value may be bound inside."""
    compiled = statement.compile(dialect=PGDialect_asyncpg())  # type: ignore[attr-defined]
    if any(value is not None for value in compiled.params.values()):
        raise ValueError("a value bound inside the statement would be lost")
    if any(bind.type._cached_bind_processor(compiled.dialect) for bind in compiled.binds.values()):  # noqa: SLF001
        raise ValueError("a parameter whose type processes its value: give it as text with a CAST")
    return DriverStatement(compiled.string, tuple(compiled.positiontup or ()), replan_after)


async def fetch(conn: AsyncConnection, statement: DriverStatement, params: dict[str, Any]) -> list[Any]:
    """The rows (asyncpg Records, read by column name) of ``statement`` on ``conn``'s own asyncpg connection,
    past SQLAlchemy's execution. For a connection in autocommit that nothing else uses meanwhile (a batch
    runner's). A connection asyncpg finds closed is invalidated, as SQLAlchemy would on a disconnect."""
    for watch in WATCHERS:
        watch(statement.sql, params)
    driver = (await conn.get_raw_connection()).driver_connection
    args = [params[name] for name in statement.names]
    try:
        if statement.replan_after is None:
            return await driver.fetch(statement.sql, *args)  # type: ignore[union-attr]
        return await (await _prepared(driver, statement)).fetch(*args)
    except BaseException:
        _HELD.get(driver, {}).pop(statement.sql, None)  # e.g. a plan a migration made stale: prepare anew
        if driver.is_closed():  # type: ignore[union-attr]
            await conn.invalidate()
        raise


# Per asyncpg connection: each replanned statement's prepared form and when it was prepared.
_HELD: weakref.WeakKeyDictionary[Any, dict[str, tuple[Any, float]]] = weakref.WeakKeyDictionary()


async def _prepared(driver: Any, statement: DriverStatement) -> Any:
    """The connection's prepared ``statement``, prepared anew once it is ``replan_after`` seconds old.

    PostgreSQL plans a prepared statement for its first five executions, then keeps one generic plan when
    that is no dearer — a plan made for the tables' sizes of that moment. An order table that grows by
    thousands of rows a minute (a big show on a new install) outgrows it: the fresh-key check then hashed
    the whole table at every batch. Planning every execution instead cost the database a third of its CPU
    in a flash sale (~0.5 ms a batch, `perf`); a plan at most a second old costs it one planning a second.
    The statement replaced is closed on the server by asyncpg at the connection's next prepare."""
    held = _HELD.setdefault(driver, {})
    now = time.monotonic()
    current = held.get(statement.sql)
    if current is None or now - current[1] >= statement.replan_after:  # type: ignore[operator]
        current = held[statement.sql] = (await driver.prepare(statement.sql), now)
    return current[0]
