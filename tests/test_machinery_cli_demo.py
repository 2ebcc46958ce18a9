"""`caoyuan machinery schedule`, maintenance moving booked jobs, and the demo season."""

from __future__ import annotations

import sqlite3

from sqlalchemy import select

from coop.machinery.models import Booking
from tests.cli import caoyuan_async as _run
from tests.factories.machinery import (
    ADMIN_PHONE,
    HARDSHIP_PHONE,
    MEMBER_PHONE,
    booking_body,
    day,
    make_fleet,
    plot,
)


async def test_cli_prints_then_confirms_the_proposal(client, db, login_api, database_url) -> None:
    fleet = await make_fleet(db)
    member, poor = await login_api(client, MEMBER_PHONE), await login_api(client, HARDSHIP_PHONE)
    for headers in (member, poor):
        assert (
            await client.post("/api/machinery/bookings", headers=headers, json=booking_body(fleet, plot("10")))
        ).status_code == 201
    code, out = await _run("machinery", "schedule", "--date", str(day(1)), url=database_url)
    assert code == 0, out
    assert "2 单" in out and "困难户" in out and "--confirm" in out
    async with db.session() as s:
        assert set((await s.scalars(select(Booking.status))).all()) == {"requested"}
    code, out = await _run("machinery", "schedule", "--date", str(day(1)), "--confirm", url=database_url)
    assert code == 0 and "已确认 2 单" in out, out
    async with db.session() as s:
        assert set((await s.scalars(select(Booking.scheduled_on))).all()) == {day(1)}
    code, out = await _run("machinery", "schedule", "--date", str(day(-3)), "--confirm", url=database_url)
    assert code != 0 and "过去" in out


async def test_maintenance_moves_booked_jobs_with_a_notice(client, db, login_api) -> None:
    fleet = await make_fleet(db)
    member, admin = await login_api(client, MEMBER_PHONE), await login_api(client, ADMIN_PHONE)
    bid = (
        await client.post(
            "/api/machinery/bookings", headers=member, json=booking_body(fleet, plot("10"), day=str(day(2)))
        )
    ).json()["id"]
    upkeep = await client.post(
        f"/api/machinery/machines/{fleet.machine_ids[0]}/maintenance",
        headers=admin,
        json={"starts_on": str(day(2)), "ends_on": str(day(3)), "note": "换割台"},
    )
    assert upkeep.status_code == 201
    view = (await client.get(f"/api/machinery/bookings/{bid}", headers=member)).json()
    assert view["scheduled_on"] == str(day(4)) and "换割台" in view["notices"][-1]


async def test_demo_seeds_a_season_in_every_state(tmp_path) -> None:
    path = tmp_path / "demo.db"
    code, out = await _run("demo", "--no-serve", "--database", str(path), url=f"sqlite+aiosqlite:///{path}")
    assert code == 0, out[-2000:]
    with sqlite3.connect(path) as conn:
        states = {row[0] for row in conn.execute("SELECT DISTINCT status FROM machinery_booking")}
        machines = conn.execute("SELECT COUNT(*) FROM machinery_machine").fetchone()[0]
        operators = conn.execute("SELECT name FROM machinery_operator ORDER BY id").fetchall()
        paid = conn.execute(
            "SELECT COUNT(*) FROM machinery_booking WHERE status = 'paid' AND entry_id IS NOT NULL"
        ).fetchone()[0]
    assert states == {"requested", "waitlisted", "scheduled", "in_progress", "completed", "paid", "cancelled"}
    assert machines == 5 and operators[0][0] == "孙德胜" and paid > 5
