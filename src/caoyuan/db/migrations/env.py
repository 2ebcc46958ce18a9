"""Alembic environment: async engine, every domain's tables, batch mode on SQLite."""

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import create_async_engine

from caoyuan.db.metadata import load_all_models, metadata
from caoyuan.db.migrate import optional_parts
from caoyuan.domains import installed_domains

load_all_models()
config = context.config


def _owned_by(owner: str | None):  # type: ignore[no-untyped-def]
    """Autogenerate for one part sees only that part's tables (domains own their table prefixes)."""
    if owner is None:
        return None
    prefixes = {d.name: tuple(d.table_prefixes) for d in (*installed_domains(), *optional_parts())}
    everyone = tuple(p for ps in prefixes.values() for p in ps)

    def include(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
        table = obj if type_ == "table" else getattr(obj, "table", None)
        table_name = name if type_ == "table" else (table.name if table is not None else "")
        if table_name == "alembic_version":
            return False
        if owner == "kernel":
            return not table_name.startswith(everyone)
        return table_name.startswith(prefixes.get(owner, ()))

    return include


def _configure(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=_owned_by(config.attributes.get("owner")),
        process_revision_directives=_skip_empty,
    )


def _skip_empty(context, revision, directives) -> None:  # type: ignore[no-untyped-def]
    # An autogenerate that found nothing writes no file.
    if config.cmd_opts is None and directives and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        print("没有发现模型变化，未生成迁移文件。")


def run_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                      literal_binds=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = create_async_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run_sync)
    await engine.dispose()


def _run_sync(connection) -> None:  # type: ignore[no-untyped-def]
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_online())
