"""Periodic jobs inside the app process (sweepers, reconcilers).

Every process runs them; each job must be safe to run concurrently (guarded updates), so nothing
is done twice however many processes there are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("caoyuan.background")
_TASKS = "caoyuan_background_tasks"
PURGE_LOGINS_EVERY_S = 3600.0


def start(app: Any, name: str, every_s: float, job: Callable[[Any], Awaitable[object]]) -> None:
    """Run ``job(app)`` every ``every_s`` seconds until the app shuts down (if background tasks are on)."""
    if not app.state.settings.background_tasks:
        return

    async def loop() -> None:
        while True:
            try:
                await job(app)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a failing round is logged; the next round tries again
                log.exception("background job %s failed", name)
            await asyncio.sleep(every_s)

    app.state.setdefault(_TASKS, []).append(asyncio.create_task(loop(), name=f"caoyuan:{name}"))


async def stop_all(app: Any) -> None:
    tasks = app.state.get(_TASKS, [])
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    tasks.clear()


def start_kernel_jobs(app: Any) -> None:
    """The kernel's own rounds: expired tokens, sessions and stale login-try counts are deleted hourly."""
    start(app, "purge-logins", PURGE_LOGINS_EVERY_S, purge_logins)


async def purge_logins(app: Any) -> tuple[int, int]:
    from caoyuan.auth.service import purge_stale_logins

    async with app.state.database.session() as db:
        tokens, throttles = await purge_stale_logins(db)
    if tokens or throttles:
        log.info("purged %d expired logins and %d stale login-try counts", tokens, throttles)
    return tokens, throttles
