"""Transactions behave alike on SQLite and PostgreSQL (issue 9, item 4)."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from caoyuan.auth.models import UserAccount
from caoyuan.db import Database


def _account(phone: str) -> UserAccount:
    return UserAccount(phone=phone, display_name="会计", role="admin", password_hash="x")


async def _count(db: Database) -> int:
    async with db.sessionmaker() as session:
        return await session.scalar(sa.select(sa.func.count()).select_from(UserAccount))  # type: ignore[return-value]


async def test_work_in_a_savepoint_goes_with_the_outer_rollback(db: Database) -> None:
    async with db.sessionmaker() as session:
        async with session.begin_nested():  # SAVEPOINT … RELEASE
            session.add(_account("13900000001"))
        await session.execute(
            sa.insert(UserAccount).values(
                phone="13900000002",
                display_name="出纳",
                role="admin",
                password_hash="x",
                is_active=True,
                failed_logins=0,
            )
        )
        await session.rollback()
    assert await _count(db) == 0


async def test_a_rolled_back_savepoint_keeps_the_outer_work(db: Database) -> None:
    async with db.sessionmaker() as session:
        session.add(_account("13900000001"))
        await session.flush()
        try:
            async with session.begin_nested():
                session.add(_account("13900000001"))  # duplicate phone: refused inside the savepoint
                await session.flush()
        except sa.exc.IntegrityError:
            pass
        await session.commit()
    assert await _count(db) == 1


async def test_ten_concurrent_read_then_write_transactions_all_wait_their_turn(db: Database) -> None:
    async with db.session() as session:
        session.add(_account("13900000009"))

    async def bump() -> None:
        async with db.session() as session:
            seen = await session.scalar(sa.select(UserAccount.failed_logins))
            await asyncio.sleep(0.02)  # others read the same row meanwhile
            await session.execute(sa.update(UserAccount).values(failed_logins=UserAccount.failed_logins + 1))
            assert seen is not None

    results = await asyncio.gather(*(bump() for _ in range(10)), return_exceptions=True)
    assert [r for r in results if isinstance(r, BaseException)] == []
    async with db.sessionmaker() as session:
        assert await session.scalar(sa.select(UserAccount.failed_logins)) == 10
