"""The buyer's live-room page reads the cached public view: no buyer sees another's data, changes show in a second."""

from __future__ import annotations

import re
import uuid

import sqlalchemy as sa

from storefront.models import StockPool
from streaming.services import views
from tests.factories.live import build
from tests.factories.shop import order_body


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def _stock(html: str, pool_id: int) -> int:
    found = re.search(rf'data-pool="{pool_id}">(\d+)<', html)
    assert found, "the shelf card shows its stock"
    return int(found.group(1))


async def _page(client, session_id: int, query: str = "") -> str:  # type: ignore[no-untyped-def]
    response = await client.get(f"/live/{session_id}{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*? value="([^"]*)"', html)
    assert found, f"the page has a {name} field"
    return found.group(1)


async def test_two_buyers_never_see_each_others_page(client, db, make_user, login_page, monkeypatch) -> None:
    sc = await build(db, make_user, shelf_qty=10)
    monkeypatch.setattr(views, "time", _Clock())  # one cached view throughout: only the page's own parts differ
    first, again = await _page(client, sc.session_id), await _page(client, sc.session_id)
    assert first == again and "_csrf_token" not in first and 'name="order_key"' not in first
    alice = await make_user("buyer", phone="13811110001", name="买家阿拉坦")
    bella = await make_user("buyer", phone="13811110002", name="买家巴雅尔")

    await login_page(client, alice.phone)
    alice_room = await _page(client, sc.session_id)
    alice_sheet = await _page(client, sc.session_id, f"?item={sc.pool_id}")
    alice_csrf = client.cookies.get("caoyuan_csrf")
    assert "买家阿拉坦" in alice_room and "我的订单" in alice_room
    assert _hidden(alice_sheet, "phone") == alice.phone and _hidden(alice_sheet, "_csrf_token") == alice_csrf

    client.cookies.clear()
    anonymous = await _page(client, sc.session_id)
    assert anonymous == first  # the shared page, drawn before anyone logged in, and nothing of Alice's in it
    assert "买家阿拉坦" not in anonymous and alice.phone not in anonymous and "我的订单" not in anonymous

    await login_page(client, bella.phone)
    bella_room = await _page(client, sc.session_id)
    bella_sheet = await _page(client, sc.session_id, f"?item={sc.pool_id}")
    assert "买家巴雅尔" in bella_room and "买家阿拉坦" not in bella_room + bella_sheet
    assert _hidden(bella_sheet, "phone") == bella.phone and alice.phone not in bella_sheet
    assert _hidden(bella_sheet, "_csrf_token") == client.cookies.get("caoyuan_csrf") != alice_csrf
    assert _hidden(bella_sheet, "order_key") != _hidden(alice_sheet, "order_key")


async def test_stock_changed_elsewhere_shows_within_a_second(client, db, make_user, monkeypatch) -> None:
    sc = await build(db, make_user, shelf_qty=10)
    clock = _Clock()
    monkeypatch.setattr(views, "time", clock)
    assert _stock(await _page(client, sc.session_id), sc.pool_id) == 10
    async with db.session() as s:  # sold by another process (here: straight in the database)
        await s.execute(sa.update(StockPool).where(StockPool.id == sc.pool_id).values(remaining=4))
    clock.now += views.PUBLIC_TTL_S - 0.01
    assert _stock(await _page(client, sc.session_id), sc.pool_id) == 10  # within the second: the cached page
    clock.now += 0.02
    assert _stock(await _page(client, sc.session_id), sc.pool_id) == 4  # a second old: drawn again


async def test_an_order_or_a_host_change_in_this_process_shows_at_once(
    client, db, make_user, login_page, monkeypatch
) -> None:
    sc = await build(db, make_user, shelf_qty=10)
    monkeypatch.setattr(views, "time", _Clock())  # time stands still: only the events below may change the page
    page = await _page(client, sc.session_id)
    assert _stock(page, sc.pool_id) == 10 and "讲解中" not in page
    made = await client.post(
        f"/api/live/sessions/{sc.session_id}/orders",
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"pool_id": sc.pool_id, **order_body(quantity=3)},
    )
    assert made.status_code == 201, made.text
    assert _stock(await _page(client, sc.session_id), sc.pool_id) == 7
    await login_page(client, sc.host.phone)
    pinned = await client.post(
        f"/live/console/{sc.session_id}/action",
        data={"action": "pin", "item_id": str(sc.item_id)},
        headers={"x-csrftoken": client.cookies.get("caoyuan_csrf") or "", "x-requested-with": "fetch"},
    )
    assert pinned.status_code == 201 and pinned.json()["ok"], pinned.text
    client.cookies.clear()  # as a viewer who is not logged in: the shared page
    assert "讲解中" in await _page(client, sc.session_id)


async def test_the_shared_page_sets_no_token_and_the_sheet_still_posts(client, db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=10)
    shared = await client.get(f"/live/{sc.session_id}")
    assert shared.status_code == 200 and "set-cookie" not in shared.headers and not client.cookies.get("caoyuan_csrf")
    sheet = await client.get(f"/live/{sc.session_id}?item={sc.pool_id}")
    token = client.cookies.get("caoyuan_csrf")
    assert token and _hidden(sheet.text, "_csrf_token") == token  # the sheet issues the token, as the middleware would
    again = await client.get(f"/live/{sc.session_id}?item={sc.pool_id}")
    assert "set-cookie" not in again.headers and _hidden(again.text, "_csrf_token") == token  # kept, not replaced
    form = {"pool_id": str(sc.pool_id), **{k: str(v) for k, v in order_body(quantity=1).items()}}
    confirmed = await client.post(f"/live/{sc.session_id}/confirm", data={**form, "_csrf_token": token})
    assert confirmed.status_code == 200, confirmed.text
    client.cookies.clear()
    forged = await client.post(f"/live/{sc.session_id}/confirm", data={**form, "_csrf_token": token})
    assert forged.status_code == 403  # without the cookie the POST is still refused by the middleware


async def test_the_rooms_cached_files_hand_no_visitor_anothers_token(client, db, make_user) -> None:
    """The room's script and styles are cached for every visitor: they must carry no CSRF cookie, or the first
    visitor's would replace each later visitor's own, and the sheet they opened would be refused (403)."""
    sc = await build(db, make_user, shelf_qty=10)
    first = await client.get("/live/static/room.js")  # the first visitor, with no cookie: the entry is cached
    assert first.status_code == 200 and "set-cookie" not in first.headers
    client.cookies.clear()
    sheet = await client.get(f"/live/{sc.session_id}?item={sc.pool_id}")  # the next visitor opens a sheet …
    token = client.cookies.get("caoyuan_csrf")
    assert token and _hidden(sheet.text, "_csrf_token") == token
    for name in ("room.js", "live.css"):  # … and the page loads its files, the script from the cache
        loaded = await client.get(f"/live/static/{name}")
        assert loaded.status_code == 200 and "set-cookie" not in loaded.headers, name
    assert client.cookies.get("caoyuan_csrf") == token
    form = {"pool_id": str(sc.pool_id), **{k: str(v) for k, v in order_body(quantity=1).items()}}
    confirmed = await client.post(f"/live/{sc.session_id}/confirm", data={**form, "_csrf_token": token})
    assert confirmed.status_code == 200, confirmed.text
