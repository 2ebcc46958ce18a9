"""A hot PostgreSQL SELECT as text, compiled once: no cache key worked out at every execution.

SQLAlchemy looks up a Select's compiled form by a cache key it derives from the whole statement each time
it runs; for the intake's batched read (~20 columns, subqueries, a join) that is ~0.1 ms a statement. The
same SQL as text with the Select's typed columns costs ~0.01 ms and keeps the columns' result processing.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

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
