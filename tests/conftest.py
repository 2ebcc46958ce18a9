"""Test harness: every database test runs on SQLite and, when reachable, on PostgreSQL.

* SQLite: one migrated template file per session, copied for each test (isolated, fast).
* PostgreSQL: one database per test session (``caoyuan_test_<pid>``) migrated once; each test
  starts from empty tables (TRUNCATE … RESTART IDENTITY).
* ``REQUIRE_POSTGRES=1`` turns an unreachable PostgreSQL into a failure instead of a skip.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from caoyuan.app import create_app
from caoyuan.auth import passwords
from caoyuan.auth.models import UserAccount
from caoyuan.auth.service import create_user
from caoyuan.db import Database, create_database
from caoyuan.db.metadata import load_all_models, metadata
from caoyuan.db.migrate import upgrade
from caoyuan.settings import load_settings

PG_URL = os.environ.get("CAOYUAN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
PASSWORD = "correct-horse-9"

passwords.use_fast_hashing_for_tests()
load_all_models()


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"postgres: {make_url(PG_URL).render_as_string(hide_password=True)} (required={REQUIRE_POSTGRES})"]


# ---------------------------------------------------------------- database URLs


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


async def _pg_reachable(url: str) -> str | None:
    import asyncpg

    try:
        conn = await asyncio.wait_for(
            asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)), timeout=5
        )
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable", reported in words
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


def _blocking(coro):  # type: ignore[no-untyped-def]
    """Run a coroutine to completion on its own loop (for sync session fixtures)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    problem = _blocking(_pg_reachable(PG_URL))
    if problem:
        message = f"PostgreSQL not reachable at {make_url(PG_URL).render_as_string()} ({problem})"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " and REQUIRE_POSTGRES=1")
        pytest.skip(message + "; set CAOYUAN_TEST_POSTGRES_URL or start PostgreSQL")
    name = f"caoyuan_test_{os.getpid()}"
    _blocking(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    _blocking(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _pg_admin(*statements: str) -> None:
    admin = create_database(PG_URL, 1)
    async with admin.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        for statement in statements:
            await conn.execute(text(statement))
    await admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        if request.node.get_closest_marker("postgres_only"):
            pytest.skip("PostgreSQL only: this test proves behaviour with concurrent PostgreSQL connections")
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copy(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_url")
    yield url
    await _truncate_all(url)


async def _truncate_all(url: str) -> None:
    database = create_database(url, 1)
    async with database.engine.begin() as conn:
        existing = set(
            (await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))).scalars()
        )
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables if t.name in existing)
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await database.dispose()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = create_database(database_url, 5)
    yield database
    await database.dispose()


@pytest.fixture
async def wide(database_url: str) -> AsyncIterator[Database]:
    """A second engine on the same database with room for 24 connections at once (for races, tests/races.py)."""
    database = create_database(database_url, 12)
    yield database
    await database.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_settings(
        database_url=database_url,
        environment="test",
        secret_key="t" * 40,
        payments="sandbox",
        public_base_url="http://testserver.local",
        background_tasks=False,
        media_dir=str(tmp_path / "media"),
    )


@pytest.fixture
async def client(settings, db: Database) -> AsyncIterator[AsyncTestClient]:  # type: ignore[no-untyped-def]
    app = create_app(settings, database=create_database(settings.database_url, 5))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


# ---------------------------------------------------------------- people


MakeUser = Callable[..., Awaitable[UserAccount]]


@pytest.fixture
def make_user(db: Database) -> MakeUser:
    counter = iter(range(1, 10_000))

    async def make(
        role: str = "admin", phone: str | None = None, password: str = PASSWORD, name: str = ""
    ) -> UserAccount:
        phone = phone or f"139{next(counter):08d}"
        async with db.session() as session:
            return await create_user(
                session, phone=phone, password=password, role=role, display_name=name or f"{role}-{phone[-4:]}"
            )

    return make


async def api_token(client: AsyncTestClient, phone: str, password: str = PASSWORD) -> dict[str, str]:
    response = await client.post("/api/auth/token", json={"phone": phone, "password": password})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def page_login(client: AsyncTestClient, phone: str, password: str = PASSWORD) -> None:
    """Log in through the form, with the CSRF cookie a browser would carry."""
    await client.get("/login")
    csrf = client.cookies.get("caoyuan_csrf")
    response = await client.post(
        "/login",
        data={"phone": phone, "password": password, "next": "/"},
        headers={"x-csrftoken": csrf or ""},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def login_api():  # type: ignore[no-untyped-def]
    return api_token


@pytest.fixture
def login_page():  # type: ignore[no-untyped-def]
    return page_login


# The real-server and browser fixtures live with their helpers in tests/browser.py.
from tests.browser import browser, serve, server  # noqa: E402, F401


@pytest.fixture
def cluster(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Two app nodes behind nginx on PgBouncer, real processes (tests/ops_cluster.py; PostgreSQL only)."""
    from tests.ops_cluster import running_cluster  # only the ops tests pay for importing it

    with running_cluster(database_url, tmp_path) as made:
        yield made
