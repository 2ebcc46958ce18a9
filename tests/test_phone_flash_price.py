"""The confirm step and the flash-sale window: the buyer is charged what the confirm step showed, never more.

A flash card tapped after its window closed (or its units ran out) is quoted at the live price with a note;
an order confirmed at the deal price whose sale ended in between is refused, nothing is charged, and the
confirm step comes back with the real price to confirm again. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from caoyuan.db import utcnow
from caoyuan.errors import Conflict
from storefront.models import Order, StockPool
from storefront.schemas import OrderIn
from streaming.models import FlashSale
from streaming.services import flash_sale
from streaming.services.quote import quote
from tests.factories.live import build
from tests.factories.shop import order_body

pytestmark = pytest.mark.usefixtures("backend")


async def _sale(db, sc, *, total_cap: int = 5, running: bool = True) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """A flash sale at ¥66 on the ¥88 item; ``running`` moves its countdown into the past (it sells now)."""
    async with db.session() as s:
        sale = await flash_sale.open_flash_sale(
            s,
            sc.host,
            sc.session_id,
            item_id=sc.item_id,
            deal_price_fen=6600,
            total_cap=total_cap,
            per_buyer_cap=2,
            countdown_s=10,
            window_min=5,
        )
        sale_id, pool_id = sale.id, sale.pool_id
    if running:
        await _shift(db, sale_id, opens=-timedelta(seconds=30))
    return sale_id, pool_id


async def _shift(db, sale_id: int, *, opens: timedelta | None = None, closes: timedelta | None = None) -> None:  # type: ignore[no-untyped-def]
    """Move a sale's window relative to now (the sale and its pool together, as the service writes them)."""
    async with db.session() as s:
        sale = await s.get(FlashSale, sale_id)
        pool = await s.get(StockPool, sale.pool_id)
        if opens is not None:
            sale.opens_at = pool.opens_at = utcnow() + opens
        if closes is not None:
            sale.closes_at = pool.closes_at = utcnow() + closes


def _body(pool_id: int, quantity: int = 1) -> OrderIn:
    return OrderIn(pool_id=pool_id, **order_body(quantity=quantity))  # type: ignore[arg-type]


async def test_quote_of_a_running_flash_sale_is_the_deal_price(db, make_user) -> None:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user, shelf_qty=20, price_fen=8800)
    _, flash_pool = await _sale(db, sc)
    async with db.session() as s:
        shown = await quote(s, sc.session_id, _body(flash_pool, 2))
    assert (shown.pool_id, shown.unit_price_fen, shown.total_fen, shown.note) == (flash_pool, 6600, 13200, "")


async def test_quote_after_the_window_closed_is_the_live_price_and_says_so(db, make_user) -> None:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user, shelf_qty=20, price_fen=8800)
    sale_id, flash_pool = await _sale(db, sc)
    await _shift(db, sale_id, closes=-timedelta(seconds=1))  # ended, the ticker has not closed it yet
    async with db.session() as s:
        shown = await quote(s, sc.session_id, _body(flash_pool, 2))
    assert (shown.pool_id, shown.unit_price_fen, shown.total_fen) == (sc.pool_id, 8800, 17600)
    assert "秒杀已结束" in shown.note


async def test_quote_of_a_stopped_or_sold_out_sale_is_the_live_price(db, make_user) -> None:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user, shelf_qty=20, price_fen=8800)
    sale_id, flash_pool = await _sale(db, sc)
    async with db.session() as s:
        await s.execute(sa.update(StockPool).where(StockPool.id == flash_pool).values(remaining=0))
    async with db.session() as s:
        shown = await quote(s, sc.session_id, _body(flash_pool))
    assert (shown.pool_id, shown.unit_price_fen, shown.note) == (sc.pool_id, 8800, "秒杀已抢完，按直播价计算")
    async with db.session() as s:
        await flash_sale.stop_flash_sale(s, sc.host, sc.session_id, sale_id)
    async with db.session() as s:
        shown = await quote(s, sc.session_id, _body(flash_pool))
    assert (shown.pool_id, shown.unit_price_fen) == (sc.pool_id, 8800) and "秒杀已结束" in shown.note


async def test_quote_before_the_countdown_ends_says_when(db, make_user) -> None:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user, shelf_qty=20, price_fen=8800)
    _, flash_pool = await _sale(db, sc, running=False)
    async with db.session() as s:
        with pytest.raises(Conflict) as refused:
            await quote(s, sc.session_id, _body(flash_pool))
    assert re.search(r"秒杀还没开始，\d+ 秒后开抢", refused.value.message)


def _csrf(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, name
    return found.group(1)


async def _orders(db) -> list[Order]:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        return list((await s.scalars(sa.select(Order))).all())


async def test_a_sale_that_ends_after_the_confirm_step_charges_nothing_and_shows_the_real_price(
    client, db, make_user
) -> None:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user, shelf_qty=20, price_fen=8800)
    sale_id, flash_pool = await _sale(db, sc)
    await client.get(f"/live/{sc.session_id}?item={sc.pool_id}")  # the sheet issues the CSRF token
    form = {k: str(v) for k, v in order_body(quantity=2).items()} | {"pool_id": str(flash_pool)}
    step = await client.post(f"/live/{sc.session_id}/confirm", data=form, headers=_csrf(client))
    assert step.status_code == 200 and 'id="total">¥132.00<' in step.text
    confirmed = {k: _hidden(step.text, k) for k in ("pool_id", "expected_price_fen", "order_key")}
    assert confirmed["expected_price_fen"] == "6600"

    async with db.session() as s:  # the host stops the sale while the buyer reads the confirm step
        await flash_sale.stop_flash_sale(s, sc.host, sc.session_id, sale_id)
    again = await client.post(
        f"/live/{sc.session_id}/order", data=form | confirmed, headers=_csrf(client), follow_redirects=False
    )
    assert again.status_code == 200, again.text[:300]  # not a redirect to the cashier
    assert "秒杀已结束" in again.text and 'id="total">¥176.00<' in again.text
    assert _hidden(again.text, "pool_id") == str(sc.pool_id)
    assert _hidden(again.text, "expected_price_fen") == "8800"
    assert await _orders(db) == []

    # confirming the shown live price places the order at exactly that price
    reconfirmed = {k: _hidden(again.text, k) for k in ("pool_id", "expected_price_fen", "order_key")}
    placed = await client.post(
        f"/live/{sc.session_id}/order", data=form | reconfirmed, headers=_csrf(client), follow_redirects=False
    )
    assert placed.status_code == 303, placed.text[:300]
    [order] = await _orders(db)
    assert (order.pool_id, order.unit_price_fen, order.total_fen) == (sc.pool_id, 8800, 17600)


async def test_an_order_never_costs_more_than_the_confirm_step_showed(client, db, make_user) -> None:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user, shelf_qty=20, price_fen=8800)
    await client.get(f"/live/{sc.session_id}?item={sc.pool_id}")  # the sheet issues the CSRF token
    form = {k: str(v) for k, v in order_body().items()} | {"pool_id": str(sc.pool_id), "order_key": "k" * 20}
    stale = await client.post(
        f"/live/{sc.session_id}/order",
        data=form | {"expected_price_fen": "7700"},  # what a stale confirm step showed
        headers=_csrf(client),
        follow_redirects=False,
    )
    assert stale.status_code == 200 and "价格已变化" in stale.text and 'id="total">¥88.00<' in stale.text
    assert await _orders(db) == []


async def test_a_shipping_fee_changed_after_the_confirm_step_is_not_charged(client, db, make_user) -> None:  # type: ignore[no-untyped-def]
    """The total the confirm step showed (goods + shipping) is what an order may cost: a fee raised in between
    is refused, nothing is written, and the confirm step comes back with the new total to confirm."""
    from storefront.models import Product, Sku

    sc = await build(db, make_user, shelf_qty=20, price_fen=8800, shipping_kind="fixed", shipping_fen=1200)
    await client.get(f"/live/{sc.session_id}?item={sc.pool_id}")  # the sheet issues the CSRF token
    form = {k: str(v) for k, v in order_body().items()} | {"pool_id": str(sc.pool_id)}
    step = await client.post(f"/live/{sc.session_id}/confirm", data=form, headers=_csrf(client))
    assert step.status_code == 200 and 'id="total">¥100.00<' in step.text
    confirmed = {k: _hidden(step.text, k) for k in ("pool_id", "expected_price_fen", "expected_total_fen", "order_key")}
    assert confirmed["expected_total_fen"] == "10000"
    async with db.session() as s:  # the office raises the fee while the buyer reads the confirm step
        product_id = (await s.get(Sku, sc.sku_id)).product_id
        await s.execute(sa.update(Product).where(Product.id == product_id).values(shipping_fen=2000))
    again = await client.post(
        f"/live/{sc.session_id}/order", data=form | confirmed, headers=_csrf(client), follow_redirects=False
    )
    assert again.status_code == 200 and "¥108.00" in again.text and _hidden(again.text, "expected_total_fen") == "10800"
    assert await _orders(db) == []
    reconfirmed = {k: _hidden(again.text, k) for k in confirmed}
    placed = await client.post(
        f"/live/{sc.session_id}/order", data=form | reconfirmed, headers=_csrf(client), follow_redirects=False
    )
    assert placed.status_code == 303, placed.text[:300]
    [order] = await _orders(db)
    assert (order.shipping_fen, order.total_fen) == (2000, 10800)
