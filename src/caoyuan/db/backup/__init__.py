"""Backup and restore of the whole database, with a manifest to check a restore against.

* PostgreSQL: ``pg_dump -Fc`` and ``pg_restore``. The row counts of the manifest are taken in the very
  snapshot pg_dump dumps (exported from a repeatable-read transaction), so they match the dump exactly
  even while the app keeps writing. The password travels in a temporary passfile, never on a command line.
* SQLite: the online backup API (``sqlite3.Connection.backup``), safe while the server runs; the copy is
  one self-contained file (journal mode DELETE).

The manifest sits next to the backup (``FILE.manifest.json``): when it was made, the migration rows, and
the rows of every table. After a restore every table must hold exactly the manifest's rows. The kernel
knows no domain, so domain invariants (the ledger balancing, the share register) are the tests' business.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

from caoyuan.db.backup.manifest import (
    MANIFEST_SUFFIX,
    PG_DUMP_MAGIC,
    SQLITE_MAGIC,
    BackupError,
    Manifest,
    RestoreReport,
    Say,
    manifest_path,
)
from caoyuan.db.backup.pg_tools import pick_tool, version_notes
from caoyuan.db.backup.postgres import pg_backup, pg_inventory, pg_restore, run_pg
from caoyuan.db.backup.sqlite import (
    is_sqlite,
    sqlite_backup,
    sqlite_counts,
    sqlite_errors,
    sqlite_file,
    sqlite_restore,
    sqlite_revisions,
    sqlite_session,
)
from caoyuan.db.migrate import SchemaState, compare_schema

__all__ = [
    "MANIFEST_SUFFIX",
    "BackupError",
    "Manifest",
    "RestoreReport",
    "backup_database",
    "inventory",
    "manifest_path",
    "pick_tool",
    "restore_database",
    "version_notes",
]


def _quiet(_: str) -> None:
    pass


def backup_database(url: str, target: Path, say: Say = _quiet) -> Manifest:
    """Back the database up into ``target`` (replaced only once the new copy is complete). Blocking:
    for the command line, not for a running event loop."""
    target = target.expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        if is_sqlite(url):
            with sqlite_errors():
                manifest = sqlite_backup(sqlite_file(url), partial, say)
        else:
            manifest = run_pg(pg_backup(make_url(url), partial, say))
        manifest.write(manifest_path(target))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def restore_database(url: str, source: Path, force: bool = False, say: Say = _quiet) -> RestoreReport:
    """Restore ``source`` into the database at ``url`` (empty, unless ``force``), then check it. Blocking."""
    source = source.expanduser().resolve()
    if not source.is_file():
        raise BackupError(f"备份文件不存在：{source}")
    manifest = _read_manifest(source, say)
    _check_kind(source, url)
    if is_sqlite(url):
        with sqlite_errors():
            sqlite_restore(source, sqlite_file(url), force, say)
    else:
        run_pg(pg_restore(make_url(url), source, force, say))
    say("正在核对恢复结果 …")
    tables, revisions = inventory(url)
    return _compare(tables, compare_schema(revisions), manifest)


def inventory(url: str) -> tuple[dict[str, int], list[str]]:
    """Rows per table and the migration rows, as the database holds them now."""
    if is_sqlite(url):
        with sqlite_errors(), sqlite_session(sqlite_file(url)) as conn:
            tables = sqlite_counts(conn)
            return tables, sqlite_revisions(conn, tables)
    return run_pg(pg_inventory(url))


def _read_manifest(source: Path, say: Say) -> Manifest | None:
    path = manifest_path(source)
    if not path.is_file():
        say(f"注意：找不到备份清单 {path.name}，无法核对每张表的行数，只检查迁移版本。")
        return None
    return Manifest.read(path)


def _check_kind(source: Path, url: str) -> None:
    with source.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(SQLITE_MAGIC):
        kind = "sqlite"
    elif head.startswith(PG_DUMP_MAGIC):
        kind = "postgresql"
    else:
        raise BackupError(f"{source.name} 不是 Caoyuan 的备份文件（既不是 SQLite 数据库，也不是 pg_dump -Fc 文件）")
    wanted = "sqlite" if is_sqlite(url) else "postgresql"
    if kind != wanted:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(f"{source.name} 是 {names[kind]} 的备份，不能恢复到 {names[wanted]} 数据库")


def _compare(tables: dict[str, int], schema: SchemaState, manifest: Manifest | None) -> RestoreReport:
    report = RestoreReport(tables, schema, manifest)
    if manifest is None:
        return report
    for name in sorted(set(manifest.tables) | set(tables)):
        expected, found = manifest.tables.get(name), tables.get(name)
        if expected is None:
            report.problems.append(f"表 {name} 不在备份里（恢复前数据库中就有？）")
        elif found is None:
            report.problems.append(f"表 {name} 没有恢复出来")
        elif expected != found:
            report.problems.append(f"表 {name}：备份时 {expected} 行，恢复后 {found} 行")
    if sorted(schema.current) != sorted(manifest.revisions):
        report.problems.append(
            f"迁移版本与备份时不同：备份 {', '.join(manifest.revisions) or '空'}，"
            f"恢复后 {', '.join(sorted(schema.current)) or '空'}"
        )
    return report
