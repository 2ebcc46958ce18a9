"""Bounds every value gets where it enters: ids, counts, text and days.

PostgreSQL refuses what SQLite forgives (an id ≥ 2^63, a year-0001 date in arithmetic, a string longer than
its column), and a refusal that reaches the database is a 500. So each path, query and body value is typed
with these bounds at the edge, and a person gets a 400/422 with a Chinese message instead.

* Path and query ids: ``item_id: IdParam`` (Litestar ``Parameter``).
* Struct fields: ``Id``, ``Count``, ``Fen``, ``Year`` (msgspec ``Meta``); text as
  ``Annotated[str, Meta(max_length=N)]`` with N its column's length.
* Days: ``check_day(value, field)`` — msgspec cannot bound a ``date`` by ``Meta``, so structs call it from
  ``__post_init__`` (a ``ValueError`` there becomes a validation error) and handlers call it on query days.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar.params import Parameter
from msgspec import Meta

from caoyuan.errors import BadInput, KernelCode

ID_MAX = 2**31 - 1  # PostgreSQL INTEGER; every id column is one
COUNT_MAX = 1_000_000_000
FEN_MAX = 10**15  # ¥10 万亿: far above any real amount, far below BIGINT
DAY_MIN = date(2000, 1, 1)
DAY_MAX = date(2100, 12, 31)
YEAR_MIN, YEAR_MAX = DAY_MIN.year, DAY_MAX.year

Id = Annotated[int, Meta(ge=1, le=ID_MAX)]
Count = Annotated[int, Meta(ge=0, le=COUNT_MAX)]
Fen = Annotated[int, Meta(ge=0, le=FEN_MAX)]
Year = Annotated[int, Meta(ge=YEAR_MIN, le=YEAR_MAX)]

IdParam = Annotated[int, Parameter(ge=1, le=ID_MAX)]
OptionalIdParam = Annotated[int | None, Parameter(ge=1, le=ID_MAX)]
YearParam = Annotated[int, Parameter(ge=YEAR_MIN, le=YEAR_MAX)]
OptionalYearParam = Annotated[int | None, Parameter(ge=YEAR_MIN, le=YEAR_MAX)]
SeqParam = Annotated[int, Parameter(ge=0, le=2**62)]


def day_in_range(value: date) -> bool:
    return DAY_MIN <= value <= DAY_MAX


def check_day(value: date | None, field: str, label: str = "日期") -> date | None:
    """Refuse a day outside 2000-01-01 … 2100-12-31 with a message at the field; None passes through."""
    if value is not None and not day_in_range(value):
        raise BadInput(
            f"{label}须在 {DAY_MIN.isoformat()} 至 {DAY_MAX.isoformat()} 之间",
            field=field,
            code=KernelCode.DATE_OUT_OF_RANGE,
        )
    return value


def require_day_in_range(value: date | None, what: str = "日期") -> None:
    """For msgspec ``__post_init__``: a ValueError there becomes a 400 naming the struct's field."""
    if value is not None and not day_in_range(value):
        raise ValueError(f"{what}须在 {DAY_MIN.isoformat()} 至 {DAY_MAX.isoformat()} 之间")
