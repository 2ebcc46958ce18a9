"""Operator-day and machine-day capacity, kept by the database.

A claim is one guarded UPDATE (``booked + load <= capacity``) on each day row — never a read
then a write in Python — and the rows carry a CHECK constraint besides, so a day cannot be
over-booked however many requests arrive at once. Rows are made on first use with
INSERT … ON CONFLICT DO NOTHING so concurrent first claims meet on the same row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import Conflict
from coop.machinery.errors import MachineryCode
from coop.machinery.models import ClosedDay, Machine, MachineDay, Maintenance, Operator, OperatorDay
from coop.machinery.rules.scheduling import Crew, Free
from coop.machinery.services import full_days
from coop.machinery.services.fleet import insured_until, out_of_service_reason


async def _ensure_row(
    db: AsyncSession, table: type[OperatorDay] | type[MachineDay], key: str, owner_id: int, day: date, capacity: int
) -> None:
    insert = pg_insert if db.bind.dialect.name == "postgresql" else sqlite_insert
    values = {key: owner_id, "day": day, "capacity": capacity, "booked": 0}
    await db.execute(insert(table).values(**values).on_conflict_do_nothing(index_elements=[key, "day"]))


async def _guarded_add(
    db: AsyncSession, table: type[OperatorDay] | type[MachineDay], key: str, owner_id: int, day: date, load: int
) -> bool:
    column = getattr(table, key)
    result = await db.execute(
        update(table)
        .where(column == owner_id, table.day == day, table.booked + load <= table.capacity)
        .values(booked=table.booked + load)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def _release(
    db: AsyncSession, table: type[OperatorDay] | type[MachineDay], key: str, owner_id: int, day: date, load: int
) -> None:
    column = getattr(table, key)
    full_days.freed(db)  # room grows: no day may be refused from this process's note of full days
    await db.execute(
        update(table)
        .where(column == owner_id, table.day == day)
        .values(booked=table.booked - load)
        .execution_options(synchronize_session=False)
    )


async def room_on(
    db: AsyncSession, day: date, operator_ids: set[int], machine_ids: set[int]
) -> dict[tuple[str, int], int]:
    """Free room on existing day rows, as last committed (a hint to refuse early; the claim decides)."""
    room: dict[tuple[str, int], int] = {}
    rows = (
        await db.execute(
            select(OperatorDay.operator_id, OperatorDay.capacity - OperatorDay.booked).where(
                OperatorDay.day == day, OperatorDay.operator_id.in_(operator_ids)
            )
        )
    ).all()
    room.update({("operator", owner): free for owner, free in rows})
    rows = (
        await db.execute(
            select(MachineDay.machine_id, MachineDay.capacity - MachineDay.booked).where(
                MachineDay.day == day, MachineDay.machine_id.in_(machine_ids)
            )
        )
    ).all()
    room.update({("machine", owner): free for owner, free in rows})
    return room


async def machine_capacity_on(db: AsyncSession, machine: Machine, day: date) -> int:
    """0 on a day the machine may not go out (maintenance, rain, uninsured, retired)."""
    return 0 if await out_of_service_reason(db, machine, day) else machine.daily_capacity


async def try_claim(db: AsyncSession, operator: Operator, machine: Machine, day: date, load: int) -> bool:
    """Hold ``load`` on the operator-day and the machine-day, or change nothing and return False.

    The guarded UPDATE comes first (the usual case: the rows exist); a row is made only when missing.
    """
    if not await _claim_row(
        db,
        OperatorDay,
        "operator_id",
        operator.id,
        day,
        load,  # type: ignore[arg-type]
        lambda: _operator_capacity(operator),
    ):
        return False
    if not await _claim_row(
        db,
        MachineDay,
        "machine_id",
        machine.id,
        day,
        load,  # type: ignore[arg-type]
        lambda: machine_capacity_on(db, machine, day),
    ):
        await _release(db, OperatorDay, "operator_id", operator.id, day, load)  # type: ignore[arg-type]
        return False
    return True


async def _operator_capacity(operator: Operator) -> int:
    return operator.daily_capacity if operator.active else 0


async def _claim_row(
    db: AsyncSession,
    table,
    key: str,
    owner_id: int,
    day: date,
    load: int,  # type: ignore[no-untyped-def]
    capacity,
) -> bool:  # type: ignore[no-untyped-def]
    if await _guarded_add(db, table, key, owner_id, day, load):
        return True
    column = getattr(table, key)
    if await db.scalar(select(table.id).where(column == owner_id, table.day == day)) is not None:
        return False  # the row is there and full
    await _ensure_row(db, table, key, owner_id, day, await capacity())
    return await _guarded_add(db, table, key, owner_id, day, load)


async def claim(db: AsyncSession, operator: Operator, machine: Machine, day: date, load: int) -> None:
    if not await try_claim(db, operator, machine, day, load):
        raise Conflict(
            f"{day} {operator.name} / {machine.plate} 当天已约满，请换一天或换一台农机",
            code=MachineryCode.DAY_FULL,
            field="day",
        )


async def release(db: AsyncSession, operator_id: int, machine_id: int, day: date, load: int) -> None:
    await _release(db, OperatorDay, "operator_id", operator_id, day, load)
    await _release(db, MachineDay, "machine_id", machine_id, day, load)


async def close_rows(
    db: AsyncSession, day: date, *, machine_ids: Sequence[int] = (), operator_ids: Sequence[int] = ()
) -> None:
    """Nothing more can be booked on these rows (rain, breakdown); what is booked must be moved first."""
    if machine_ids:
        await db.execute(
            update(MachineDay)
            .where(MachineDay.day == day, MachineDay.machine_id.in_(machine_ids))
            .values(capacity=MachineDay.booked)
            .execution_options(synchronize_session=False)
        )
    if operator_ids:
        await db.execute(
            update(OperatorDay)
            .where(OperatorDay.day == day, OperatorDay.operator_id.in_(operator_ids))
            .values(capacity=OperatorDay.booked)
            .execution_options(synchronize_session=False)
        )


async def crews(db: AsyncSession, cooperative_id: int, machine_kind: str | None = None) -> list[Crew]:
    """Each active operator on their usual machine (any machine of the kind when they have none)."""
    machines = (
        await db.scalars(
            select(Machine).where(Machine.cooperative_id == cooperative_id, Machine.active).order_by(Machine.id)
        )
    ).all()
    operators = (
        await db.scalars(
            select(Operator).where(Operator.cooperative_id == cooperative_id, Operator.active).order_by(Operator.id)
        )
    ).all()
    found: list[Crew] = []
    for op in operators:
        mine = [m for m in machines if m.id == op.machine_id] or list(machines)
        found.extend(
            Crew(op.id, m.id, m.slope_factor_bp, m.kind)
            for m in mine  # type: ignore[arg-type]
            if machine_kind is None or m.kind == machine_kind
        )
    return found


async def free_capacity(db: AsyncSession, cooperative_id: int, first: date, last: date) -> Free:
    """Free hundredths of a mu per operator-day and machine-day over a range, as things stand."""
    machines = (await db.scalars(select(Machine).where(Machine.cooperative_id == cooperative_id))).all()
    operators = (await db.scalars(select(Operator).where(Operator.cooperative_id == cooperative_id))).all()
    closed = set(
        (
            await db.scalars(
                select(ClosedDay.day).where(
                    ClosedDay.cooperative_id == cooperative_id, ClosedDay.day.between(first, last)
                )
            )
        ).all()
    )
    upkeep = (
        await db.execute(
            select(Maintenance.machine_id, Maintenance.starts_on, Maintenance.ends_on).where(
                Maintenance.machine_id.in_([m.id for m in machines]),
                and_(Maintenance.starts_on <= last, Maintenance.ends_on >= first),
            )
        )
    ).all()
    insured = {m.id: await insured_until(db, m) for m in machines}
    free: Free = {}
    span = [first.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]
    for day in span:
        for op in operators:
            free[("operator", op.id, day)] = op.daily_capacity if op.active and day not in closed else 0  # type: ignore[index]
        for m in machines:
            down = day in closed or not m.active or any(mid == m.id and s <= day <= e for mid, s, e in upkeep)
            ok = insured[m.id] is not None and insured[m.id] >= day  # type: ignore[operator]
            free[("machine", m.id, day)] = m.daily_capacity if ok and not down else 0  # type: ignore[index]
    for row in (
        await db.scalars(
            select(OperatorDay).where(
                OperatorDay.operator_id.in_([o.id for o in operators]), OperatorDay.day.between(first, last)
            )
        )
    ).all():
        free[("operator", row.operator_id, row.day)] = min(
            row.capacity - row.booked, free[("operator", row.operator_id, row.day)]
        )
    for mrow in (
        await db.scalars(
            select(MachineDay).where(
                MachineDay.machine_id.in_([m.id for m in machines]), MachineDay.day.between(first, last)
            )
        )
    ).all():
        free[("machine", mrow.machine_id, mrow.day)] = min(
            mrow.capacity - mrow.booked, free[("machine", mrow.machine_id, mrow.day)]
        )
    return free
