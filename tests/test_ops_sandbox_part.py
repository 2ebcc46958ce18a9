"""The pretend Alipay is an optional part: `caoyuan db upgrade` on production settings makes none of its
tables; on sandbox settings (demo, tests) it does; and either database counts as migrated."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.engine import make_url

from caoyuan.app import NotMigrated, ensure_migrated
from caoyuan.db import create_database
from caoyuan.db.migrate import left_out, schema_state, upgrade
from caoyuan.payments.keys import private_pem_pkcs1, public_pem
from caoyuan.settings import load_settings
from tests.conftest import PG_URL, _pg_admin

ROOT = Path(__file__).resolve().parents[1]
SANDBOX_TABLES = {"pay_sandbox_trade", "pay_sandbox_refund"}
PRODUCTION = {"CAOYUAN_ENVIRONMENT": "production", "CAOYUAN_SECRET_KEY": "s" * 40, "CAOYUAN_PAYMENTS": "alipay"}


def alipay_keys() -> dict[str, str]:
    """Real Alipay settings (fresh keys): the CLI checks them before it touches the database."""
    app_key, alipay_key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
    return {
        "CAOYUAN_ALIPAY_APP_ID": "2021004100000001",
        "CAOYUAN_ALIPAY_SELLER_ID": "2088123412341234",
        "CAOYUAN_ALIPAY_APP_PRIVATE_KEY": private_pem_pkcs1(app_key),
        "CAOYUAN_ALIPAY_ALIPAY_PUBLIC_KEY": public_pem(alipay_key.public_key()),
    }


DEMO = {"CAOYUAN_ENVIRONMENT": "development", "CAOYUAN_PAYMENTS": "sandbox"}


@pytest.fixture
async def scratch_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    request.getfixturevalue("postgres_url")  # skips, or fails under REQUIRE_POSTGRES=1, when unreachable
    name = f"caoyuan_part_{uuid.uuid4().hex[:8]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def tables(url: str) -> set[str]:
    database = create_database(url, 1)
    try:
        async with database.engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names()))
    finally:
        await database.dispose()


def cli(url: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    environ = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "CAOYUAN_DATABASE_URL": url, **env}
    return subprocess.run(
        [sys.executable, "-m", "caoyuan", *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=300
    )


async def test_production_upgrade_makes_no_sandbox_tables_and_the_demo_one_adds_them(scratch_url: str) -> None:
    production = {**PRODUCTION, **alipay_keys()}
    done = cli(scratch_url, production, "db", "upgrade")
    assert done.returncode == 0, done.stderr[-2000:]
    made = await tables(scratch_url)
    assert not made & SANDBOX_TABLES
    assert {"user_account", "auth_token", "alembic_version"} <= made and len(made) > 20  # the rest is all there
    current = cli(scratch_url, production, "db", "current")  # the production database counts as migrated
    assert current.returncode == 0, current.stdout + current.stderr

    database = create_database(scratch_url, 1)
    try:
        state = await schema_state(database.engine)
        assert state.state == "current" and state.absent == {"sandbox"}
        await ensure_migrated(database, load_settings(**_lower(PRODUCTION)))  # production starts
        with pytest.raises(NotMigrated, match="sandbox"):  # the sandbox cashier would find no tables
            await ensure_migrated(database, load_settings(environment="test", payments="sandbox"))
    finally:
        await database.dispose()

    again = cli(scratch_url, DEMO, "db", "upgrade")  # the same database, now on demo settings
    assert again.returncode == 0, again.stderr[-2000:]
    assert SANDBOX_TABLES <= await tables(scratch_url)
    database = create_database(scratch_url, 1)
    try:
        state = await schema_state(database.engine)
        assert state.state == "current" and not state.absent
        await ensure_migrated(database, load_settings(environment="test", payments="sandbox"))
    finally:
        await database.dispose()


async def test_a_database_made_before_the_split_keeps_its_sandbox_rows(tmp_path: Path) -> None:
    """Before the sandbox had its own branch the kernel made its tables: the branch then only records
    itself, and the rows stay."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    upgrade(url, skip={"sandbox"})
    database = create_database(url, 1)
    try:
        from caoyuan.payments.sandbox.models import SandboxTrade

        async with database.engine.begin() as conn:
            await conn.run_sync(lambda sync: SandboxTrade.metadata.create_all(sync, tables=_sandbox_tables()))
            await conn.execute(sa.text(_old_trade_row()))
    finally:
        await database.dispose()
    upgrade(url)  # the sandbox branch meets tables that are already there
    database = create_database(url, 1)
    try:
        async with database.engine.connect() as conn:
            assert (await conn.execute(sa.text("SELECT count(*) FROM pay_sandbox_trade"))).scalar() == 1
        assert (await schema_state(database.engine)).state == "current"
    finally:
        await database.dispose()


def test_left_out_follows_the_payments_setting() -> None:
    assert left_out(load_settings(environment="test", payments="sandbox")) == frozenset()
    assert left_out(load_settings(environment="test", payments="alipay")) == {"sandbox"}
    assert left_out(load_settings(environment="test", payments="off")) == {"sandbox"}


def _lower(env: dict[str, str]) -> dict[str, str]:
    return {key.removeprefix("CAOYUAN_").lower(): value for key, value in env.items()}


def _sandbox_tables():  # type: ignore[no-untyped-def]
    from caoyuan.db.metadata import metadata

    return [metadata.tables[name] for name in ("pay_sandbox_trade", "pay_sandbox_refund")]


def _old_trade_row() -> str:
    return (
        "INSERT INTO pay_sandbox_trade (trade_no, app_id, out_trade_no, product, subject, total_fen, status,"
        " refunded_fen, notify_url, return_url, buyer_id, notify_id, notify_status, notify_attempts, notify_error,"
        " created_at) VALUES ('T1', 'app', 'o1', 'wap', 's', 100, 'WAIT_BUYER_PAY', 0, '', '', '', '', 'none', 0, '',"
        " '2026-11-01 00:00:00')"
    )
