"""after_commit(db, fn): work runs once the transaction commits, never after a rollback, and a failing
piece of work is logged without failing the commit or the work after it."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from caoyuan.auth.models import UserAccount
from caoyuan.db import Database, after_commit, commit


async def _count_users(database: Database) -> int:
    async with database.reader() as db:  # type: ignore[misc]
        return int(await db.scalar(sa.select(sa.func.count()).select_from(UserAccount)) or 0)


async def test_work_runs_after_the_commit_and_sees_the_committed_change(db: Database) -> None:
    seen: list[int] = []

    async def look() -> None:
        seen.append(await _count_users(db))  # another connection: sees only what is committed

    async with db.session() as session:
        before = await _count_users(db)
        session.add(UserAccount(phone="13800000002", display_name="甲", role="member", password_hash="x"))
        after_commit(session, look)
        await session.flush()
        assert seen == []  # not yet: the transaction is open
    assert seen == [before + 1]


async def test_rolled_back_work_never_runs(db: Database) -> None:
    ran: list[str] = []

    async def work() -> None:
        ran.append("async")

    with pytest.raises(RuntimeError):
        async with db.session() as session:
            await session.execute(sa.select(1))
            after_commit(session, work)
            after_commit(session, lambda: ran.append("sync"), immediate=True)
            raise RuntimeError("boom")
    async with db.session() as session:  # a later commit on a fresh transaction does not revive it
        await commit(session)
    assert ran == []


async def test_hand_commit_runs_work_once_and_keys_deduplicate(db: Database) -> None:
    ran: list[str] = []

    async def work() -> None:
        ran.append("async")

    async with db.sessionmaker() as session:
        await session.execute(sa.select(1))  # work belongs to an open transaction
        after_commit(session, work)
        after_commit(session, lambda: ran.append("wake"), key="stream-1", immediate=True)
        after_commit(session, lambda: ran.append("wake again"), key="stream-1", immediate=True)
        await session.rollback()
        after_commit(session, work)
        await session.commit()
        assert ran == []  # nothing immediate survived the rollback; async work waits for its runner
        await commit(session)
        await commit(session)
    assert ran == ["async"]


async def test_failures_are_logged_not_raised(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    ran: list[str] = []

    async def broken() -> None:
        raise ValueError("alipay down")

    async def after() -> None:
        ran.append("after")

    def broken_sync() -> None:
        raise KeyError("cache")

    caplog.set_level(logging.ERROR, logger="caoyuan.db.after_commit")
    async with db.session() as session:
        after_commit(session, broken)
        after_commit(session, broken_sync, immediate=True)
        after_commit(session, after)
    assert ran == ["after"]
    failures = [r for r in caplog.records if "after-commit work" in r.getMessage()]
    assert len(failures) == 2
