"""The machinery factory's fleet is one the dispatcher would send out (and not after its insurance ends)."""

from __future__ import annotations

from datetime import date

from coop.machinery.models import Machine
from tests.factories.machinery import day, make_fleet


async def test_fleet_setup_is_dispatchable(db) -> None:
    from coop.machinery.services.fleet import out_of_service_reason

    fleet = await make_fleet(db)
    async with db.session() as s:
        machine = await s.get(Machine, fleet.machine_ids[0])
        assert await out_of_service_reason(s, machine, day(1)) is None
        assert "2099-12-31" in (await out_of_service_reason(s, machine, date(2100, 1, 1)) or "")
