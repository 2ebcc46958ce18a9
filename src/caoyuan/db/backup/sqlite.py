"""SQLite: the online backup API, safe while the server runs; the copy is one self-contained file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from caoyuan import clock
from caoyuan.db.backup.manifest import BackupError, Manifest, Say, holding_data, not_empty, quote_name


@contextmanager
def sqlite_errors() -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite 出错：{exc}（数据库文件损坏、被占用或不是数据库？）") from None


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("内存中的 SQLite 数据库无法备份或恢复；请在 CAOYUAN_DATABASE_URL 中指定文件")
    return Path(database).expanduser().resolve()


@contextmanager
def sqlite_session(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path, timeout=30)
    try:
        conn.execute("PRAGMA busy_timeout=30000")
        yield conn
    finally:
        conn.close()


def sqlite_backup(source: Path, partial: Path, say: Say) -> Manifest:
    if not source.is_file():
        raise BackupError(f"数据库文件不存在：{source}")
    say(f"正在备份 SQLite 数据库 {source} …")
    partial.unlink(missing_ok=True)
    with sqlite_session(source) as live, sqlite_session(partial) as copy:
        # One step: a consistent snapshot of the committed data; the app's writers are not blocked (WAL).
        live.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file to copy off the machine
        tables = sqlite_counts(copy)
        revisions = sqlite_revisions(copy, tables)
    return Manifest("sqlite", clock.now().isoformat(timespec="seconds"), revisions, tables)


def sqlite_restore(source: Path, target: Path, force: bool, say: Say) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite_session(target) as dest:
        data = holding_data(sqlite_counts(dest))
        if data and not force:
            raise BackupError(not_empty(target.name, data))
        say(f"正在把 {source.name} 恢复到 SQLite 数据库 {target} …")
        with readonly(source) as backup:
            backup.backup(dest)  # replaces every page of the target: nothing of the old content is left


@contextmanager
def readonly(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        yield conn
    finally:
        conn.close()


def sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY name"
        )
    ]
    return {name: conn.execute(f"SELECT count(*) FROM {quote_name(name)}").fetchone()[0] for name in names}


def sqlite_revisions(conn: sqlite3.Connection, tables: dict[str, int]) -> list[str]:
    if "alembic_version" not in tables:
        return []
    return sorted(row[0] for row in conn.execute("SELECT version_num FROM alembic_version"))
