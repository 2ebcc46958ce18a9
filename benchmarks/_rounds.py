"""Ratios taken within rounds: on a machine whose speed drifts, each round's ratio compares phases seconds
apart, and the median of the rounds is what is reported."""

from __future__ import annotations

import statistics


def median_ratio(rounds: list[dict], key: str) -> float | None:
    """The median of the rounds' own ``key`` ratios, leaving out those refused (a saturated load generator)."""
    values = [one[key] for one in rounds if one[key] is not None]
    return round(statistics.median(values), 3) if values else None


def rounds_words(label: str, rounds: list[dict], key: str, goal: str) -> str:
    """``label: median M of rounds a, b, c (goal)``, a refused round shown as a dash."""
    each = ", ".join("—" if one[key] is None else f"{one[key]:.2f}" for one in rounds)
    median = median_ratio(rounds, key)
    shown = "no ratio (the load generator was saturated)" if median is None else f"{median:.2f}"
    return f"{label}: median {shown} of rounds {each} ({goal})"
