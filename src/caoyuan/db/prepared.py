"""Hot PostgreSQL statements compiled once: as text (no cache key worked out at every execution), or for
asyncpg itself (no SQLAlchemy execution at all).

SQLAlchemy looks up a Select's compiled form by a cache key it derives from the whole statement each time
it runs; for the intake's batched read (~20 columns, subqueries, a join) that is ~0.1 ms a statement. The
same SQL as text with the Select's typed columns costs ~0.01 ms and keeps the columns' result processing.
Executing through SQLAlchemy at all (its cursor adapter, the greenlet hand-over, result rows) costs another
~0.1 ms of CPU a statement; ``fetch`` hands a ``DriverStatement`` to asyncpg directly, for the statements a
batch runner repeats on the connection it holds.
"""

from __future__ import annotations

import re
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


@dataclass(frozen=True)
class DriverStatement:
    """A statement as asyncpg takes it: ``$n`` parameters, given in the order of ``names``."""

    sql: str
    names: tuple[str, ...]


def for_driver(statement: sa.Executable) -> DriverStatement:
    """``statement`` compiled once for asyncpg. Its parameters must carry no SQLAlchemy type that would
    process a value (text with CASTs: the database types them), and no value may be bound inside."""
    compiled = statement.compile(dialect=PGDialect_asyncpg())  # type: ignore[attr-defined]
    if any(value is not None for value in compiled.params.values()):
        raise ValueError("a value bound inside the statement would be lost")
    if any(bind.type._cached_bind_processor(compiled.dialect) for bind in compiled.binds.values()):  # noqa: SLF001
        raise ValueError("a parameter whose type processes its value: give it as text with a CAST")
    return DriverStatement(compiled.string, tuple(compiled.positiontup or ()))


async def fetch(conn: AsyncConnection, statement: DriverStatement, params: dict[str, Any]) -> list[Any]:
    """The rows (asyncpg Records, read by column name) of ``statement`` on ``conn``'s own asyncpg connection,
    past SQLAlchemy's execution. For a connection in autocommit that nothing else uses meanwhile (a batch
    runner's). A connection asyncpg finds closed is invalidated, as SQLAlchemy would on a disconnect."""
    for watch in WATCHERS:
        watch(statement.sql, params)
    driver = (await conn.get_raw_connection()).driver_connection
    try:
        return await driver.fetch(statement.sql, *[params[name] for name in statement.names])  # type: ignore[union-attr]
    except BaseException:
        if driver.is_closed():  # type: ignore[union-attr]
            await conn.invalidate()
        raise
