"""Periodic jobs inside the app process (sweepers, reconcilers).

Every process runs them; each job must be safe to run concurrently (guarded updates), so nothing
is done twice however many processes there are. At shutdown a job stops between rounds: a round already
running is given ``STOP_GRACE_S`` to finish before it is cancelled (its transaction then rolls back).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("caoyuan.background")
_TASKS = "caoyuan_background_tasks"
_STOPPING = "caoyuan_background_stopping"
STOP_GRACE_S = 10.0
PURGE_LOGINS_EVERY_S = 3600.0


def start(app: Any, name: str, every_s: float, job: Callable[[Any], Awaitable[object]]) -> None:
    """Run ``job(app)`` every ``every_s`` seconds until the app shuts down (if background tasks are on)."""
    if not app.state.settings.background_tasks:
        return
    from caoyuan.web.metrics import observe_job

    stopping = app.state.setdefault(_STOPPING, asyncio.Event())

    async def loop() -> None:
        while not stopping.is_set():
            started, failed = time.perf_counter(), False
            try:
                await job(app)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a failing round is logged; the next round tries again
                failed = True
                log.exception("background job %s failed", name)
            observe_job(name, time.perf_counter() - started, failed)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), every_s)

    app.state.setdefault(_TASKS, []).append(asyncio.create_task(loop(), name=f"caoyuan:{name}"))


def stop_between_rounds(app: Any) -> None:
    """Ask every job to stop after its current round (the drain after SIGTERM)."""
    app.state.setdefault(_STOPPING, asyncio.Event()).set()


async def stop_all(app: Any, grace_s: float = STOP_GRACE_S) -> None:
    stop_between_rounds(app)
    tasks = app.state.get(_TASKS, [])
    if tasks:
        _done, late = await asyncio.wait(tasks, timeout=grace_s)
        for task in late:
            log.warning("background task %s still running after %.0f s; cancelled", task.get_name(), grace_s)
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    tasks.clear()
    app.state.pop(_STOPPING, None)


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
