"""What the database refuses becomes a 409/422 with a Chinese message, on both databases (issue 9, item 3)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from litestar import post
from litestar.testing import AsyncTestClient

from caoyuan.app import create_app
from caoyuan.auth.models import AuthToken, UserAccount
from caoyuan.clock import now
from caoyuan.db import Database, create_database
from caoyuan.deps import Db

PHONE = "13912345678"


def _account(**changes: object) -> dict:
    return {
        "phone": PHONE,
        "display_name": "会计",
        "role": "admin",
        "password_hash": "x",
        "is_active": True,
        "failed_logins": 0,
        **changes,
    }


@post("/api/test/too-long")
async def too_long(db: Db) -> None:
    await db.execute(sa.insert(UserAccount).values(**_account(role="accountant!")))  # VARCHAR(16) is 11 ok
    await db.execute(sa.insert(UserAccount).values(**_account(phone="139000000019", role="x")))  # 12 > 11


@post("/api/test/missing-reference")
async def missing_reference(db: Db) -> None:
    db.add(AuthToken(token_hash="f" * 64, user_id=987654, kind="api", expires_at=now()))
    await db.flush()


@post("/api/test/duplicate")
async def duplicate(db: Db) -> None:
    db.add(UserAccount(**_account()))
    db.add(UserAccount(**_account(display_name="另一个")))  # flushed by the commit after the handler


@post("/api/test/huge-number")
async def huge_number(db: Db) -> None:
    await db.execute(sa.insert(UserAccount).values(**_account(failed_logins=2**70)))


@post("/api/test/ok-then-duplicate")
async def ok_then_duplicate(db: Db) -> None:
    db.add(UserAccount(**_account(phone="13900000001")))
    await db.flush()
    await db.execute(sa.insert(UserAccount).values(**_account(phone="13900000001", display_name="又一个")))


@post("/account/test/duplicate")
async def page_duplicate(db: Db) -> None:
    await db.execute(sa.insert(UserAccount).values(**_account()))
    await db.execute(sa.insert(UserAccount).values(**_account()))


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
async def app_client(settings, db: Database) -> AsyncIterator[AsyncTestClient]:  # type: ignore[no-untyped-def]
    app = create_app(
        settings.with_overrides(check_migrations=False), database=create_database(settings.database_url, 3)
    )
    for handler in (too_long, missing_reference, duplicate, huge_number, ok_then_duplicate, page_duplicate):
        app.register(handler)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield client


async def _accounts(db: Database) -> int:
    async with db.sessionmaker() as session:
        return await session.scalar(sa.select(sa.func.count()).select_from(UserAccount))  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("path", "status", "code", "words"),
    [
        ("/api/test/too-long", 422, "too_long", "太长"),
        ("/api/test/missing-reference", 422, "reference_missing", "引用的记录不存在"),
        ("/api/test/duplicate", 409, "duplicate", "已存在"),
        ("/api/test/huge-number", 422, "out_of_range", "超出"),
        ("/api/test/ok-then-duplicate", 409, "duplicate", "已存在"),
    ],
)
async def test_a_refusal_is_a_4xx_with_a_message_and_nothing_stays(
    app_client: AsyncTestClient, db: Database, path: str, status: int, code: str, words: str
) -> None:
    collected = _Collect()
    logger = logging.getLogger("caoyuan.errors")
    logger.addHandler(collected)
    try:
        answer = await app_client.post(path)
    finally:
        logger.removeHandler(collected)
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code and words in answer.json()["message"]
    assert await _accounts(db) == 0  # the request's transaction was rolled back
    warnings = [r for r in collected.records if r.levelno == logging.WARNING]
    assert warnings and all(r.levelno < logging.ERROR for r in collected.records)
    logged = " ".join(r.getMessage() for r in collected.records)
    assert PHONE not in logged and "13900000001" not in logged and str(2**70) not in logged


async def test_pages_show_the_refusal_as_a_page(app_client: AsyncTestClient) -> None:
    await app_client.get("/login")
    csrf = app_client.cookies.get("caoyuan_csrf") or ""
    answer = await app_client.post("/account/test/duplicate", headers={"x-csrftoken": csrf, "accept": "text/html"})
    assert answer.status_code == 409
    assert "已存在" in answer.text and "<html" in answer.text.lower()
