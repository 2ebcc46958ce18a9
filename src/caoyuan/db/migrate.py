"""Alembic, driven from code, on SQLite and PostgreSQL.

Each part owns a branch of the history: the kernel (``kernel``) and every installed domain
(its name, its own ``migrations/`` folder). ``upgrade`` applies all heads; a domain's first
revision depends on the kernel head, later ones may depend on other domains' heads.

Optional parts (the Alipay sandbox) have a branch too, but settings decide whether a database carries
it: ``upgrade(..., skip=left_out(settings))`` leaves it out, and a database that has none of an optional
part's revisions is not "behind" for want of them. Their scripts are always known, so a database that
has the part is never taken for a newer release's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from caoyuan.db import sqlite_guards
from caoyuan.domains import Domain, installed_domains
from caoyuan.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"
KERNEL_BRANCH = "kernel"


def optional_parts() -> tuple[Domain, ...]:
    from caoyuan.payments.sandbox.part import SANDBOX

    return (SANDBOX,)


def left_out(settings: Settings) -> frozenset[str]:
    """The optional parts these settings do not use: ``upgrade`` does not install them."""
    from caoyuan.payments.sandbox.part import SANDBOX, wanted

    return frozenset() if wanted(settings) else frozenset({SANDBOX.name})


def version_locations() -> dict[str, Path]:
    locations = {KERNEL_BRANCH: MIGRATIONS / "versions"}
    for domain in (*installed_domains(), *optional_parts()):
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


def load_script_directory() -> ScriptDirectory:
    """The migration scripts read afresh from disk (imports every revision module: 0.1-0.3 s of CPU)."""
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


@cache
def script_directory() -> ScriptDirectory:
    """The code's migration scripts, read once per process: they cannot change under a running process,
    and /readyz asks for them on every probe."""
    return load_script_directory()


@cache
def head_revisions() -> frozenset[str]:
    return frozenset(script_directory().get_heads())


@cache
def known_revisions() -> frozenset[str]:
    return frozenset(rev.revision for rev in script_directory().walk_revisions())


@cache
def optional_revisions() -> dict[str, frozenset[str]]:
    """Each optional part's revisions (the scripts in its folder)."""
    folders = {part.name: part.migrations.resolve() for part in optional_parts() if part.migrations}
    return {
        name: frozenset(
            rev.revision for rev in script_directory().walk_revisions() if Path(rev.path).resolve().parent == folder
        )
        for name, folder in folders.items()
    }


def absent_parts(current: Iterable[str]) -> frozenset[str]:
    """The optional parts of which the database has no revision at all (never installed)."""
    applied = applied_revisions(current)
    return frozenset(name for name, revisions in optional_revisions().items() if not applied & revisions)


def _parents(rev, with_dependencies: bool) -> list[str]:  # type: ignore[no-untyped-def]
    found: list[str] = []
    for parent in (rev.down_revision, rev.dependencies if with_dependencies else None):
        if parent:
            found.extend([parent] if isinstance(parent, str) else parent)
    return found


def applied_revisions(current: Iterable[str], with_dependencies: bool = True) -> set[str]:
    """Every revision implied by the given heads: down revisions and (unless told not to) dependencies.
    Revisions this code does not know are skipped."""
    script, known = script_directory(), known_revisions()
    seen: set[str] = set()
    stack = [rev for rev in current if rev in known]
    while stack:
        rev = script.get_revision(stack.pop())
        if rev is None or rev.revision in seen:
            continue
        seen.add(rev.revision)
        stack.extend(parent for parent in _parents(rev, with_dependencies) if parent in known)
    return seen


def _off_the_loop(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Alembic's env runs its own event loop; from inside a running loop, give it a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


def upgrade(url: str, revision: str = "heads", skip: Iterable[str] = ()) -> None:
    """Blocking (it waits for the migration), safe to call with or without a running loop.

    ``skip`` names optional parts not to install (``left_out(settings)``): every other head is applied.
    On SQLite the VARCHAR-length triggers are rebuilt afterwards (batch migrations drop a rebuilt
    table's triggers, and new columns need theirs)."""
    skip = frozenset(skip) - _installed_parts(url) if skip else frozenset()  # installed parts keep upgrading
    skipped = frozenset().union(*(optional_revisions()[name] for name in skip))
    if revision != "heads" or not skipped:
        _off_the_loop(command.upgrade, alembic_config(url), revision)
    else:
        for head in sorted(head_revisions() - skipped):
            _off_the_loop(command.upgrade, alembic_config(url), head)
    _off_the_loop(sqlite_guards.install_for_url, url)


def _installed_parts(url: str) -> frozenset[str]:
    from sqlalchemy import pool
    from sqlalchemy.ext.asyncio import create_async_engine

    async def read() -> frozenset[str]:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        try:
            return await current_revisions(engine)
        finally:
            await engine.dispose()

    current = _off_the_loop(asyncio.run, read())
    return frozenset(optional_revisions()) - absent_parts(current)


def downgrade(url: str, revision: str) -> None:
    _off_the_loop(command.downgrade, alembic_config(url), revision)
    _off_the_loop(sqlite_guards.install_for_url, url)


def revision(url: str, owner: str, message: str, depends_on: Iterable[str] = ()) -> None:
    """Autogenerate the next revision of one part (``kernel`` or a domain name) from its tables."""
    locations = version_locations()
    if owner not in locations:
        raise ValueError(f"unknown part {owner!r}; choose from {', '.join(locations)}")
    script = load_script_directory()  # the process cache may predate a revision written just now
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


SchemaWord = Literal["current", "behind", "ahead"]


@dataclass(frozen=True)
class SchemaState:
    """How the database's schema compares with this code's migrations.

    ``ahead`` means a newer release already migrated the database (revisions this code does not know),
    while every revision this code has is applied: during a rolling release the old pods keep serving.
    """

    state: SchemaWord
    current: frozenset[str]  # the database's alembic_version rows
    heads: frozenset[str]  # this code's heads (less those of optional parts the database does not have)
    unknown: frozenset[str]  # rows this code has no script for
    absent: frozenset[str] = frozenset()  # optional parts never installed in this database


def required_heads(absent: Iterable[str]) -> frozenset[str]:
    """This code's heads, less those of the optional parts the database does not carry."""
    revisions = optional_revisions()
    return head_revisions() - frozenset().union(*(revisions[name] for name in absent))


def compare_schema(current: Iterable[str]) -> SchemaState:
    current = frozenset(current)
    absent = absent_parts(current)
    heads, unknown = required_heads(absent), current - known_revisions()
    missing = heads - applied_revisions(current)
    if not missing:
        return SchemaState("ahead" if unknown else "current", current, heads, unknown, absent)
    # A head that is not applied: either its part still sits on an older revision this code knows
    # (behind), or its part's row was replaced by a newer revision this code cannot see (ahead).
    # Ancestry within a part follows down revisions only: dependencies cross into other parts.
    on_older_revision = [head for head in missing if current & applied_revisions([head], with_dependencies=False)]
    if on_older_revision or len(missing) > len(unknown):
        return SchemaState("behind", current, heads, unknown, absent)
    return SchemaState("ahead", current, heads, unknown, absent)


async def schema_state(engine: AsyncEngine) -> SchemaState:
    return compare_schema(await current_revisions(engine))


async def is_at_head(engine: AsyncEngine) -> tuple[bool, frozenset[str], frozenset[str]]:
    """(ready, current, heads): ready only when the schema is exactly this code's (not behind, not ahead),
    which is what starting a process and `caoyuan db current` require."""
    state = await schema_state(engine)
    return state.state == "current", state.current, state.heads
