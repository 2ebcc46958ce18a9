"""How a member's capital counts in a year's distribution: the charter's ``capital_basis``.

The law leaves it to the charter (农民专业合作社法 art. 44 divides the remainder "in proportion to each
member's capital"; 农村集体经济组织法 leaves the share-out rules to the organisation's charter and assembly),
so a member who withdraws mid-year without redeeming is counted as the charter says:

* ``record_date`` — 股权登记日: the holding on 31 December counts for the whole year, and only if the
  household is still a member that day (a household that withdrew or died before then counts nothing; a
  deceased member's shares have passed to the heir, who is counted).
* ``days_held`` — pro-rated: each fen (or share) counts for the days of the year it was held while the
  household was a member. Weights are then in fen·days, and reserve/subsidy shares (which are not
  pro-rated) are scaled by the days of the year so the units agree; splits stay exact to the fen.

Pure functions, no I/O.
"""

from __future__ import annotations

from datetime import date, timedelta

BASES = {
    "record_date": "按股权登记日（12 月 31 日）在册持有的出资计算",
    "days_held": "按本年实际持有天数折算出资",
}
MEMBER_STATUSES = frozenset({"admitted", "suspended"})  # still a member (suspension does not end membership)


def year_days(year: int) -> int:
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


def scale(basis: str, year: int) -> int:
    """What reserve and subsidy shares are multiplied by to match the capital's units."""
    return year_days(year) if basis == "days_held" else 1


def membership(year: int, changes: list[tuple[date, str]]) -> list[tuple[date, date]]:
    """Half-open day ranges [start, end) within the year during which the household was a member.
    ``changes``: its status history (effective day, status), oldest first."""
    start_of_year, end_of_year = date(year, 1, 1), date(year + 1, 1, 1)
    periods: list[tuple[date, date]] = []
    member_since: date | None = None
    for day, status in sorted(changes, key=lambda c: c[0]):
        is_member = status in MEMBER_STATUSES
        if is_member and member_since is None:
            member_since = day
        elif not is_member and member_since is not None:
            periods.append((member_since, day))
            member_since = None
    if member_since is not None:
        periods.append((member_since, end_of_year))
    clipped = [(max(a, start_of_year), min(b, end_of_year)) for a, b in periods]
    return [(a, b) for a, b in clipped if a < b]


def counted(basis: str, year: int, holdings: list[tuple[date, int]], periods: list[tuple[date, date]]) -> int:
    """The member's capital as it counts this year (fen, or fen·days for ``days_held``); never negative.
    ``holdings``: every change of the holding up to 31 December (effective day, signed amount)."""
    if basis == "record_date":
        last_day = date(year, 12, 31)
        on_register = any(a <= last_day < b for a, b in periods)
        return max(0, sum(amount for _, amount in holdings)) if on_register else 0
    if basis != "days_held":
        raise ValueError(f"unknown capital basis {basis!r}")
    end_of_year = date(year + 1, 1, 1)
    total = 0
    for day, amount in holdings:
        held_from = max(day, date(year, 1, 1))
        if held_from >= end_of_year:
            continue
        days = sum(max(0, (min(b, end_of_year) - max(a, held_from)).days) for a, b in periods)
        total += amount * days
    return max(0, total)


def counted_days(periods: list[tuple[date, date]]) -> int:
    """Days of the year the household was a member (for the explanation)."""
    return sum((b - a).days for a, b in periods)


def last_member_day(periods: list[tuple[date, date]]) -> date | None:
    return periods[-1][1] - timedelta(days=1) if periods else None
