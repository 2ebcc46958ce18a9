"""Capacity is counted in flat-land mu: a slope mu weighs the machine's slope factor."""

from __future__ import annotations

from datetime import date, timedelta

BP = 10_000


def weighted_load(flat: int, slope: int, slope_factor_bp: int) -> int:
    """Hundredths of a flat mu that a job takes from an operator-day and a machine-day (slope rounded up)."""
    if flat < 0 or slope < 0 or slope_factor_bp < BP:
        raise ValueError("areas must not be negative and a slope factor is at least 1")
    return flat + -(-slope * slope_factor_bp // BP)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1)]


def over_tolerance(measured: int, requested: int, tolerance_bp: int) -> bool:
    """A measured area this far above the plots needs the farmer's confirmation."""
    return measured * BP > requested * (BP + tolerance_bp)
