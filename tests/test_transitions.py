"""The one state-transition shape: a table per entity and one guarded UPDATE that moves a row only from
an allowed state, so of two racing requests exactly one makes the change."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from caoyuan.db import Database
from caoyuan.db.transition import transition
from caoyuan.states import Transitions
from coop.machinery.rules.states import BOOKING
from coop.rules.states import DISTRIBUTION
from storefront.states import ORDER
from streaming.rules import SESSION

LAMP = Transitions.of(
    "state",
    switch_on=(("off",), "on"),
    switch_off=(("on",), "off"),
    polish=(("on", "off"), None),
)


class _Base(DeclarativeBase):
    pass


class Lamp(_Base):
    __tablename__ = "test_transition_lamp"
    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(8))
    note: Mapped[str] = mapped_column(sa.String(20), default="")


@pytest.fixture
async def lamps(db: Database) -> AsyncIterator[Database]:
    async with db.engine.begin() as conn:
        await conn.run_sync(_Base.metadata.create_all)
    async with db.session() as session:
        session.add_all([Lamp(id=1, state="off"), Lamp(id=2, state="on")])
    yield db
    async with db.engine.begin() as conn:
        await conn.run_sync(_Base.metadata.drop_all)


def test_tables_answer_what_is_allowed() -> None:
    assert LAMP.allowed("switch_on", "off") and not LAMP.allowed("switch_on", "on")
    assert LAMP.actions("on") == {"switch_off", "polish"}
    assert LAMP.target("polish") is None
    with pytest.raises(TypeError):
        LAMP.moves["switch_on"] = LAMP.moves["switch_off"]  # type: ignore[index]


def test_every_domain_table_moves_only_to_known_states() -> None:
    known = [
        (BOOKING, {"requested", "waitlisted", "scheduled", "in_progress", "completed", "paid", "cancelled"}),
        (SESSION, {"scheduled", "live", "ended"}),
        (ORDER, {"pending_payment", "paid", "packed", "shipped", "completed", "expired", "cancelled"}),
        (DISTRIBUTION, {"draft", "approved", "posted", "paid"}),
    ]
    for table, states in known:
        for move in table.moves.values():
            assert move.froms <= states and (move.to is None or move.to in states)


async def test_a_row_moves_once_and_only_from_an_allowed_state(lamps: Database) -> None:
    async with lamps.session() as db:
        assert await transition(db, Lamp, 1, "switch_on", LAMP, note="first")
        assert not await transition(db, Lamp, 1, "switch_on", LAMP, note="second")  # already on
        assert not await transition(db, Lamp, 99, "switch_on", LAMP)  # no such row
        assert not await transition(db, Lamp, 2, "switch_off", LAMP, where=[Lamp.note == "x"])  # extra guard
        assert await transition(db, Lamp, 2, "polish", LAMP)  # guard-only: allowed, state kept
    async with lamps.session() as db:
        rows = dict((await db.execute(sa.select(Lamp.id, Lamp.state + ":" + Lamp.note))).all())
    assert rows == {1: "on:first", 2: "on:"}


@pytest.mark.postgres_only
async def test_racing_requests_move_the_row_exactly_once(lamps: Database) -> None:
    async def attempt(note: str) -> bool:
        async with lamps.session() as db:
            moved = await transition(db, Lamp, 1, "switch_on", LAMP, note=note)
            await asyncio.sleep(0.05)  # hold the row lock while the others wait on it
            return moved

    results = await asyncio.gather(*(attempt(f"r{i}") for i in range(6)))
    assert sorted(results) == [False] * 5 + [True]
