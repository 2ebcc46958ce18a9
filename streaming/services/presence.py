"""在线: how many buyers have a live room open, across every app process and node.

Each process counts its own open viewer sockets in memory (streaming.feed) and, every BEAT_S seconds,
writes those counts as its rows of ``live_viewer_presence``. The console shows this process's count (exact,
at once) plus the other processes' rows seen in the last FRESH_S seconds: a process that stopped or died
drops out of the figure within FRESH_S, and its rows are swept later."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import utcnow
from streaming.models import ViewerPresence

BEAT_S = 10.0
FRESH_S = 30.0
SWEEP_AFTER = timedelta(minutes=10)  # rows this old belong to a process that is gone

# This process's name in the table: host and pid, plus a random tail (pids repeat across containers).
PROCESS_ID = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


async def beat(db: AsyncSession, counts: Mapping[int, int], process_id: str = PROCESS_ID) -> None:
    """Replace this process's rows with its current counts (sessions with nobody watching are left out)."""
    now = utcnow()
    await db.execute(sa.delete(ViewerPresence).where(ViewerPresence.process_id == process_id))  # type: ignore[arg-type]
    await db.execute(sa.delete(ViewerPresence).where(ViewerPresence.seen_at < now - SWEEP_AFTER))  # type: ignore[arg-type]
    db.add_all(
        ViewerPresence(process_id=process_id, session_id=session_id, viewers=n, seen_at=now)
        for session_id, n in counts.items()
        if n > 0
    )


async def viewers_online(
    db: AsyncSession, session_id: int, here: int, process_id: str = PROCESS_ID, now: datetime | None = None
) -> int:
    """This process's own count (``here``) plus every other process's fresh row for the session."""
    since = (now or utcnow()) - timedelta(seconds=FRESH_S)
    others = await db.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(ViewerPresence.viewers), 0)).where(
            ViewerPresence.session_id == session_id,  # type: ignore[arg-type]
            ViewerPresence.process_id != process_id,  # type: ignore[arg-type]
            ViewerPresence.seen_at >= since,  # type: ignore[arg-type]
        )
    )
    return max(here, 0) + int(others or 0)
