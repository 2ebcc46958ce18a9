"""The same Alembic history builds the schema on both databases, and the models match it."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from caoyuan.db.metadata import metadata
from caoyuan.db.migrate import downgrade, is_at_head, script_directory, upgrade, version_locations


async def test_upgrade_reaches_every_head(db) -> None:
    """The schema stands at exactly one head per migration branch: the kernel's and each installed domain's."""
    ready, current, heads = await is_at_head(db.engine)
    assert ready and current == heads
    folders = {Path(rev.path).parent.resolve() for rev in script_directory().get_revisions(tuple(heads))}
    assert folders == {path.resolve() for path in version_locations().values()}
    assert len(heads) == len(version_locations())


async def test_autogenerate_finds_no_drift(db) -> None:
    def diff(sync_conn):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    async with db.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == [], f"models and migrations differ — run `caoyuan db revision -m ...`: {changes}"


async def test_downgrade_to_base_and_back(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'roundtrip.db'}"
    upgrade(url)
    downgrade(url, "base")
    from caoyuan.db import create_database

    empty = create_database(url)
    try:
        assert not (await is_at_head(empty.engine))[0]
    finally:
        await empty.dispose()
    upgrade(url)
    from caoyuan.db import create_database

    database = create_database(url)
    try:
        assert (await is_at_head(database.engine))[0]
    finally:
        await database.dispose()
