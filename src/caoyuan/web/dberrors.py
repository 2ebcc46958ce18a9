"""What the database refused, as a person's error: a 409 or 422 with a Chinese message, never a 500.

Bounds at the edge (``caoyuan.bounds``) catch most bad input first; this is the net under them. The same
refusal reads differently on each driver: asyncpg carries a SQLSTATE, SQLite only a message (and the
VARCHAR-length triggers of ``caoyuan.db.sqlite_guards`` speak PostgreSQL's words). Nothing here echoes
the refused value: PostgreSQL's details quote it, and it may be a phone or an ID number.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exc as sa_exc

from caoyuan.errors import KernelCode


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    code: str
    message: str
    kind: str  # for the log: foreign_key, unique, not_null, check, too_long, out_of_range, bad_value
    sqlstate: str = ""
    constraint: str = ""


_KINDS = {
    "foreign_key": (422, KernelCode.REFERENCE_MISSING, "引用的记录不存在"),
    "unique": (409, KernelCode.DUPLICATE, "记录已存在，不能重复提交"),
    "not_null": (422, KernelCode.MISSING_VALUE, "缺少必填的内容"),
    "check": (422, KernelCode.RULE_VIOLATED, "填写的内容不符合规则"),
    "too_long": (422, KernelCode.TOO_LONG, "填写的内容太长"),
    "out_of_range": (422, KernelCode.OUT_OF_RANGE, "数值超出允许的范围"),
    "bad_value": (422, KernelCode.INVALID, "填写的内容有误"),
    "conflict": (409, KernelCode.CONFLICT, "操作冲突，请刷新后重试"),
}
_SQLSTATE = {
    "23503": "foreign_key",
    "23505": "unique",
    "23502": "not_null",
    "23514": "check",
    "22001": "too_long",
    "22003": "out_of_range",
    "22008": "out_of_range",
}
# SQLite's messages and asyncpg's client-side argument checks (no SQLSTATE); checked in this order.
_TEXT = (
    ("FOREIGN KEY constraint failed", "foreign_key"),
    ("UNIQUE constraint failed", "unique"),
    ("NOT NULL constraint failed", "not_null"),
    ("CHECK constraint failed", "check"),
    ("value too long for type character varying", "too_long"),
    ("too large to convert", "out_of_range"),
    ("out of int", "out_of_range"),
    ("integer overflow", "out_of_range"),
    ("out of range", "out_of_range"),
    ("invalid input for query argument", "bad_value"),
)


def _chain(error: BaseException | None):  # type: ignore[no-untyped-def]
    seen = 0
    while error is not None and seen < 6:
        yield error
        error = error.__cause__ or error.__context__
        seen += 1


def database_refusal(error: BaseException) -> Refusal | None:
    """The refusal, if ``error`` is the database (or its driver) refusing a value; None for anything else."""
    if isinstance(error, OverflowError) and "SQLite INTEGER" in str(error):
        return _refusal("out_of_range")
    if not isinstance(error, sa_exc.StatementError):
        return None
    orig = getattr(error, "orig", None)
    causes = list(_chain(orig))
    sqlstate = next((str(s) for c in causes if (s := getattr(c, "sqlstate", None))), "")
    constraint = next((str(n) for c in causes if (n := getattr(c, "constraint_name", None))), "")
    kind = _SQLSTATE.get(sqlstate)
    if kind is None:
        text = " ".join(str(c) for c in causes)
        kind = next((k for needle, k in _TEXT if needle in text), None)
    if kind is None and sqlstate[:2] in ("22", "23"):  # another data exception / integrity violation
        kind = "bad_value" if sqlstate.startswith("22") else "conflict"
    if kind is None and isinstance(orig, OverflowError):
        kind = "out_of_range"
    # Anything else ("database is locked", a lost connection) is the server's trouble: it stays a 500.
    return _refusal(kind, sqlstate, constraint) if kind else None


def _refusal(kind: str, sqlstate: str = "", constraint: str = "") -> Refusal:
    status, code, message = _KINDS[kind]
    return Refusal(status, code, message, kind, sqlstate, constraint)
