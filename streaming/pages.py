"""草原村播 pages: rooms, the buyer's live room, and the host's console."""

from __future__ import annotations

import secrets
from datetime import datetime, time
from pathlib import Path

import sqlalchemy as sa
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import File, Redirect, Template

from caoyuan import clock
from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.bounds import COUNT_MAX, ID_MAX, IdParam, OptionalIdParam
from caoyuan.deps import AppSettings, Db
from caoyuan.errors import AppError, BadInput, NotFound
from caoyuan.feed import last_seq
from caoyuan.money import MoneyError, format_fen, parse_fen
from caoyuan.web.forms import refused_form
from caoyuan.web.responses import see_other
from storefront import links
from storefront.models import STATUS_LABELS, Product, Sku
from storefront.rules import PROVINCES
from storefront.schemas import PRICE_MAX_FEN, OrderIn
from storefront.services import waitlist
from streaming.feed import viewer_count
from streaming.models import (
    CONTENT_LINE_LABELS,
    RUN_OF_SHOW,
    RUN_OF_SHOW_LABELS,
    STATE_LABELS,
    LiveRoom,
    LiveRoomHost,
    LiveSession,
)
from streaming.services import analytics, flash_sale, presence, quote, sessions, shelf
from streaming.services.access import feed_stream, session_for_host
from streaming.services.intake import take_order
from streaming.services.top_up import top_up
from streaming.services.views import console_orders, session_view, sku_pictures

HOSTS = requires(Role.HOST, Role.ADMIN)


def _int(data: dict[str, str], name: str, label: str) -> int:
    """A whole number from a form, ASCII digits only, within ±COUNT_MAX (the rules then say what fits)."""
    text = data.get(name, "").strip()
    try:
        value = int(text) if text.isascii() and len(text) <= 12 else None
    except ValueError:
        value = None
    if value is None or abs(value) > COUNT_MAX:
        raise BadInput(f"请填写{label}（整数）", field=name)
    return value


def _id(data: dict[str, str], name: str, label: str) -> int:
    value = _id_or_none(data.get(name, ""))
    if value is None:
        raise BadInput(f"请选择{label}", field=name)
    return value


def _id_or_none(text: str) -> int | None:
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    value = int(text)
    return value if 1 <= value <= ID_MAX else None


def _fen(data: dict[str, str], name: str, label: str) -> int:
    try:
        value = parse_fen(data.get(name, "")[:20])
    except MoneyError:
        raise BadInput(f"请填写{label}（元，最多两位小数）", field=name) from None
    if value > PRICE_MAX_FEN:
        raise BadInput(f"{label}不能超过 {format_fen(PRICE_MAX_FEN)}", field=name)
    return value


def _back_to_item(data: dict[str, str]) -> dict[str, str]:
    """Reopen the chosen product after a refusal, when the form named a real id."""
    pool_id = _id_or_none(data.get("pool_id", ""))
    return {"item": str(pool_id)} if pool_id else {}


STATIC = Path(__file__).parent / "static"
_STATIC_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".webmanifest": "application/manifest+json",
}
# Only the files shipped in streaming/static, by exact name: nothing else on disk can be reached.
STATIC_FILES = {p.name: p for p in STATIC.iterdir() if p.suffix in _STATIC_TYPES} if STATIC.is_dir() else {}


class LivePages(Controller):
    path = "/live"
    include_in_schema = False

    @get("/static/{name:str}", cache=300)
    async def static(self, name: FromPath[str]) -> File:
        """The console's and live room's script, styles, manifest and icons (served by the domain itself)."""
        path = STATIC_FILES.get(name)
        if path is None:
            raise NotFound("文件不存在")
        return File(path, media_type=_STATIC_TYPES[path.suffix], content_disposition_type="inline")

    @get("/")
    async def rooms(self, db: Db) -> Template:
        rooms = (await db.scalars(sa.select(LiveRoom).order_by(LiveRoom.id))).all()
        upcoming = (
            await db.scalars(
                sa.select(LiveSession).where(LiveSession.state != "ended").order_by(LiveSession.scheduled_start)
            )
        ).all()
        return Template(
            "streaming/rooms.html",
            context={"rooms": rooms, "sessions": upcoming, "states": STATE_LABELS, "lines": CONTENT_LINE_LABELS},
        )

    @get("/{session_id:int}")
    async def live_room(
        self,
        request: Request,
        session_id: IdParam,
        db: Db,
        item: OptionalIdParam = None,
        wait: OptionalIdParam = None,
        notice: FromQuery[str | None] = None,
    ) -> Template:
        page = await room_context(db, request, session_id)
        # ?item= / ?wait= open the sheet without JavaScript (the card is a link)
        if item:
            page["form"] = {"pool_id": str(item), "mode": "buy"}
        elif wait:
            page["form"] = {"pool_id": str(wait), "mode": "wait"}
        page["notice"] = notice
        return Template("streaming/live_room.html", context=page)

    @post("/{session_id:int}/confirm")
    async def confirm(
        self, request: Request, session_id: IdParam, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Template:
        """Step two: goods, shipping and total, before Alipay. A refusal reopens the sheet as typed."""
        try:
            body = _order_in(data)
            shown = await quote.quote(db, session_id, body)
        except AppError as exc:
            return await _refused(db, request, session_id, exc, data)
        return _confirm_page(shown, data, session_id, data.get("order_key") or secrets.token_urlsafe(16))

    @post("/{session_id:int}/order")
    async def order(
        self,
        request: Request,
        session_id: IdParam,
        db: Db,
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
                return await _requote(db, request, session_id, exc, data)
            if exc.code == "sold_out":
                await db.rollback()
                left = await quote.pool_left(db, body.pool_id)
                exc = BadInput(f"只剩 {left} 件了，请改少一些" if left else "已售罄，可以登记候补", field="quantity")
            return await _refused(db, request, session_id, exc, data)
        return Redirect(links.pay_url(settings, placed.order.public_no), status_code=303)

    @post("/{session_id:int}/waitlist")
    async def waitlist(
        self, request: Request, session_id: IdParam, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Redirect | Template:
        try:
            entry, _ = await waitlist.join(
                db,
                _id(data, "pool_id", "商品"),
                data.get("phone", ""),
                _int(data, "quantity", "数量"),
                data.get("name", ""),
            )
        except AppError as exc:
            return await _refused(db, request, session_id, exc, {**data, "mode": "wait"})
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


async def _requote(db: Db, request: Request, session_id: int, exc: AppError, data: dict[str, str]) -> Template:
    """The confirm step again at the price that holds now, saying why; the buyer confirms once more."""
    try:
        shown = await quote.quote(
            db, session_id, _order_in({**data, "expected_price_fen": "", "expected_total_fen": ""})
        )
    except AppError as again:
        return await _refused(db, request, session_id, again, data)
    message = f"{shown.note or exc.message}：现价 {shown.unit_price}，合计 {shown.total}，请确认后再付款"
    return _confirm_page(shown, data, session_id, secrets.token_urlsafe(16), message)


def _expected_price(data: dict[str, str], name: str = "expected_price_fen") -> int | None:
    """A figure the confirm step showed (fen): the unit price or the total; the intake charges no other."""
    text = data.get(name, "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None


def _order_in(data: dict[str, str]) -> OrderIn:
    return OrderIn(
        pool_id=_id(data, "pool_id", "商品"),
        quantity=_int(data, "quantity", "数量"),
        phone=data.get("phone", ""),
        name=data.get("name", ""),
        province=data.get("province", ""),
        city=data.get("city", ""),
        county=data.get("county", ""),
        detail=data.get("detail", ""),
        expected_price_fen=_expected_price(data),
        expected_total_fen=_expected_price(data, "expected_total_fen"),
    )


async def _refused(db: Db, request: Request, session_id: int, exc: AppError, data: dict[str, str]) -> Template:
    """The live room again with the sheet open, what was typed kept, the message at its field."""
    if exc.field is None and exc.code in ("cap_reached", "sold_out"):
        exc.field = "quantity"
    form = {"mode": "buy", **data}
    return await refused_form(db, exc, "streaming/live_room.html", form, lambda: room_context(db, request, session_id))


async def room_context(db: Db, request: Request, session_id: int) -> dict:
    view = await session_view(db, session_id)
    items = {i.item_id: i for i in view.shelf}
    pictures = await sku_pictures(db, [i.sku_id for i in view.shelf])
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
            "url": f"{base}/live/{session_id}",
            "title": f"{view.title} · {view.room}",
            "description": f"正在直播：{pinned.product} {pinned.price}" if pinned else "草原村播：今天拍明天发",
            "image": base
            + (pictures.get(pinned.sku_id) if pinned and pictures.get(pinned.sku_id) else "/live/static/icon-512.png"),
        },
        "form": {},
        "errors": {},
        "error": None,
        "notice": None,
    }


class HostConsole(Controller):
    path = "/live/console"
    include_in_schema = False
    guards = [HOSTS]

    @get("/")
    async def home(self, request: Request, db: Db, error: FromQuery[str | None] = None) -> Template:
        user = request.user
        rooms_q = sa.select(LiveRoom).order_by(LiveRoom.id)
        if user.role != Role.ADMIN:
            rooms_q = rooms_q.join(LiveRoomHost, LiveRoomHost.room_id == LiveRoom.id).where(
                LiveRoomHost.user_id == user.id
            )
        rooms = (await db.scalars(rooms_q)).all()
        room_ids = [r.id for r in rooms]
        recent = (
            await db.scalars(
                sa.select(LiveSession)
                .where(LiveSession.room_id.in_(room_ids or [0]))
                .order_by(LiveSession.scheduled_start.desc())
                .limit(30)
            )
        ).all()
        stats = {room.id: await analytics.room_stats(db, room.id) for room in rooms}  # type: ignore[index]
        return Template(
            "streaming/console.html",
            context={
                "rooms": rooms,
                "sessions": recent,
                "states": STATE_LABELS,
                "lines": CONTENT_LINE_LABELS,
                "error": error,
                "stats": stats,
                "default_start": clock.beijing_now().strftime("%Y-%m-%dT%H:%M"),
            },
        )

    @post("/schedule")
    async def schedule(self, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]) -> Redirect:
        try:
            start = datetime.fromisoformat(data.get("scheduled_start", "")).replace(tzinfo=clock.BEIJING)
        except ValueError:
            return see_other("/live/console/", error="请填写开播时间")
        try:
            made = await sessions.schedule(
                db,
                request.user,
                room_id=_id(data, "room_id", "直播间"),
                title=data.get("title", ""),
                content_line=data.get("content_line", ""),
                scheduled_start=start,
                cutoff_local=time(22, 0),
            )
        except AppError as exc:
            await db.rollback()
            return see_other("/live/console/", error=exc.message)
        return see_other(f"/live/console/{made.id}")

    @get("/{session_id:int}")
    async def session_page(
        self,
        request: Request,
        session_id: IdParam,
        db: Db,
        error: FromQuery[str | None] = None,
        notice: FromQuery[str | None] = None,
        confirm_end: FromQuery[bool] = False,
    ) -> Template:
        page = await console_context(db, request, session_id)
        page.update(error=error, notice=notice, confirm_end=confirm_end)
        return Template("streaming/session.html", context=page)

    @post("/{session_id:int}/action")
    async def action(
        self, request: Request, session_id: IdParam, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Response | Redirect | Template:
        wants_json = request.headers.get("x-requested-with") == "fetch"
        what = data.get("action", "")
        if what == "end" and data.get("confirm") != "yes":
            # Ending closes the sale for every viewer: without the confirming field, ask first (the no-JS path).
            if wants_json:
                return Response({"ok": False, "message": "请先确认结束直播", "field": "confirm"}, status_code=409)
            return see_other(f"/live/console/{session_id}", confirm_end="1")
        try:
            message = await _act(db, request.user, session_id, what, data)
        except AppError as exc:
            if wants_json:
                await db.rollback()
                return Response({"ok": False, "message": exc.message, "field": exc.field}, status_code=exc.status)
            if what in ("flash", "shelf"):  # forms with typing in them: show them again, as typed
                return await refused_form(
                    db, exc, "streaming/session.html", data, lambda: console_context(db, request, session_id)
                )
            await db.rollback()
            return see_other(f"/live/console/{session_id}", error=exc.message)
        if wants_json:
            return Response({"ok": True, "message": message})
        return see_other(f"/live/console/{session_id}", notice=message)


async def console_context(db: Db, request: Request, session_id: int) -> dict:
    """Everything the host console shows; rebuilt after a refusal (objects from before a rollback expire)."""
    user = request.user
    await session_for_host(db, session_id, user)
    view = await session_view(db, session_id)
    skus = (
        await db.execute(
            sa.select(Sku, Product.name)
            .join(Product, Product.id == Sku.product_id)
            .where(Sku.active.is_(True), Sku.stock > 0)
            .order_by(Product.id, Sku.id)
        )
    ).all()
    return {
        "s": view,
        "items": {i.item_id: i for i in view.shelf},
        "states": STATE_LABELS,
        "skus": skus,
        "catalogue": {sku.id: sku.stock for sku, _ in skus},  # what one tap of 补货 can still draw on
        "top_up_step": TOP_UP_STEP,
        "orders": await console_orders(db, session_id),
        "steps": RUN_OF_SHOW,
        "last_seq": await last_seq(db, feed_stream(session_id)),
        "order_labels": STATUS_LABELS,
        "step_labels": RUN_OF_SHOW_LABELS,
        "stats": await analytics.session_stats(db, session_id),
        "viewers": await presence.viewers_online(db, session_id, viewer_count(session_id)),
        "may_ship": user.role == Role.ADMIN,  # the 发货台 is the cooperative's (admin); hosts see who ships
        "low_stock": LOW_STOCK,
        "error": None,
        "notice": None,
        "confirm_end": False,
        "form": {},
        "errors": {},
    }


LOW_STOCK = 5  # at or below this many left, a shelf item is flagged for the host
TOP_UP_STEP = 10  # one tap of 补货 moves this many from the catalogue (or what the catalogue has left)


async def _act(db: Db, user, session_id: int, what: str, data: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    """Run one console action; the message names what changed (for the toast or the notice line)."""
    if what == "start":
        session = await sessions.go_live(db, user, session_id)
        return f"已开播：{session.title}"
    if what == "end":
        await sessions.end(db, user, session_id)
        return "直播已结束：秒杀已关闭，未售库存已退回商品库"
    if what == "pin":
        raw = data.get("item_id", "")
        item_id = _id(data, "item_id", "讲解商品") if raw.strip() else None
        await shelf.pin(db, user, session_id, item_id)
        if item_id is None:
            return "已取消讲解"
        return f"讲解中：{await _item_label(db, session_id, item_id)}"
    if what == "tick":
        step = data.get("step", "")
        await shelf.tick(db, user, session_id, step)
        return f"已完成：{RUN_OF_SHOW_LABELS.get(step, step)}"
    if what == "shelf":
        quantity = _int(data, "quantity", "分配库存")
        item = await shelf.add_item(
            db,
            user,
            session_id,
            sku_id=_id(data, "sku_id", "规格"),
            price_fen=_fen(data, "price", "直播价"),
            quantity=quantity,
            per_buyer_cap=_int(data, "per_buyer_cap", "每人限购") if data.get("per_buyer_cap") else None,
        )
        return f"已上架：{await _item_label(db, session_id, item.id)}，{quantity} 件"
    if what == "flash":
        item_id = _id(data, "item_id", "商品")
        sale = await flash_sale.open_flash_sale(
            db,
            user,
            session_id,
            item_id=item_id,
            deal_price_fen=_fen(data, "deal_price", "秒杀价"),
            total_cap=_int(data, "total_cap", "秒杀总量"),
            per_buyer_cap=_int(data, "per_buyer_cap", "每人限购"),
            countdown_s=_int(data, "countdown_s", "倒计时"),
            window_min=_int(data, "window_min", "秒杀时长"),
        )
        label = await _item_label(db, session_id, item_id)
        return f"已开秒杀：{label} {format_fen(sale.deal_price_fen)}，{sale.total_cap} 件"
    if what == "top_up":
        item_id = _id(data, "item_id", "商品")
        quantity = _int(data, "quantity", "补货数量")
        left = await top_up(db, user, session_id, item_id, quantity)
        return f"已补货：{await _item_label(db, session_id, item_id)} +{quantity} 件，现剩 {left} 件"
    if what == "stop_flash":
        sale = await flash_sale.stop_flash_sale(db, user, session_id, _id(data, "sale_id", "秒杀"))
        return f"已停止秒杀：{await _item_label(db, session_id, sale.shelf_item_id)}，未抢完的退回货架"
    raise BadInput("未知操作", field="action")


async def _item_label(db: Db, session_id: int, item_id: int) -> str:
    view = await session_view(db, session_id)
    item = next((i for i in view.shelf if i.item_id == item_id), None)
    return f"{item.product} {item.sku}" if item else "商品"
