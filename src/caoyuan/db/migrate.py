"""Alembic, driven from code, on SQLite and PostgreSQL.

Each part owns a branch of the history: the kernel (``kernel``) and every installed domain
(its name, its own ``migrations/`` folder). ``upgrade`` applies all heads; a domain's first
revision depends on the kernel head, later ones may depend on other domains' heads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from caoyuan.db import sqlite_guards
from caoyuan.domains import installed_domains

MIGRATIONS = Path(__file__).parent / "migrations"
KERNEL_BRANCH = "kernel"


def version_locations() -> dict[str, Path]:
    locations = {KERNEL_BRANCH: MIGRATIONS / "versions"}
    for domain in installed_domains():
        if domain.migrations is not None:
            locations[domain.name] = domain.migrations
    return locations


def alembic_config(url: str, owner: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", ":".join(str(p) for p in version_locations().values()))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(slug)s")
    config.attributes["owner"] = owner  # autogenerate only this part's tables
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def head_revisions() -> frozenset[str]:
    return frozenset(script_directory().get_heads())


def applied_revisions(current: Iterable[str]) -> set[str]:
    """Every revision implied by the database's current heads (down revisions and dependencies)."""
    script, seen, stack = script_directory(), set(), list(current)
    while stack:
        rev = script.get_revision(stack.pop())
        if rev is None or rev.revision in seen:
            continue
        seen.add(rev.revision)
        for parent in (rev.down_revision, rev.dependencies):
            if parent:
                stack.extend([parent] if isinstance(parent, str) else parent)
    return seen


def _off_the_loop(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Alembic's env runs its own event loop; from inside a running loop, give it a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


def upgrade(url: str, revision: str = "heads") -> None:
    """Blocking (it waits for the migration), safe to call with or without a running loop.

    On SQLite the VARCHAR-length triggers are rebuilt afterwards (batch migrations drop a rebuilt
    table's triggers, and new columns need theirs)."""
    _off_the_loop(command.upgrade, alembic_config(url), revision)
    _off_the_loop(sqlite_guards.install_for_url, url)


def downgrade(url: str, revision: str) -> None:
    _off_the_loop(command.downgrade, alembic_config(url), revision)
    _off_the_loop(sqlite_guards.install_for_url, url)


def revision(url: str, owner: str, message: str, depends_on: Iterable[str] = ()) -> None:
    """Autogenerate the next revision of one part (``kernel`` or a domain name) from its tables."""
    locations = version_locations()
    if owner not in locations:
        raise ValueError(f"unknown part {owner!r}; choose from {', '.join(locations)}")
    script = script_directory()
    labelled = {label for rev in script.walk_revisions() for label in rev.branch_labels}
    first = owner not in labelled
    needs = {script.get_revision(f"{dep}@head").revision for dep in depends_on}
    if first and owner != KERNEL_BRANCH:
        needs.add(script.get_revision(f"{KERNEL_BRANCH}@head").revision)
    locations[owner].mkdir(parents=True, exist_ok=True)
    upgrade(url)  # autogenerate compares against a database at every head
    command.revision(
        alembic_config(url, owner),
        message=message,
        autogenerate=True,
        head="base" if first else f"{owner}@head",
        branch_label=owner if first else None,
        version_path=str(locations[owner]),
        depends_on=sorted(n for n in needs if n) or None,
    )


async def current_revisions(engine: AsyncEngine) -> frozenset[str]:
    async with engine.connect() as conn:
        heads = await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_heads())
    return frozenset(heads)


async def is_at_head(engine: AsyncEngine) -> tuple[bool, frozenset[str], frozenset[str]]:
    """(ready, current, heads): ready when every head of every part is applied."""
    current = await current_revisions(engine)
    heads = head_revisions()
    return heads <= applied_revisions(current), current, heads
