"""The live sale's periodic rounds: announce flash sales whose countdown ended, close finished ones; write this
process's viewer counts for the console's 在线 figure (summed across processes)."""

from __future__ import annotations

from typing import Any

from caoyuan import background
from streaming.feed import VIEWERS
from streaming.services import presence
from streaming.services.flash_sale import tick_flash_sales


async def start(app: Any) -> None:
    database = app.state.database

    async def flash_round(_: Any) -> None:
        async with database.session() as db:
            await tick_flash_sales(db)

    background.start(app, "streaming.flash_sales", 1, flash_round)

    wrote_any = [True]  # so the first round runs (and sweeps rows left by processes that are gone)

    async def presence_round(_: Any) -> None:
        counts = {sid: n for sid, n in VIEWERS.items() if n > 0}
        if not counts and not wrote_any[0]:
            return  # nobody watching here, and nothing of ours in the table: no write at all
        async with database.session() as db:
            await presence.beat(db, counts)
        wrote_any[0] = bool(counts)

    background.start(app, "streaming.presence", presence.BEAT_S, presence_round)
