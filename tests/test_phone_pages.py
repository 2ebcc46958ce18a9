"""The issue's page bullets that need no browser: og tags, favicon and the installable console's manifest and
icons; the order page's courier with a link to track; a logged-in buyer's orders by their phone number."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from storefront import links
from storefront.services import fulfil
from storefront.services.place_order import OrderRequest, place_order
from storefront.services.settle_payment import Notice, settle
from tests.factories.live import build
from tests.factories.shop import order_body

pytestmark = pytest.mark.usefixtures("backend")


def _meta(html: str, prop: str) -> str:
    found = re.search(rf'<meta property="{prop}" content="([^"]*)"', html)
    assert found, prop
    return found.group(1)


async def test_shared_links_carry_a_card_and_the_console_installs(client, db, make_user) -> None:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user)
    room = await client.get(f"/live/{sc.session_id}")
    assert room.status_code == 200
    assert "今晚羊肉专场" in _meta(room.text, "og:title")
    assert _meta(room.text, "og:description") and _meta(room.text, "og:image").startswith("http")
    assert _meta(room.text, "og:url").endswith(f"/live/{sc.session_id}")
    assert 'rel="icon"' in room.text and 'id="share"' in room.text and 'id="elder"' in room.text
    shop = await client.get("/shop/")
    assert _meta(shop.text, "og:title") and _meta(shop.text, "og:image").startswith("http")

    manifest = await client.get("/live/static/console.webmanifest")
    assert manifest.status_code == 200 and manifest.headers["content-type"].startswith("application/manifest+json")
    for icon in manifest.json()["icons"]:
        answer = await client.get(icon["src"])
        assert answer.status_code == 200 and answer.content[:8] == b"\x89PNG\r\n\x1a\n", icon["src"]
    assert (await client.get("/live/static/icon-32.png")).status_code == 200


async def _paid_order(db, sc, phone: str):  # type: ignore[no-untyped-def]
    async with db.session() as s:
        placed = await place_order(
            s,
            OrderRequest(
                pool_id=sc.pool_id,
                idempotency_key=f"pages-{phone}",
                live_session_id=sc.session_id,
                **order_body(quantity=2, phone=phone),  # type: ignore[arg-type]
            ),
            expiry=timedelta(minutes=15),
        )
        order = placed.order
        await settle(s, Notice(order.public_no, f"T{phone}", order.total_fen, "TRADE_SUCCESS"))
        return order.public_no


async def test_order_page_shows_the_courier_with_a_link_to_track(client, db, make_user, settings) -> None:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user)
    order_no = await _paid_order(db, sc, "13800000001")
    async with db.session() as s:
        await fulfil.mark_shipped(s, order_no, "顺丰速运", "SF1234567890")
    page = await client.get(links.status_url(settings, order_no))
    assert page.status_code == 200
    assert "阿尔巴斯羊肉" in page.text and "顺丰速运" in page.text and 'id="tracking-no">SF1234567890<' in page.text
    assert re.search(r'id="track"[^>]*>查看物流<', page.text)
    assert 'href="https://m.kuaidi100.com/result.jsp?nu=SF1234567890"' in page.text


async def test_a_logged_in_buyer_sees_every_order_placed_with_their_phone(
    client, db, make_user, login_page, settings
) -> None:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user)
    mine = await _paid_order(db, sc, "13712345678")
    theirs = await _paid_order(db, sc, "13700000000")
    await make_user("buyer", phone="13712345678")
    assert (await client.get("/shop/my-orders", follow_redirects=False)).status_code in (302, 303, 401)
    await login_page(client, "13712345678")
    page = await client.get("/shop/my-orders")
    assert page.status_code == 200
    assert links.status_url(settings, mine) in page.text.replace("&amp;", "&")
    assert theirs not in page.text  # someone else's phone, someone else's orders
    assert "阿尔巴斯羊肉" in page.text
