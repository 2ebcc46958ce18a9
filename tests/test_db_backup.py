"""`caoyuan db backup` / `caoyuan db restore` on both databases: the demo's books, share register and live
feed come back identical, a non-empty database is refused unless --force, and no password reaches a
command line."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from caoyuan.cli import main
from caoyuan.db import backup as backup_module
from caoyuan.db.backup import BackupError, Manifest, backup_database, inventory, manifest_path, version_notes
from caoyuan.db.migrate import upgrade
from tests.conftest import PG_URL, _blocking, _pg_admin

_names = itertools.count(1)


# ---------------------------------------------------------------- databases


@dataclass
class Made:
    demos: dict[str, str] = field(default_factory=dict)  # backend → URL of the seeded demo
    pg_names: list[str] = field(default_factory=list)  # PostgreSQL databases to drop at the end


@pytest.fixture(scope="module")
def made_databases() -> Iterator[Made]:
    """Seeding the demo takes a while: once per backend and module."""
    made = Made()
    yield made
    for name in made.pg_names:
        _blocking(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _new_pg_database(made: Made, role: str) -> str:
    name = f"caoyuan_backup_{role}_{os.getpid()}_{next(_names)}"
    _blocking(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'))
    made.pg_names.append(name)
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _empty_database(backend: str, request: pytest.FixtureRequest, made: Made, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / f'restored-{next(_names)}.db'}"
    request.getfixturevalue("postgres_url")  # skips (or fails, REQUIRE_POSTGRES=1) when PostgreSQL is down
    return _new_pg_database(made, "restored")


@pytest.fixture
def demo_url(
    backend: str,
    request: pytest.FixtureRequest,
    made_databases: Made,
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    return _seeded_demo(backend, request, made_databases, tmp_path_factory)


def _seeded_demo(
    backend: str,
    request: pytest.FixtureRequest,
    made_databases: Made,
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """The demo, seeded by the real command (`caoyuan demo --no-serve`) into a fresh database."""
    if backend in made_databases.demos:
        return made_databases.demos[backend]
    if backend == "sqlite":
        db_file = tmp_path_factory.mktemp("demo") / "demo.db"
        url = f"sqlite+aiosqlite:///{db_file}"
    else:
        request.getfixturevalue("postgres_url")
        url = _new_pg_database(made_databases, "demo")
        db_file = Path("unused.db")
    env = {**os.environ, "CAOYUAN_DATABASE_URL": url, "CAOYUAN_SECRET_KEY": "b" * 48}
    seeded = subprocess.run(
        [sys.executable, "-m", "caoyuan", "demo", "--no-serve", "--database", str(db_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert seeded.returncode == 0, seeded.stderr
    made_databases.demos[backend] = url
    return url


def cli(url: str, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["db", *args], env={"CAOYUAN_DATABASE_URL": url})


def rows(url: str, sql: str) -> list[tuple]:
    async def run() -> list[tuple]:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(text(sql))
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(run())


# ---------------------------------------------------------------- what must come back identical

LEDGER = """SELECT e.id, e.cooperative_id, e.kind, e.entry_date, count(l.id),
                   sum(l.debit_fen), sum(l.credit_fen)
            FROM coop_journal_entry e JOIN coop_journal_line l ON l.entry_id = e.id
            GROUP BY e.id, e.cooperative_id, e.kind, e.entry_date ORDER BY e.id"""
LINES = """SELECT id, entry_id, account_code, debit_fen, credit_fen, member_id, fund
           FROM coop_journal_line ORDER BY id"""
SHARE_REGISTER = """SELECT cooperative_id, number, member_id, op, shares, amount_fen, effective_on,
                           counterpart_member_id, entry_id
                    FROM coop_share_transaction ORDER BY cooperative_id, number, member_id"""
FEED_EVENTS = "SELECT stream, seq, kind, payload FROM feed_event ORDER BY stream, seq"
FEED_COUNTERS = "SELECT key, last_seq FROM feed_stream ORDER BY key"


def books(url: str) -> dict[str, list[tuple]]:
    return {
        name: rows(url, sql)
        for name, sql in {
            "ledger": LEDGER,
            "lines": LINES,
            "shares": SHARE_REGISTER,
            "events": FEED_EVENTS,
            "counters": FEED_COUNTERS,
        }.items()
    }


def assert_books_hold(found: dict[str, list[tuple]]) -> None:
    # The ledger balances: every journal entry's debits equal its credits.
    assert found["ledger"], "the demo posts journal entries"
    for entry_id, _coop, _kind, _day, lines, debit, credit in found["ledger"]:
        assert lines >= 2 and debit == credit, f"entry {entry_id} does not balance"
    # The share register is numbered 1..n per cooperative, without gaps.
    assert found["shares"]
    by_coop: dict[int, set[int]] = {}
    for coop_id, number, *_ in found["shares"]:
        by_coop.setdefault(coop_id, set()).add(number)
    for numbers in by_coop.values():
        assert numbers == set(range(1, max(numbers) + 1))
    # The live feed: each stream numbered 1..n without gaps, and its counter row at n.
    assert found["events"]
    seqs: dict[str, list[int]] = {}
    for stream, seq, *_ in found["events"]:
        seqs.setdefault(stream, []).append(seq)
    assert {stream: numbers for stream, numbers in seqs.items()} == {
        stream: list(range(1, len(numbers) + 1)) for stream, numbers in seqs.items()
    }
    assert dict(found["counters"]) == {stream: max(numbers) for stream, numbers in seqs.items()}


def postgres_extras(url: str) -> dict[str, list[tuple]]:
    """What pg_dump must carry besides rows: sequence positions and the ledger's append-only triggers."""
    sequences = rows(
        url,
        "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema() ORDER BY sequencename",
    )
    triggers = rows(
        url,
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE NOT t.tgisinternal ORDER BY 1, 2",
    )
    return {"sequences": sequences, "triggers": triggers}


# ---------------------------------------------------------------- tests


def test_backup_and_restore_bring_the_books_back(backend, demo_url, request, made_databases, tmp_path) -> None:
    file = tmp_path / "caoyuan.backup"
    made = cli(demo_url, "backup", str(file))
    assert made.exit_code == 0, made.output
    source_tables, source_revisions = inventory(demo_url)
    assert f"共 {len(source_tables)} 张表" in made.output and "已备份到" in made.output
    manifest = Manifest.read(manifest_path(file))
    assert manifest.tables == source_tables and manifest.revisions == source_revisions

    target = _empty_database(backend, request, made_databases, tmp_path)
    restored = cli(target, "restore", str(file))
    assert restored.exit_code == 0, restored.output
    assert "核对通过" in restored.output and "迁移版本与本程序一致" in restored.output

    assert inventory(target) == (source_tables, source_revisions)
    source_books, target_books = books(demo_url), books(target)
    assert_books_hold(target_books)
    assert target_books == source_books
    if backend == "postgres":
        extras = postgres_extras(target)
        assert extras == postgres_extras(demo_url)
        assert any(table == "coop_journal_entry" for table, _ in extras["triggers"])


def test_restore_refuses_a_database_that_is_not_empty(backend, demo_url, request, made_databases, tmp_path) -> None:
    file = tmp_path / "caoyuan.backup"
    assert cli(demo_url, "backup", str(file)).exit_code == 0
    target = _empty_database(backend, request, made_databases, tmp_path)
    assert cli(target, "restore", str(file)).exit_code == 0
    rows(target, "INSERT INTO feed_stream (key, last_seq) VALUES ('live:written-after', 7)")

    refused = cli(target, "restore", str(file))
    assert refused.exit_code != 0 and "不是空的" in refused.output and "--force" in refused.output
    assert rows(target, "SELECT last_seq FROM feed_stream WHERE key = 'live:written-after'") == [(7,)]

    forced = cli(target, "restore", "--force", str(file))
    assert forced.exit_code == 0, forced.output
    assert rows(target, "SELECT last_seq FROM feed_stream WHERE key = 'live:written-after'") == []
    assert inventory(target) == inventory(demo_url)
    assert books(target) == books(demo_url)


def test_restore_into_a_freshly_migrated_database(backend, demo_url, request, made_databases, tmp_path) -> None:
    # e.g. the migration Job already ran against the new, empty database: nothing to lose, no --force
    file = tmp_path / "caoyuan.backup"
    assert cli(demo_url, "backup", str(file)).exit_code == 0
    target = _empty_database(backend, request, made_databases, tmp_path)
    upgrade(target)
    result = cli(target, "restore", str(file))
    assert result.exit_code == 0, result.output
    assert inventory(target) == inventory(demo_url)
    assert books(target) == books(demo_url)


def test_restore_reports_rows_that_do_not_match_the_manifest(
    backend, demo_url, request, made_databases, tmp_path
) -> None:
    file = tmp_path / "caoyuan.backup"
    assert cli(demo_url, "backup", str(file)).exit_code == 0
    manifest = Manifest.read(manifest_path(file))
    manifest.tables["coop_journal_line"] += 1  # as if a line had been lost between backup and restore
    manifest.write(manifest_path(file))
    target = _empty_database(backend, request, made_databases, tmp_path)
    result = cli(target, "restore", str(file))
    assert result.exit_code != 0
    assert "coop_journal_line" in result.output and "不一致" in result.output


def test_restore_refuses_the_other_databases_backup(backend, demo_url, request, made_databases, tmp_path) -> None:
    file = tmp_path / "caoyuan.backup"
    assert cli(demo_url, "backup", str(file)).exit_code == 0
    other = "postgres" if backend == "sqlite" else "sqlite"
    if other == "postgres":
        request.getfixturevalue("postgres_url")
    target = _empty_database(other, request, made_databases, tmp_path)
    result = cli(target, "restore", str(file))
    assert result.exit_code != 0 and "不能恢复到" in result.output


def test_sqlite_backup_is_safe_while_the_app_writes(made_databases, request, tmp_path_factory, tmp_path) -> None:
    demo = make_url(_seeded_demo("sqlite", request, made_databases, tmp_path_factory)).database
    live = tmp_path / "live.db"
    shutil.copy(demo, live)
    url = f"sqlite+aiosqlite:///{live}"
    before = inventory(url)[0]["feed_stream"]
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("BEGIN IMMEDIATE")  # the app is in the middle of a write
    writer.execute("INSERT INTO feed_stream (key, last_seq) VALUES ('live:uncommitted', 1)")
    try:
        manifest = backup_database(url, tmp_path / "online.db")
    finally:
        writer.execute("COMMIT")
        writer.close()
    assert manifest.tables["feed_stream"] == before  # the committed state, not the half-written one
    copy = sqlite3.connect(tmp_path / "online.db")
    try:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file to carry away
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        copy.close()
    assert not (tmp_path / "online.db.part").exists()


def test_no_password_on_the_command_line(
    postgres_url, request, made_databases, tmp_path_factory, monkeypatch, tmp_path
) -> None:
    demo = _seeded_demo("postgres", request, made_databases, tmp_path_factory)
    password = "Secr:et\\pw-不给看"
    url = make_url(demo).set(password=password).render_as_string(hide_password=False)
    monkeypatch.setenv("PGPASSWORD", password)  # even an inherited one is not handed on
    seen: list[tuple[tuple[str, ...], dict[str, str], str]] = []
    real = asyncio.create_subprocess_exec

    async def spy(*args, env=None, **kwargs):  # type: ignore[no-untyped-def]
        passfile = (env or {}).get("PGPASSFILE", "")
        seen.append((args, dict(env or {}), Path(passfile).read_text() if passfile else ""))
        return await real(*args, env=env, **kwargs)

    monkeypatch.setattr(asyncio, "create_subprocess_exec", spy)
    said: list[str] = []
    backup_database(url, tmp_path / "pw.dump", say=said.append)
    dumps = [entry for entry in seen if Path(entry[0][0]).name == "pg_dump" and "--version" not in entry[0]]
    assert len(dumps) == 1
    args, env, passfile = dumps[0]
    assert not any(password in arg or "Secr" in arg for arg in args)
    assert "PGPASSWORD" not in env and passfile == "*:*:*:*:Secr\\:et\\\\pw-不给看\n"
    assert not Path(env["PGPASSFILE"]).exists()  # removed once pg_dump finished
    assert not any("Secr" in line for line in said)
    assert "Secr" not in manifest_path(tmp_path / "pw.dump").read_text()


def test_client_version_against_the_server() -> None:
    with pytest.raises(BackupError, match="postgresql-client-15"):
        version_notes("pg_dump", "14.9", "15.20 (Debian 15.20-0+deb12u1)")
    newer = version_notes("pg_dump", "16.4", "15.20")
    assert len(newer) == 1 and "大版本不同" in newer[0] and "16" in newer[0]
    assert version_notes("pg_restore", "15.20", "15.2") == ["pg_restore 15.20，服务器 PostgreSQL 15.2"]


def test_pick_tool_prefers_the_servers_major_version(monkeypatch) -> None:
    matching = Path("/usr/lib/postgresql/15/bin/pg_dump")
    if matching.is_file():
        assert backup_module.pick_tool("pg_dump", 15) == str(matching)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(BackupError, match="postgresql-client-99"):
        backup_module.pick_tool("pg_dump", 99)
