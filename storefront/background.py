"""The storefront's periodic rounds, started with the app."""

from __future__ import annotations

from typing import Any

from caoyuan import background
from caoyuan.payments.client import gateway_for
from storefront.services import refund_drive
from storefront.services.reconcile import reconcile, sweep


async def start(app: Any) -> None:
    database = app.state.database
    payments_on = app.state.settings.payments != "off"

    async def sweep_round(app: Any) -> None:
        await sweep(database, gateway_for(app) if payments_on else None)

    async def reconcile_round(app: Any) -> None:
        if payments_on:
            await reconcile(database, gateway_for(app))
            await refund_drive.drive_due(database, gateway_for(app))  # refunds Alipay has not confirmed yet

    background.start(app, "storefront.sweep", 15, sweep_round)
    background.start(app, "storefront.reconcile", 60, reconcile_round)
