"""Without pool_pre_ping a connection the server dropped must still cost at most one failed request."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from caoyuan.db import create_database

pytestmark = pytest.mark.postgres_only


async def _pid(database) -> int:  # type: ignore[no-untyped-def]
    async with database.session() as session:
        return await session.scalar(text("SELECT pg_backend_pid()"))


async def test_a_terminated_connection_is_replaced_on_the_next_request(database_url: str, backend: str) -> None:
    assert backend == "postgres"
    database = create_database(database_url, 2)
    admin = create_database(database_url, 1)
    try:
        assert database.engine.pool._pre_ping is False  # the per-checkout round trip is gone

        async def hold() -> int:
            async with database.session() as session:
                pid = await session.scalar(text("SELECT pg_backend_pid()"))
                await asyncio.sleep(0.05)  # both connections are out at once, so both are pooled after
                return pid

        pooled = set(await asyncio.gather(hold(), hold()))
        assert len(pooled) == 2
        async with admin.session() as session:
            for pid in pooled:
                assert await session.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await asyncio.sleep(0.2)

        failures = 0
        for _ in range(2):  # the first use of a dead connection may fail, and it must be the only failure
            try:
                pid = await _pid(database)
                break
            except DBAPIError as exc:
                assert exc.connection_invalidated, exc
                failures += 1
        else:
            pytest.fail("the pool handed out a dead connection twice")
        assert failures <= 1
        assert pid not in pooled
        # The pool invalidated everything it held when it saw the disconnect: no other request fails.
        fresh = await asyncio.gather(hold(), hold(), _pid(database))
        assert not pooled & set(fresh)
    finally:
        await database.dispose()
        await admin.dispose()
