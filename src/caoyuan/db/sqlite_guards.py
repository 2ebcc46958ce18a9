"""SQLite enforces VARCHAR lengths the way PostgreSQL does.

SQLite stores a 10-character value in a VARCHAR(8) column without a word; PostgreSQL refuses it. So a
value that passed every SQLite test could still be a 500 in production. After every migration on SQLite,
each table with ``VARCHAR(n)`` columns gets two triggers (before insert, before update of those columns)
that abort with PostgreSQL's own message, ``value too long for type character varying(n)``. They are
generated from the migrated schema itself, so they hold for ORM and Core statements, in tests and in the
embedded demo. Alembic's autogenerate does not compare triggers, so they cause no drift.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

TRIGGER_PREFIX = "caoyuan_varchar_"
_SKIP = ("sqlite_", "alembic_version", "_alembic_tmp")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def length_limits(connection: Connection, table: str) -> list[tuple[str, int]]:
    """(column, n) for every VARCHAR(n) column of ``table`` as the database declares it."""
    columns = sa.inspect(connection).get_columns(table)
    return [
        (c["name"], c["type"].length)
        for c in columns
        if isinstance(c["type"], sa.String) and getattr(c["type"], "length", None)
    ]


def _trigger(table: str, when: str, limits: list[tuple[str, int]]) -> str:
    name = _quote(f"{TRIGGER_PREFIX}{table}_{'ins' if when == 'INSERT' else 'upd'}")
    event = "INSERT" if when == "INSERT" else "UPDATE OF " + ", ".join(_quote(c) for c, _ in limits)
    checks = "".join(
        f" SELECT RAISE(ABORT, 'value too long for type character varying({n})')"
        f" WHERE length(NEW.{_quote(column)}) > {n};"
        for column, n in limits
    )
    return f"CREATE TRIGGER {name} BEFORE {event} ON {_quote(table)} FOR EACH ROW BEGIN{checks} END"


def install(connection: Connection) -> int:
    """Replace every length trigger with ones that match the current schema; returns how many exist now."""
    old = (
        connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND substr(name, 1, ?) = ?",
            (len(TRIGGER_PREFIX), TRIGGER_PREFIX),
        )
        .scalars()
        .all()
    )
    for name in old:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {_quote(name)}")
    made = 0
    for table in sa.inspect(connection).get_table_names():
        if table.startswith(_SKIP):
            continue
        limits = length_limits(connection, table)
        if not limits:
            continue
        for when in ("INSERT", "UPDATE"):
            connection.exec_driver_sql(_trigger(table, when, limits))
            made += 1
    return made


def install_for_url(url: str) -> int:
    """Open the SQLite file behind an app URL (sync driver) and install the triggers; 0 for other databases."""
    if not url.startswith("sqlite"):
        return 0
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if path in ("", ":memory:"):
        return 0  # nothing outlives this connection
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            return install(connection)
    finally:
        engine.dispose()
