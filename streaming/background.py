"""The live sale's periodic round: announce flash sales whose countdown ended, close finished ones."""

from __future__ import annotations

from typing import Any

from caoyuan import background
from streaming.services.flash_sale import tick_flash_sales


async def start(app: Any) -> None:
    database = app.state.database

    async def flash_round(_: Any) -> None:
        async with database.session() as db:
            await tick_flash_sales(db)

    background.start(app, "streaming.flash_sales", 1, flash_round)
