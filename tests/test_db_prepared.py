"""A hot Select as text compiled once: the same rows, the same Python types, casts kept, no cache key."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from caoyuan.db.prepared import as_text
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
