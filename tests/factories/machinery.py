"""A cooperative with an insured fleet, operators and season prices, for the machinery tests.

Service types, machines and operators go through the machinery services (setup, fleet) as the set-up pages
do; the season prices are written as they stand (market price only, members' prices left to the policy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from caoyuan import clock
from caoyuan.auth.service import create_user
from caoyuan.db import Database
from coop.machinery.models import Booking, PricingPolicy, SeasonPrice
from coop.machinery.services import fleet as fleet_service
from coop.machinery.services import setup
from coop.models import FixedAsset, MemberVolume, Posting
from tests.conftest import PASSWORD
from tests.factories.coop import make_cooperative

ADMIN_PHONE = "13800000001"
MEMBER_PHONE = "13800000002"  # member no. 1 (not hardship)
HARDSHIP_PHONE = "13800000003"  # member no. 2 (困难户)
OTHER_MEMBER_PHONE = "13800000004"  # member no. 3
OPERATOR_PHONES = ("13800000011", "13800000012")


@dataclass
class Fleet:
    cooperative_id: int
    member_ids: list[int]
    machine_ids: list[int]
    operator_ids: list[int]
    harvest_id: int  # 玉米收割 (corn harvest)
    plough_id: int  # 深翻
    asset_ids: list[int] = field(default_factory=list)


def day(n: int) -> date:
    return clock.today() + timedelta(days=n)


async def make_fleet(
    db: Database,
    *,
    machines: int = 1,
    operators: int = 1,
    machine_mu: int = 6000,
    operator_mu: int = 5000,
    insured_until: date | None = date(2099, 12, 31),
    market_fen: int = 8000,
    wage_basis: str = "mu",
    hardship_mode: str = "reduce",
    policy: dict | None = None,
) -> Fleet:
    async with db.session() as s:
        admin = await create_user(s, phone=ADMIN_PHONE, password=PASSWORD, role="admin", display_name="王会计")
        farmer = await create_user(s, phone=MEMBER_PHONE, password=PASSWORD, role="member", display_name="社员1")
        poor = await create_user(s, phone=HARDSHIP_PHONE, password=PASSWORD, role="member", display_name="社员2")
        other = await create_user(s, phone=OTHER_MEMBER_PHONE, password=PASSWORD, role="member", display_name="社员3")
        coop, members = await make_cooperative(s, members=3, user_ids={1: farmer.id, 2: poor.id, 3: other.id})  # type: ignore[dict-item]
        members[1].hardship = True
        s.add(PricingPolicy(cooperative_id=coop.id, hardship_mode=hardship_mode, **(policy or {})))  # type: ignore[arg-type]
        harvest = await setup.add_service(s, coop.id, name="玉米收割", machine_kind="玉米收割机", is_corn_harvest=True)
        plough = await setup.add_service(s, coop.id, name="深翻", machine_kind="拖拉机")
        for year in {clock.today().year, (clock.today() + timedelta(120)).year}:
            s.add(SeasonPrice(service_type_id=harvest.id, season=year, market_fen=market_fen))  # type: ignore[arg-type]
            s.add(SeasonPrice(service_type_id=plough.id, season=year, market_fen=6000))  # type: ignore[arg-type]
        assets, machine_rows = [], []
        for n in range(machines):
            asset = FixedAsset(
                cooperative_id=coop.id,
                name=f"玉米收割机{n + 1}",
                category="machine",  # type: ignore[arg-type]
                cost_fen=14_400_000,
                funding_source="special_fund",
                purchased_on=date(2023, 5, 1),
                insurance_policy=f"PICC-{n}" if insured_until else "",
                insurance_expires_on=insured_until,
            )
            s.add(asset)
            await s.flush()
            assets.append(asset.id)
            machine_rows.append(
                await fleet_service.add_machine(
                    s,
                    coop.id,
                    kind="玉米收割机",
                    model="4YZ-4",
                    plate=f"蒙D-{n:05d}",
                    daily_capacity=machine_mu,
                    asset_id=asset.id,
                )
            )
        operator_rows = []
        for n in range(operators):
            account = await create_user(
                s, phone=OPERATOR_PHONES[n], password=PASSWORD, role="operator", display_name=f"农机手{n + 1}"
            )
            operator_rows.append(
                await fleet_service.add_operator(
                    s,
                    coop.id,
                    user_id=account.id,  # type: ignore[arg-type]
                    daily_capacity=operator_mu,
                    wage_basis=wage_basis,
                    wage_rate_fen=800 if wage_basis == "mu" else 20000,
                    machine_id=machine_rows[n % len(machine_rows)].id if machine_rows else None,
                )
            )
        del admin
        return Fleet(
            coop.id,
            [m.id for m in members],
            [m.id for m in machine_rows],  # type: ignore[misc]
            [o.id for o in operator_rows],
            harvest.id,
            plough.id,
            assets,
        )  # type: ignore[arg-type]


def plot(area: str, slope: bool = False, village: str = "八道岭村") -> dict:
    return {"village": village, "area": area, "slope": slope, "note": "东坡"}


def booking_body(fleet: Fleet, *plots: dict, earliest: int = 1, latest: int = 10, **extra: object) -> dict:
    return {
        "service_type_id": fleet.harvest_id,
        "plots": list(plots) or [plot("10")],
        "earliest_on": str(day(earliest)),
        "latest_on": str(day(latest)),
        **extra,
    }


async def completed_job(client, db: Database, login_api) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """A member's 10-mu harvest, booked, scheduled and done through the API: (booking id, bill in fen, member id)."""
    fleet = await make_fleet(db)
    member, admin = await login_api(client, MEMBER_PHONE), await login_api(client, ADMIN_PHONE)
    operator = await login_api(client, OPERATOR_PHONES[0])
    booked = await client.post("/api/machinery/bookings", json=booking_body(fleet, plot("10")), headers=member)
    bid = booked.json()["id"]
    await client.post(
        f"/api/machinery/bookings/{bid}/schedule",
        headers=admin,
        json={"day": str(day(2)), "operator_id": fleet.operator_ids[0], "machine_id": fleet.machine_ids[0]},
    )
    await client.post(f"/api/machinery/bookings/{bid}/start", headers=operator)
    done = await client.post(f"/api/machinery/bookings/{bid}/complete", headers=operator, json={"measured_area": "10"})
    assert done.json()["status"] == "completed", done.text
    return bid, done.json()["amount_fen"], fleet.member_ids[0]


async def books(db: Database, bid: int, member_id: int) -> tuple:
    """(status, payment channel, entry id, the member's volume in fen, postings of the payment) for a booking."""
    async with db.session() as s:
        booking = await s.get(Booking, bid)
        volume = await s.scalar(
            select(func.coalesce(func.sum(MemberVolume.amount_fen), 0)).where(MemberVolume.member_id == member_id)
        )
        postings = await s.scalar(
            select(func.count()).select_from(Posting).where(Posting.reference == f"machinery-booking:{bid}:paid")
        )
        return booking.status, booking.payment_channel, booking.entry_id, volume, postings
