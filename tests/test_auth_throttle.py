"""Login throttling per account and address, exact under concurrency; password change; purges (issue 9, item 5)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from caoyuan import background
from caoyuan.app import create_app
from caoyuan.auth import service
from caoyuan.auth.models import AuthToken, LoginThrottle, UserAccount
from caoyuan.clock import frozen_at, now
from caoyuan.db import Database, create_database
from caoyuan.errors import Locked, Unauthorized
from tests.conftest import PASSWORD

OFFICE, STRANGER = "10.0.0.2", "203.0.113.9"


async def _try(db: Database, phone: str, password: str, source: str) -> str:
    """One login on its own connection: 'ok', 'wrong' (checked and refused) or 'locked'."""
    async with db.session() as session:
        try:
            await service.authenticate(session, phone, password, source=source)
        except Unauthorized:
            return "wrong"
        except Locked:
            return "locked"
    return "ok"


async def test_twenty_concurrent_wrong_passwords_check_five_and_lock(db: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13700000101")
    outcomes = await asyncio.gather(*(_try(db, "13700000101", "wrong-pass", STRANGER) for _ in range(20)))
    assert outcomes.count("wrong") == 4  # tries 1–4 checked; the 5th checked and locked; the rest never checked
    assert outcomes.count("locked") == 16
    assert await _try(db, "13700000101", PASSWORD, STRANGER) == "locked"  # right password straight after
    async with db.sessionmaker() as session:
        row = await session.scalar(sa.select(LoginThrottle).where(LoginThrottle.source == STRANGER))
        assert row is not None and row.locked_until is not None


async def test_a_stranger_cannot_lock_out_the_office(db: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13700000102")
    for _ in range(5):
        await _try(db, "13700000102", "wrong-pass", STRANGER)
    assert await _try(db, "13700000102", PASSWORD, STRANGER) == "locked"
    assert await _try(db, "13700000102", PASSWORD, OFFICE) == "ok"
    assert await _try(db, "13700000102", PASSWORD, STRANGER) == "locked"  # the stranger's lock holds


async def test_many_addresses_hit_the_account_cap(db: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13700000103")
    addresses = [f"198.51.100.{n}" for n in range(1, 6)]
    outcomes = await asyncio.gather(*(_try(db, "13700000103", "wrong-pass", a) for a in addresses for _ in range(5)))
    assert outcomes.count("wrong") + outcomes.count("locked") == 25
    assert await _try(db, "13700000103", PASSWORD, OFFICE) == "locked"  # 20 across addresses lock the account
    with frozen_at(now() + timedelta(minutes=15, seconds=1)):
        assert await _try(db, "13700000103", PASSWORD, OFFICE) == "ok"
    async with db.sessionmaker() as session:
        account = await session.scalar(sa.select(UserAccount).where(UserAccount.phone == "13700000103"))
        assert account is not None and account.failed_logins == 0 and account.locked_until is None


async def test_ten_concurrent_logins_over_http_all_succeed(client: AsyncTestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13700000104")
    answers = await asyncio.gather(
        *(client.post("/api/auth/token", json={"phone": "13700000104", "password": PASSWORD}) for _ in range(10))
    )
    assert [a.status_code for a in answers] == [201] * 10


async def test_changing_the_password_ends_every_other_login(
    settings,
    db: Database,
    make_user,
    login_page,  # type: ignore[no-untyped-def]
    login_api,
) -> None:
    await make_user("admin", phone="13700000105")
    apps = [create_app(settings, database=create_database(settings.database_url, 3)) for _ in range(2)]
    async with (
        AsyncTestClient(app=apps[0], base_url="http://testserver.local") as mine,
        AsyncTestClient(app=apps[1], base_url="http://testserver.local") as other,
    ):
        await login_page(mine, "13700000105")
        await login_page(other, "13700000105")
        token = await login_api(mine, "13700000105")
        csrf = mine.cookies.get("caoyuan_csrf") or ""
        changed = await mine.post(
            "/account/password",
            headers={"x-csrftoken": csrf},
            follow_redirects=False,
            data={"current": PASSWORD, "new": "new-pass-123", "confirm": "new-pass-123"},
        )
        assert changed.status_code == 303
        assert (await mine.get("/account/", follow_redirects=False)).status_code == 200  # this session stays
        assert (await other.get("/account/", follow_redirects=False)).status_code == 303  # to /login
        assert (await mine.get("/api/auth/me", headers=token)).status_code == 401
    async with db.sessionmaker() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(AuthToken)) == 1


async def test_the_purge_job_deletes_expired_logins_and_is_scheduled(settings, db: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    user = await make_user("admin", phone="13700000106")
    async with db.session() as session:
        session.add_all(
            [
                AuthToken(token_hash="a" * 64, user_id=user.id, kind="session", expires_at=now() - timedelta(hours=1)),
                AuthToken(token_hash="b" * 64, user_id=user.id, kind="api", expires_at=now() - timedelta(seconds=1)),
                AuthToken(token_hash="c" * 64, user_id=user.id, kind="session", expires_at=now() + timedelta(hours=1)),
                LoginThrottle(user_id=user.id, source=STRANGER, tries=2, updated_at=now() - timedelta(days=2)),
                LoginThrottle(
                    user_id=user.id,
                    source=OFFICE,
                    tries=0,
                    locked_until=now() + timedelta(minutes=5),
                    updated_at=now() - timedelta(days=2),
                ),
            ]
        )
    app = create_app(settings.with_overrides(background_tasks=True), database=create_database(settings.database_url, 3))
    async with AsyncTestClient(app=app, base_url="http://testserver.local"):
        names = {task.get_name() for task in app.state.get("caoyuan_background_tasks", [])}
        assert "caoyuan:purge-logins" in names
        await asyncio.sleep(0.5)  # the first round runs at start
    assert await background.purge_logins(app) == (0, 0)  # already done by the scheduled round
    async with db.sessionmaker() as session:
        assert set(await session.scalars(sa.select(AuthToken.token_hash))) == {"c" * 64}
        assert set(await session.scalars(sa.select(LoginThrottle.source))) == {OFFICE}  # still locked: kept
