"""Work that must wait until the session's transaction has committed: ``after_commit(db, fn)``.

The one way to say "do this once my change is durable" (call Alipay, wake feed readers, drop a cache).
Work is kept on ``session.info``; a rollback drops it. Asynchronous work is awaited by the place that
commits — the request's ``db`` dependency, :meth:`Database.session`, or :func:`commit` for a commit placed
by hand — never inside the write transaction. ``immediate=True`` marks a quick plain callable (no I/O)
that runs inside SQLAlchemy's commit hook, so it happens after every commit, whoever commits. Failures
are logged, never raised: the change is already committed and must not be reported as failed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger("caoyuan.db.after_commit")

PENDING_KEY = "caoyuan_after_commit"  # registered in the open transaction: {key: _Work}
COMMITTED_KEY = "caoyuan_committed_work"  # async work whose transaction committed, not yet awaited


@dataclass(frozen=True)
class _Work:
    fn: Callable[[], Any]
    immediate: bool


def after_commit(
    db: AsyncSession | Session,
    fn: Callable[[], Awaitable[Any]] | Callable[[], None],
    *,
    key: Hashable | None = None,
    immediate: bool = False,
) -> None:
    """Run ``fn()`` once this transaction commits (dropped if it rolls back). The same ``key`` twice in one
    transaction runs once (e.g. one wake-up per stream however many events were appended)."""
    pending: dict[Hashable, _Work] = _info(db).setdefault(PENDING_KEY, {})
    pending.setdefault(key if key is not None else object(), _Work(fn, immediate))


async def commit(db: AsyncSession) -> None:
    """Commit by hand and await the work registered for it (the request's dependency would do it later)."""
    await db.commit()
    await run_committed(db)


async def run_committed(db: AsyncSession | Session) -> None:
    """Await the asynchronous work of transactions that have committed; called right after a commit."""
    info = _info(db)
    while ready := info.pop(COMMITTED_KEY, None):  # work may commit again and register more
        for fn in ready:
            try:
                await fn()
            except Exception:
                log.exception("after-commit work %r failed", fn)


def _info(db: AsyncSession | Session) -> dict[Any, Any]:
    return db.sync_session.info if isinstance(db, AsyncSession) else db.info


@event.listens_for(Session, "after_commit")
def _on_commit(session: Session) -> None:
    pending: dict[Hashable, _Work] = session.info.pop(PENDING_KEY, {})
    for work in pending.values():
        if not work.immediate:
            session.info.setdefault(COMMITTED_KEY, []).append(work.fn)
            continue
        try:
            work.fn()
        except Exception:
            log.exception("after-commit work %r failed", work.fn)


@event.listens_for(Session, "after_soft_rollback")
def _on_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    # Every rollback() of the whole transaction, even before any statement ran (no DBAPI rollback then,
    # so "after_rollback" would not fire); a savepoint's rollback keeps the outer transaction's work.
    if previous_transaction.parent is None:
        session.info.pop(PENDING_KEY, None)
