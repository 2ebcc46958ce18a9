"""The buyer's pages: the list of rooms, the live room, the confirm step, the order and the waitlist.

The live room is what thousands of viewers open when a show starts. It reads no database per request: the
session's public view and pictures come from the per-process cache (``PublicViews``, at most a second old),
and a viewer who is not logged in and opened no product sheet gets bytes drawn once per cached view
(``room_html``): such a page holds nothing of any buyer. Everyone else gets the template drawn for them.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import File, Redirect, Template

from caoyuan.bounds import IdParam, OptionalIdParam
from caoyuan.deps import AppDatabase, AppSettings, Db
from caoyuan.errors import AppError, BadInput, NotFound
from caoyuan.money import format_fen
from caoyuan.web.csrf import EXCLUDE_CSRF, issue_token
from caoyuan.web.forms import refused_form
from caoyuan.web.responses import see_other
from storefront import links
from storefront.rules import PROVINCES
from storefront.schemas import OrderIn
from storefront.services import waitlist
from streaming.models import CONTENT_LINE_LABELS, STATE_LABELS
from streaming.pages import room_html
from streaming.pages.forms import id_field, int_field
from streaming.services import quote
from streaming.services.intake import take_order
from streaming.services.listings import rooms_and_upcoming
from streaming.services.views import PublicRoom, public_views

STATIC = Path(__file__).parent.parent / "static"
_STATIC_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".webmanifest": "application/manifest+json",
}
# Only the files shipped in streaming/static, by exact name: nothing else on disk can be reached.
STATIC_FILES = {p.name: p for p in STATIC.iterdir() if p.suffix in _STATIC_TYPES} if STATIC.is_dir() else {}
ROOM_TEMPLATE = "streaming/live_room.html"


class LivePages(Controller):
    path = "/live"
    include_in_schema = False

    @get("/static/{name:str}", cache=300, opt={EXCLUDE_CSRF: True})  # no token: see caoyuan.web.csrf
    async def static(self, name: FromPath[str]) -> File:
        """The console's and live room's script, styles, manifest and icons (served by the domain itself)."""
        path = STATIC_FILES.get(name)
        if path is None:
            raise NotFound("文件不存在")
        return File(path, media_type=_STATIC_TYPES[path.suffix], content_disposition_type="inline")

    @get("/")
    async def rooms(self, db: Db) -> Template:
        rooms, upcoming = await rooms_and_upcoming(db)
        return Template(
            "streaming/rooms.html",
            context={"rooms": rooms, "sessions": upcoming, "states": STATE_LABELS, "lines": CONTENT_LINE_LABELS},
        )

    @get("/{session_id:int}", opt={EXCLUDE_CSRF: True})  # a token only for a page that draws a form (below)
    async def live_room(
        self,
        request: Request,
        session_id: IdParam,
        database: AppDatabase,
        item: OptionalIdParam = None,
        wait: OptionalIdParam = None,
        notice: FromQuery[str | None] = None,
    ) -> Response | Template:
        room = await public_views(database).room(session_id)
        if not (item or wait or notice or request.scope.get("user")):
            return Response(room_html.page(request, room, ROOM_TEMPLATE, _room_context), media_type=MediaType.HTML)
        page = _room_context(request, room)
        # ?item= / ?wait= open the sheet without JavaScript (the card is a link)
        if item:
            page["form"] = {"pool_id": str(item), "mode": "buy"}
        elif wait:
            page["form"] = {"pool_id": str(wait), "mode": "wait"}
        page["notice"] = notice
        return Template(ROOM_TEMPLATE, context=page, cookies=issue_token(request))

    @post("/{session_id:int}/confirm")
    async def confirm(
        self,
        request: Request,
        session_id: IdParam,
        db: Db,
        database: AppDatabase,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template:
        """Step two: goods, shipping and total, before Alipay. A refusal reopens the sheet as typed."""
        try:
            body = _order_in(data)
            shown = await quote.quote(db, session_id, body)
        except AppError as exc:
            return await _refused(db, database, request, session_id, exc, data)
        return _confirm_page(shown, data, session_id, data.get("order_key") or secrets.token_urlsafe(16))

    @post("/{session_id:int}/order")
    async def order(
        self,
        request: Request,
        session_id: IdParam,
        db: Db,
        database: AppDatabase,
        settings: AppSettings,
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect | Template:
        try:
            body = _order_in(data)
            placed = await take_order(
                db, settings, session_id, body, data.get("order_key", ""), request.scope.get("user")
            )
        except AppError as exc:
            if exc.code in REQUOTE:  # the price shown is no longer the price: show the real one, charge nothing
                await db.rollback()
                return await _requote(db, database, request, session_id, exc, data)
            if exc.code == "sold_out":
                await db.rollback()
                left = await quote.pool_left(db, body.pool_id)
                exc = BadInput(f"只剩 {left} 件了，请改少一些" if left else "已售罄，可以登记候补", field="quantity")
            return await _refused(db, database, request, session_id, exc, data)
        if placed.created and placed.remaining is not None:  # this process's cached room shows the new stock
            public_views(database).sold(session_id, placed.order.pool_id, placed.remaining)  # type: ignore[arg-type]
        return Redirect(links.pay_url(settings, placed.order.public_no), status_code=303)

    @post("/{session_id:int}/waitlist")
    async def waitlist(
        self,
        request: Request,
        session_id: IdParam,
        db: Db,
        database: AppDatabase,
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect | Template:
        try:
            entry, _ = await waitlist.join(
                db,
                id_field(data, "pool_id", "商品"),
                data.get("phone", ""),
                int_field(data, "quantity", "数量"),
                data.get("name", ""),
            )
        except AppError as exc:
            return await _refused(db, database, request, session_id, exc, {**data, "mode": "wait"})
        return see_other(f"/live/{session_id}/waitlist/{entry.token}")

    @get("/{session_id:int}/waitlist/{token:str}")
    async def waiting(self, session_id: IdParam, token: FromPath[str], db: Db) -> Template:
        """A waiting buyer's own page: their place in line (bookmark it; the token is the key)."""
        place = await quote.waitlist_place(db, token[:40])
        if place is None:
            raise NotFound("没有这个候补登记")
        return Template("streaming/waiting.html", context={"w": place, "session_id": session_id})


# Refusals that mean "the price on the confirm step is stale" (a flash sale ended or its price moved).
REQUOTE = {"sale_closed", "price_changed", "not_on_sale"}


def _confirm_page(shown: quote.Quote, data: dict[str, str], session_id: int, key: str, error: str = "") -> Template:
    return Template(
        "streaming/live_confirm.html",
        context={"q": shown, "form": data, "session_id": session_id, "order_key": key, "error": error},
    )


async def _requote(
    db: Db, database: AppDatabase, request: Request, session_id: int, exc: AppError, data: dict[str, str]
) -> Template:
    """The confirm step again at the price that holds now, saying why; the buyer confirms once more."""
    try:
        shown = await quote.quote(
            db, session_id, _order_in({**data, "expected_price_fen": "", "expected_total_fen": ""})
        )
    except AppError as again:
        return await _refused(db, database, request, session_id, again, data)
    message = f"{shown.note or exc.message}：现价 {shown.unit_price}，合计 {shown.total}，请确认后再付款"
    return _confirm_page(shown, data, session_id, secrets.token_urlsafe(16), message)


def _expected_price(data: dict[str, str], name: str = "expected_price_fen") -> int | None:
    """A figure the confirm step showed (fen): the unit price or the total; the intake charges no other."""
    text = data.get(name, "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None


def _order_in(data: dict[str, str]) -> OrderIn:
    return OrderIn(
        pool_id=id_field(data, "pool_id", "商品"),
        quantity=int_field(data, "quantity", "数量"),
        phone=data.get("phone", ""),
        name=data.get("name", ""),
        province=data.get("province", ""),
        city=data.get("city", ""),
        county=data.get("county", ""),
        detail=data.get("detail", ""),
        expected_price_fen=_expected_price(data),
        expected_total_fen=_expected_price(data, "expected_total_fen"),
    )


async def _refused(
    db: Db, database: AppDatabase, request: Request, session_id: int, exc: AppError, data: dict[str, str]
) -> Template:
    """The live room again with the sheet open, what was typed kept, the message at its field."""
    if exc.field is None and exc.code in ("cap_reached", "sold_out"):
        exc.field = "quantity"
    form = {"mode": "buy", **data}

    async def context() -> dict:
        return _room_context(request, await public_views(database).room(session_id))

    return await refused_form(db, exc, ROOM_TEMPLATE, form, context)


def _room_context(request: Request, room: PublicRoom) -> dict:
    """What the live room shows, from the cached public view; the order key is the only value made here."""
    view, pictures = room.view, room.pictures
    items = {i.item_id: i for i in view.shelf}
    # 讲解中 first, then the shelf's order: what the host is talking about is on the first screen
    shelf = sorted(view.shelf, key=lambda i: not i.pinned)
    sales = [f for f in view.flash_sales if f.state != "closed"]
    pools = {
        i.pool_id: {
            "label": f"{i.product} {i.sku}",
            "price": i.price,
            "left": i.remaining,
            "cap": i.per_buyer_cap,
            "pic": pictures.get(i.sku_id, ""),
        }
        for i in view.shelf
    }
    for f in sales:
        it = items.get(f.item_id)
        pools[f.pool_id] = {
            "label": f"⚡ {it.product} {it.sku}" if it else "⚡ 秒杀",
            "price": format_fen(f.deal_price_fen),
            "left": f.remaining,
            "cap": f.per_buyer_cap,
            "pic": pictures.get(it.sku_id, "") if it else "",
        }
    base = str(request.base_url).rstrip("/")
    pinned = next((i for i in view.shelf if i.pinned), None)
    return {
        "s": view,
        "shelf": shelf,
        "sales": sales,
        "items": items,
        "pictures": pictures,
        "pools": pools,
        "states": STATE_LABELS,
        "provinces": PROVINCES,
        "order_key": secrets.token_urlsafe(16),
        "share": {
            "url": f"{base}/live/{view.id}",
            "title": f"{view.title} · {view.room}",
            "description": f"正在直播：{pinned.product} {pinned.price}" if pinned else "草原村播：今天拍明天发",
            "image": base + ((pictures.get(pinned.sku_id) if pinned else None) or "/live/static/icon-512.png"),
        },
        "form": {},
        "errors": {},
        "error": None,
        "notice": None,
    }
