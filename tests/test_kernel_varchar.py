"""SQLite refuses an over-long VARCHAR value exactly as PostgreSQL does (issue 9, item 2)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from caoyuan.auth.models import UserAccount
from caoyuan.db import Database
from caoyuan.db.migrate import downgrade, upgrade

TOO_LONG = "value too long for type character varying"


def _row(**changes: object) -> dict:
    return {
        "phone": "13900000001",
        "display_name": "会计",
        "role": "admin",
        "password_hash": "x",
        "is_active": True,
        "failed_logins": 0,
        **changes,
    }


async def test_orm_insert_of_an_over_long_value_fails(db: Database) -> None:
    with pytest.raises(sa.exc.DBAPIError, match=TOO_LONG):
        async with db.session() as session:
            session.add(UserAccount(**_row(phone="1390000000123")))  # 13 characters into VARCHAR(11)


async def test_core_insert_and_update_fail_and_characters_not_bytes_are_counted(db: Database) -> None:
    async with db.session() as session:  # exactly at the limit, in Chinese characters: accepted
        await session.execute(sa.insert(UserAccount).values(**_row(display_name="草" * 50)))
    with pytest.raises(sa.exc.DBAPIError, match=TOO_LONG):
        async with db.session() as session:
            await session.execute(sa.insert(UserAccount).values(**_row(phone="13900000002", display_name="草" * 51)))
    with pytest.raises(sa.exc.DBAPIError, match=TOO_LONG):
        async with db.session() as session:
            await session.execute(sa.update(UserAccount).values(role="r" * 17))  # VARCHAR(16)
    async with db.session() as session:
        assert await session.scalar(sa.select(UserAccount.role)) == "admin"
        await session.execute(sa.update(UserAccount).values(failed_logins=1))  # other columns still update


def test_the_triggers_follow_the_schema_through_downgrade_and_upgrade(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    url = f"sqlite+aiosqlite:///{tmp_path / 'cycle.db'}"
    upgrade(url)

    def triggers() -> set[str]:
        with sqlite3.connect(tmp_path / "cycle.db") as conn:
            return {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}

    everything = triggers()
    assert "caoyuan_varchar_user_account_ins" in everything and "caoyuan_varchar_user_account_upd" in everything
    downgrade(url, "base")
    assert triggers() == set()
    upgrade(url)
    assert triggers() == everything
