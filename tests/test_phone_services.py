"""The reads and the one action the phone pages added, on SQLite and PostgreSQL: stopping a flash sale early,
the confirm step's quote (shipping before Alipay, "只剩 N 件"), and console order cards naming the item."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from caoyuan.errors import BadInput, Conflict
from storefront.models import StockPool
from storefront.schemas import OrderIn
from streaming.models import FlashSale
from streaming.services import flash_sale
from streaming.services.quote import quote
from streaming.services.views import console_orders
from tests.factories.live import build
from tests.factories.shop import order_body

pytestmark = pytest.mark.usefixtures("backend")


def _order(pool_id: int, quantity: int = 1) -> OrderIn:
    return OrderIn(pool_id=pool_id, **order_body(quantity=quantity))  # type: ignore[arg-type]


async def test_stopping_a_flash_sale_returns_its_stock_to_the_shelf(db, make_user) -> None:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user, shelf_qty=20, price_fen=8800)
    async with db.session() as s:
        sale = await flash_sale.open_flash_sale(
            s,
            sc.host,
            sc.session_id,
            item_id=sc.item_id,
            deal_price_fen=6600,
            total_cap=5,
            per_buyer_cap=1,
            countdown_s=10,
            window_min=5,
        )
        sale_id = sale.id
    async with db.session() as s:
        assert (await s.get(StockPool, sc.pool_id)).remaining == 15
        await flash_sale.stop_flash_sale(s, sc.host, sc.session_id, sale_id)
    async with db.session() as s:
        stopped = await s.get(FlashSale, sale_id)
        assert stopped.closed
        assert (await s.get(StockPool, stopped.pool_id)).open is False
        assert (await s.get(StockPool, sc.pool_id)).remaining == 20
        with pytest.raises(Conflict):
            await flash_sale.stop_flash_sale(s, sc.host, sc.session_id, sale_id)


async def test_quote_shows_shipping_and_how_many_are_left(db, make_user) -> None:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user, shelf_qty=14, price_fen=8800, shipping_kind="fixed", shipping_fen=1200)
    async with db.session() as s:
        shown = await quote(s, sc.session_id, _order(sc.pool_id, quantity=2))
        assert (shown.goods, shown.shipping, shown.total) == ("¥176.00", "¥12.00", "¥188.00")
        assert shown.total_fen == 2 * 8800 + 1200
        with pytest.raises(BadInput) as refused:
            await quote(s, sc.session_id, _order(sc.pool_id, quantity=30))
        assert refused.value.field == "quantity" and "只剩 14 件" in refused.value.message
        # a quote reserves nothing
        assert await s.scalar(sa.select(StockPool.remaining).where(StockPool.id == sc.pool_id)) == 14


async def test_console_cards_name_the_item(client, db, make_user) -> None:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user)
    made = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders",
        headers={"Idempotency-Key": "phone-card-1"},
        json={"pool_id": sc.pool_id, **order_body(quantity=2, phone="13800001234")},
    )
    assert made.status_code == 201, made.text
    async with db.session() as s:
        cards = await console_orders(s, sc.session_id)
    assert len(cards) == 1
    assert cards[0]["sku"] == "阿尔巴斯羊肉 后腿 2.5kg" and cards[0]["quantity"] == 2
    assert cards[0]["phone"] == "138****1234" and cards[0]["at"]


async def test_a_logged_in_buyer_sees_every_order_placed_with_their_phone(client, db, make_user, login_page) -> None:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user)
    buyer = await make_user("buyer", phone="13800004321")
    for n, phone in enumerate(("13800004321", "13800004321", "13900009999")):
        made = await client.post(
            f"/api/live/sessions/{sc.session_id}/orders",
            headers={"Idempotency-Key": f"my-orders-{n}-key"},
            json={"pool_id": sc.pool_id, **order_body(phone=phone)},
        )
        assert made.status_code == 201, made.text
    someone_elses = made.json()["order_no"]
    await login_page(client, buyer.phone)
    page = await client.get("/shop/my-orders")
    assert page.status_code == 200
    assert page.text.count('class="card mine"') == 2
    assert "阿尔巴斯羊肉" in page.text and someone_elses not in page.text
    # and their phone is already in the live room's order sheet
    room = await client.get(f"/live/{sc.session_id}?item={sc.pool_id}")
    assert 'value="13800004321"' in room.text


async def test_top_up_moves_catalogue_stock_onto_the_shelf_and_never_below_zero(db, make_user) -> None:  # type: ignore[no-untyped-def]
    from caoyuan.feed import last_seq
    from storefront.models import Sku
    from streaming.services.access import feed_stream
    from streaming.services.sessions import end
    from streaming.services.top_up import top_up

    sc = await build(db, make_user, stock=50, shelf_qty=20)  # 30 left in the catalogue
    async with db.session() as s:
        before = await last_seq(s, feed_stream(sc.session_id))
        assert await top_up(s, sc.host, sc.session_id, sc.item_id, 10) == 30
    async with db.session() as s:
        pool = await s.get(StockPool, sc.pool_id)
        assert (pool.remaining, pool.allocated) == (30, 30)
        assert (await s.get(Sku, sc.sku_id)).stock == 20
        assert await last_seq(s, feed_stream(sc.session_id)) == before + 1  # the new stock is on the feed
        with pytest.raises(Conflict) as refused:
            await top_up(s, sc.host, sc.session_id, sc.item_id, 21)
        assert refused.value.field == "quantity" and "只剩 20 件" in refused.value.message
    async with db.session() as s:
        assert (await s.get(Sku, sc.sku_id)).stock == 20 and (await s.get(StockPool, sc.pool_id)).remaining == 30
        await end(s, sc.host, sc.session_id)
    async with db.session() as s:
        with pytest.raises(Conflict):
            await top_up(s, sc.host, sc.session_id, sc.item_id, 1)


async def test_top_up_serves_the_waiting_buyers_first(db, make_user) -> None:  # type: ignore[no-untyped-def]
    """补货 on a sold-out item: the oldest 候补 buyer gets a hold on their units; only the rest go on sale."""
    from storefront.models import WaitlistEntry
    from storefront.services import waitlist
    from storefront.services.place_order import OrderRequest, place_order
    from streaming.services.top_up import top_up

    sc = await build(db, make_user, stock=50, shelf_qty=2)
    async with db.session() as s:
        body = order_body(phone="13800000061")
        await place_order(
            s, OrderRequest(pool_id=sc.pool_id, idempotency_key="top-up-sold-out-1", **{**body, "quantity": 2})
        )
    async with db.session() as s:
        entry, place = await waitlist.join(s, sc.pool_id, "13800000062", 3)
        assert place == 1 and (await s.get(StockPool, sc.pool_id)).remaining == 0
    async with db.session() as s:
        assert await top_up(s, sc.host, sc.session_id, sc.item_id, 10) == 7  # 3 held for the waiting buyer
    async with db.session() as s:
        held = await s.get(WaitlistEntry, entry.id)
        assert (held.status, held.held) == ("offered", 3)
        assert (await s.get(StockPool, sc.pool_id)).allocated == 12
