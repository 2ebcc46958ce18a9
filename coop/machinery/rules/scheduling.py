"""The automatic proposal: fill each day's free operator and machine capacity from the queue,
in the charter's order — slope land first at the start of harvest, then hardship households,
then the time of the request. Pure: the caller supplies free capacity and confirms in the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from coop.machinery.rules.capacity import weighted_load

Free = dict[tuple[str, int, date], int]  # ("operator" | "machine", id, day) → free hundredths of a mu


@dataclass(frozen=True, slots=True)
class Request:
    id: int
    created_at: datetime
    flat: int
    slope: int
    hardship: bool
    earliest: date
    latest: date
    machine_kind: str


@dataclass(frozen=True, slots=True)
class Crew:
    """An operator on a machine (the dispatcher's usual pairing)."""

    operator_id: int
    machine_id: int
    slope_factor_bp: int
    machine_kind: str


@dataclass(frozen=True, slots=True)
class Slot:
    request_id: int
    day: date
    operator_id: int
    machine_id: int
    load: int


def priority(request: Request, day: date, slope_first_until: date | None) -> tuple:
    slope_first = slope_first_until is not None and day <= slope_first_until and request.slope > 0
    return (not slope_first, not request.hardship, request.created_at, request.id)


def place(request: Request, day: date, crews: Sequence[Crew], free: Free) -> Slot | None:
    """The first crew with room for the request on that day, or None."""
    if not request.earliest <= day <= request.latest:
        return None
    for crew in crews:
        if crew.machine_kind != request.machine_kind:
            continue
        load = weighted_load(request.flat, request.slope, crew.slope_factor_bp)
        if load <= free.get(("operator", crew.operator_id, day), 0) and load <= free.get(
            ("machine", crew.machine_id, day), 0
        ):
            return Slot(request.id, day, crew.operator_id, crew.machine_id, load)
    return None


def take(free: Free, slot: Slot) -> None:
    free[("operator", slot.operator_id, slot.day)] -= slot.load
    free[("machine", slot.machine_id, slot.day)] -= slot.load


def propose(
    days: Iterable[date],
    requests: Sequence[Request],
    crews: Sequence[Crew],
    free: Free,
    slope_first_until: date | None = None,
) -> tuple[list[Slot], list[int]]:
    """Slots for as many requests as fit, day by day; and the ids that found no room in their window.

    ``free`` is not changed.
    """
    left = dict(free)
    waiting = {r.id: r for r in requests}
    slots: list[Slot] = []
    for day in sorted(days):
        queue = sorted(
            (r for r in waiting.values() if r.earliest <= day <= r.latest),
            key=lambda r: priority(r, day, slope_first_until),
        )
        for request in queue:
            slot = place(request, day, crews, left)
            if slot is not None:
                take(left, slot)
                slots.append(slot)
                del waiting[request.id]
    return slots, sorted(waiting)


def earliest_days(
    request: Request, candidate_days: Iterable[date], crews: Sequence[Crew], free: Free, count: int = 3
) -> list[date]:
    """The first days on which the request would fit as things stand (for a quote)."""
    found = []
    for day in sorted(candidate_days):
        if place(request, day, crews, free) is not None:
            found.append(day)
            if len(found) == count:
                break
    return found
