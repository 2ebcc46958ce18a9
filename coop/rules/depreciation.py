"""Straight-line depreciation by month, exact to the fen over the asset's whole life."""

from __future__ import annotations

from datetime import date, timedelta


def months_in_service(purchased_on: date, through: date) -> int:
    """Whole months of depreciation up to a day: it starts the month after purchase (as the accounting
    rules have it) and a month counts once it has ended."""
    months = (through.year - purchased_on.year) * 12 + through.month - purchased_on.month
    if (through + timedelta(days=1)).month == through.month:  # the month is not over yet
        months -= 1
    return max(0, months)


def accumulated(cost_fen: int, salvage_fen: int, life_months: int, months: int) -> int:
    """Cumulative depreciation after ``months``; never beyond cost − salvage, exact at the end of life."""
    if life_months <= 0 or cost_fen <= salvage_fen:
        return 0
    months = min(max(months, 0), life_months)
    return (cost_fen - salvage_fen) * months // life_months


def for_month(cost_fen: int, salvage_fen: int, life_months: int, month_no: int) -> int:
    """The charge for the ``month_no``-th month of service (1-based)."""
    return accumulated(cost_fen, salvage_fen, life_months, month_no) - accumulated(
        cost_fen, salvage_fen, life_months, month_no - 1
    )
