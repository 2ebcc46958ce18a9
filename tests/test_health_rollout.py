"""/readyz during a rolling release: a database ahead of the code is ready, one behind is not, and the
probe does not re-read the migration scripts on every call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from caoyuan.db import Database, migrate
from caoyuan.db.migrate import alembic_config, head_revisions, script_directory

NEWER_REVISION = '''"""A revision of a newer release, unknown to the code under test."""
revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
'''


async def _rows(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        return sorted((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())


async def _set_rows(db: Database, rows: list[str]) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text("DELETE FROM alembic_version"))
        for row in rows:
            await conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": row})


@pytest.fixture
async def versions(client, db: Database) -> AsyncIterator[list[str]]:
    """The migrated database's alembic_version rows, put back afterwards (PostgreSQL's test database is
    shared by the whole session and its truncation leaves alembic_version alone)."""
    original = await _rows(db)
    yield original
    await _set_rows(db, original)


def _part_head(part: str) -> str:
    return script_directory().get_revision(f"{part}@head").revision


async def _newer_release_migrates(db: Database, tmp_path: Path, parts: list[str]) -> list[str]:
    """What the migration Job of the next release does: apply new revisions on top of these parts."""
    folder = tmp_path / "newer_release"
    folder.mkdir()
    made = []
    for number, part in enumerate(parts):
        revision = f"fe{number:02d}c0ffee00"
        (folder / f"{revision}_next.py").write_text(NEWER_REVISION.format(revision=revision, down=_part_head(part)))
        made.append(revision)
    url = db.engine.url.render_as_string(hide_password=False)
    config = alembic_config(url)
    config.set_main_option("version_locations", f"{config.get_main_option('version_locations')}:{folder}")
    await asyncio.to_thread(command.upgrade, config, "heads")
    return made


async def test_current_schema_is_ready(client, versions) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["schema"] == "current" and body["migrations"] == versions


async def test_database_ahead_of_the_code_is_ready(client, db, versions, tmp_path) -> None:
    # coop's head is a row of alembic_version; storefront's is implied by streaming's dependency on it.
    made = await _newer_release_migrates(db, tmp_path, ["coop", "storefront"])
    rows = await _rows(db)
    assert set(made) <= set(rows) and _part_head("coop") not in rows
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok" and body["schema"] == "ahead" and body["unknown"] == sorted(made)


async def test_database_ahead_in_a_new_part_is_ready(client, db, versions) -> None:
    await _set_rows(db, [*versions, "0a1b2c3d4e5f"])  # a part only the newer release has
    response = await client.get("/readyz")
    assert response.status_code == 200 and response.json()["schema"] == "ahead"


async def test_database_behind_the_code_is_not_ready(client, db, versions) -> None:
    coop_head = script_directory().get_revision(_part_head("coop"))
    assert coop_head.revision in versions
    await _set_rows(db, [coop_head.down_revision if v == coop_head.revision else v for v in versions])
    response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["schema"] == "behind" and "caoyuan db upgrade" in body["message"]


async def test_behind_in_one_part_is_not_excused_by_ahead_in_another(client, db, versions) -> None:
    coop_head = script_directory().get_revision(_part_head("coop"))
    older = [coop_head.down_revision if v == coop_head.revision else v for v in versions]
    await _set_rows(db, [*older, "0a1b2c3d4e5f"])
    response = await client.get("/readyz")
    assert response.status_code == 503 and response.json()["schema"] == "behind"


async def test_empty_database_is_behind(client, db, versions) -> None:
    await _set_rows(db, [])
    response = await client.get("/readyz")
    assert response.status_code == 503 and response.json()["schema"] == "behind"


async def test_readyz_does_not_reread_the_migration_scripts(client, versions, monkeypatch) -> None:
    head_revisions()  # the process has read them once (the app's start-up check does too)
    reads = []
    real = migrate.ScriptDirectory.from_config

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        reads.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(migrate.ScriptDirectory, "from_config", counting)
    for _ in range(3):
        assert (await client.get("/readyz")).status_code == 200
    assert reads == []


async def test_an_old_process_refuses_a_newer_schema_and_says_why(client, db, versions) -> None:
    """Starting the old code on a newer schema is refused (no rollback onto it), with the way out — not the
    "run caoyuan db upgrade" that would do nothing."""
    from caoyuan.app import NotMigrated, ensure_migrated

    await _set_rows(db, [*versions, "0a1b2c3d4e5f"])
    with pytest.raises(NotMigrated) as refused:
        await ensure_migrated(db)
    assert "更新的版本" in str(refused.value) and "0a1b2c3d4e5f" in str(refused.value)
    assert "caoyuan db upgrade" not in str(refused.value)


async def test_an_old_schema_asks_for_the_upgrade(client, db, versions) -> None:
    from caoyuan.app import NotMigrated, ensure_migrated

    coop_head = script_directory().get_revision(_part_head("coop"))
    await _set_rows(db, [coop_head.down_revision if v == coop_head.revision else v for v in versions])
    with pytest.raises(NotMigrated, match="caoyuan db upgrade"):
        await ensure_migrated(db)
