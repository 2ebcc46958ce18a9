"""A hot Select as text compiled once: the same rows, the same Python types, casts kept, no cache key."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from caoyuan.db import prepared
from caoyuan.db.prepared import as_text, fetch, for_driver
from caoyuan.db.types import UTCDateTime
from storefront.models import StockPool
from tests.factories.live import build


@pytest.mark.postgres_only
async def test_the_text_reads_what_the_select_reads(db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    select = sa.select(StockPool.id, StockPool.remaining, StockPool.open, StockPool.opens_at).where(
        StockPool.id == sa.bindparam("pool_id", type_=sa.Integer), StockPool.remaining >= sa.bindparam("at_least")
    )
    text = as_text(select)
    assert "CAST(:pool_id AS INTEGER)" in str(text)  # a typed parameter keeps its cast
    async with db.engine.connect() as conn:
        want = (await conn.execute(select, {"pool_id": sc.pool_id, "at_least": 1})).all()
        got = (await conn.execute(text, {"pool_id": sc.pool_id, "at_least": 1})).all()
    assert want and got == want
    assert [type(v) for v in got[0]] == [type(v) for v in want[0]]
    assert text._generate_cache_key() is not None


def test_what_text_would_lose_or_misread_is_refused() -> None:
    with pytest.raises(ValueError, match="literal %"):
        as_text(sa.select(sa.literal_column("'50%'").label("share")))
    with pytest.raises(ValueError, match="bound inside"):
        as_text(sa.select(sa.literal("x").label("tag")))


@pytest.mark.postgres_only
async def test_a_driver_statement_reads_what_sqlalchemy_reads_and_is_watched(db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    text = as_text(
        sa.select(StockPool.id, StockPool.remaining, StockPool.opens_at).where(
            StockPool.id == sa.bindparam("pool_id", type_=sa.Integer)
        )
    )
    driver = for_driver(text)
    assert driver.names == ("pool_id",) and "$1" in driver.sql
    seen: list[tuple[str, dict]] = []
    prepared.WATCHERS.append(lambda sql, params: seen.append((sql, params)))
    try:
        async with db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            want = (await conn.execute(text, {"pool_id": sc.pool_id})).one()
            got = await fetch(conn, driver, {"pool_id": sc.pool_id})
    finally:
        prepared.WATCHERS.clear()
    assert [tuple(row) for row in got] == [tuple(want)]
    assert got[0]["remaining"] == want.remaining == 5
    assert seen == [(driver.sql, {"pool_id": sc.pool_id})]


@pytest.mark.postgres_only
async def test_a_connection_found_closed_is_invalidated(db) -> None:
    driver = for_driver(sa.text("SELECT 1 AS one"))
    async with db.engine.connect() as conn:
        assert [row["one"] for row in await fetch(conn, driver, {})] == [1]
        await (await conn.get_raw_connection()).driver_connection.close()  # the server went away
        with pytest.raises(Exception, match="closed"):
            await fetch(conn, driver, {})
        assert conn.invalidated


def test_what_the_driver_would_not_process_is_refused() -> None:
    with pytest.raises(ValueError, match="bound inside"):
        for_driver(sa.select(sa.literal("x").label("tag")))
    with pytest.raises(ValueError, match="processes its value"):
        for_driver(sa.text("SELECT :at AS at").bindparams(sa.bindparam("at", type_=UTCDateTime)))
