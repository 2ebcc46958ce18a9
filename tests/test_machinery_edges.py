"""Every machinery route (API and pages), every role, edge values in path, query and body: never a 5xx.

PostgreSQL refuses what SQLite forgives (ids ≥ 2^31, year-1 dates in arithmetic, text longer than its
column), so each value must be bounded where it enters; a refusal is a 4xx with a Chinese message.
The routes are read from the application, so a route added later is walked too.
"""

from __future__ import annotations

import re

from tests.edge_walk import Walk, domain_routes, report, walk_as
from tests.factories.machinery import (
    ADMIN_PHONE,
    MEMBER_PHONE,
    OPERATOR_PHONES,
    booking_body,
    day,
    make_fleet,
    plot,
)

EDGES = ["0", "-1", str(2**31), str(2**63), "草原", "x" * 100_000, "0001-01-01", "9999-12-31"]
INTS = {
    "service_type_id",
    "member_id",
    "cooperative_id",
    "operator_id",
    "machine_id",
    "user_id",
    "asset_id",
    "slope_factor_bp",
    "wage_rate_fen",
    "score",
    "season",
}
DAYS = {"earliest_on", "latest_on", "day", "starts_on", "ends_on"}
MOMENTS = {"started_at", "ended_at"}
TEXTS = {
    "area",
    "slope_area",
    "measured_area",
    "reason",
    "note",
    "farmer_name",
    "farmer_phone",
    "kind",
    "model",
    "plate",
    "daily_capacity",
    "wage_basis",
    "channel",
    "cause",
    "fuel_litres",
    "comment",
    "status",
    "method",
    "out_trade_no",
    "back",
    "start",
    "end",
    "new",
    "area0",
    "village0",
    "note0",
    "slope0",
    "area1",
}
SENT_AT_LEAST = 3250  # the walk sent 3,632 requests when it moved onto tests/edge_walk.py (as many as before)
ROLES = {"anonymous": None, "member": MEMBER_PHONE, "operator": OPERATOR_PHONES[0], "admin": ADMIN_PHONE}


def _is_int(edge: str) -> bool:
    return bool(re.fullmatch(r"-?[0-9]+", edge))


def _values(edge: str, ids: dict[str, int] | None) -> dict[str, object]:
    """Every known field at ``edge`` (as its type allows); with ``ids``, the id fields name real rows instead."""
    good_day = str(day(2))
    values: dict[str, object] = {}
    for name in INTS:
        values[name] = ids[name] if ids and name in ids else (int(edge) if _is_int(edge) else edge)
    for name in DAYS:
        values[name] = edge
    for name in MOMENTS:
        values[name] = f"{edge}T23:59:59-12:00" if edge in ("0001-01-01", "9999-12-31") else edge
    for name in TEXTS:
        values[name] = edge
    if ids:  # one real window, so the handler reaches the other values
        values.update(earliest_on=good_day, latest_on=str(day(5)))
    values["plots"] = [{"village": edge, "area": edge, "slope": False, "note": edge}]
    return values


def _path(template: str, edge: str, booking_id: int | None, machine_id: int | None) -> str | None:
    path = template
    for name, real in (("booking_id", booking_id), ("machine_id", machine_id)):
        if "{" + name + ":int}" in path:
            value = str(real) if real is not None else edge
            if not _is_int(value):
                return None  # the router refuses a non-number before any handler: nothing to learn
            path = path.replace("{" + name + ":int}", value)
    if "{day:date}" in path:
        path = path.replace("{day:date}", edge if edge in ("0001-01-01", "9999-12-31") else str(day(2)))
    return path


def _routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    routes = domain_routes(app, ("/api/machinery", "/machinery"), methods=frozenset({"GET", "POST"}))
    return list(dict.fromkeys((method, path) for path, method, _ in routes))


async def _walk(walk: Walk, api: bool, ids: dict[str, int], booking_id: int, machine_id: int) -> None:
    for method, template in _routes(walk.client.app):
        if template.startswith("/api/") != api:
            continue
        for edge in EDGES:
            for real in (False, True):
                path = _path(template, edge, booking_id if real else None, machine_id if real else None)
                if path is None:
                    continue
                values = _values(edge, ids if real else None)
                scalars = {k: v for k, v in values.items() if k != "plots"}
                what = f"{edge[:12]} real={real}"
                if method == "GET":
                    # URLs stop near 64 kB (httpx, and every server): long query values are cut to 1 kB each
                    await walk.send(method, path, what, params={k: str(v)[:1000] for k, v in scalars.items()})
                elif api:
                    await walk.send(method, path, what, json=values)
                else:
                    await walk.send(method, path, what, data={k: str(v) for k, v in scalars.items()})


async def test_no_machinery_route_answers_5xx_to_edge_values(client, db, login_api) -> None:
    fleet = await make_fleet(db)
    member = await login_api(client, MEMBER_PHONE)
    made = await client.post(
        "/api/machinery/bookings", headers=member, json=booking_body(fleet, plot("5"), day=str(day(1)))
    )
    assert made.status_code == 201, made.text
    ids = {
        "service_type_id": fleet.harvest_id,
        "member_id": fleet.member_ids[0],
        "cooperative_id": fleet.cooperative_id,
        "operator_id": fleet.operator_ids[0],
        "machine_id": fleet.machine_ids[0],
        "asset_id": fleet.asset_ids[0],
    }
    walks = []
    for role, phone in ROLES.items():
        walk = await walk_as(client, role, phone)
        await _walk(walk, True, ids, made.json()["id"], fleet.machine_ids[0])
        await _walk(walk, False, ids, made.json()["id"], fleet.machine_ids[0])
        walks.append(walk)
    assert sum(w.sent for w in walks) >= SENT_AT_LEAST, [w.sent for w in walks]  # the walk really walked
    assert not any(w.failures for w in walks), report(walks)
