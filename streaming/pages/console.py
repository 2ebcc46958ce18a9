"""The host's console: schedule a show, run it (start, pin, shelf, flash sales, top-ups, end)."""

from __future__ import annotations

from datetime import datetime, time
from functools import partial

from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from caoyuan import clock
from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.bounds import IdParam
from caoyuan.db import after_commit
from caoyuan.deps import AppDatabase, Db
from caoyuan.errors import AppError, BadInput
from caoyuan.feed import last_seq
from caoyuan.money import format_fen
from caoyuan.web.forms import refused_form
from caoyuan.web.responses import see_other
from storefront.models import STATUS_LABELS
from streaming.feed import viewer_count
from streaming.models import CONTENT_LINE_LABELS, RUN_OF_SHOW, RUN_OF_SHOW_LABELS, STATE_LABELS
from streaming.pages.forms import fen_field, id_field, int_field
from streaming.services import analytics, flash_sale, presence, sessions, shelf
from streaming.services.access import feed_stream, session_for_host
from streaming.services.listings import host_rooms, recent_sessions, shelvable_skus
from streaming.services.top_up import top_up
from streaming.services.views import console_orders, public_views, session_view

HOSTS = requires(Role.HOST, Role.ADMIN)
LOW_STOCK = 5  # at or below this many left, a shelf item is flagged for the host
TOP_UP_STEP = 10  # one tap of 补货 moves this many from the catalogue (or what the catalogue has left)


class HostConsole(Controller):
    path = "/live/console"
    include_in_schema = False
    guards = [HOSTS]

    @get("/")
    async def home(self, request: Request, db: Db, error: FromQuery[str | None] = None) -> Template:
        rooms = await host_rooms(db, request.user)
        stats = {room.id: await analytics.room_stats(db, room.id) for room in rooms}  # type: ignore[index,arg-type]
        return Template(
            "streaming/console.html",
            context={
                "rooms": rooms,
                "sessions": await recent_sessions(db, [r.id for r in rooms]),  # type: ignore[misc]
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
                room_id=id_field(data, "room_id", "直播间"),
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
        self,
        request: Request,
        session_id: IdParam,
        db: Db,
        database: AppDatabase,
        data: URLEncodedBody[dict[str, str]],
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
        # The buyers' cached room (API and page) shows the change at once in this process, once it is durable.
        after_commit(
            db, partial(public_views(database).forget, session_id), key=("live_view", session_id), immediate=True
        )
        if wants_json:
            return Response({"ok": True, "message": message})
        return see_other(f"/live/console/{session_id}", notice=message)


async def console_context(db: Db, request: Request, session_id: int) -> dict:
    """Everything the host console shows; rebuilt after a refusal (objects from before a rollback expire)."""
    user = request.user
    await session_for_host(db, session_id, user)
    view = await session_view(db, session_id)
    skus = await shelvable_skus(db)
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
        item_id = id_field(data, "item_id", "讲解商品") if raw.strip() else None
        await shelf.pin(db, user, session_id, item_id)
        if item_id is None:
            return "已取消讲解"
        return f"讲解中：{await _item_label(db, session_id, item_id)}"
    if what == "tick":
        step = data.get("step", "")
        await shelf.tick(db, user, session_id, step)
        return f"已完成：{RUN_OF_SHOW_LABELS.get(step, step)}"
    if what == "shelf":
        return await _shelve(db, user, session_id, data)
    if what == "flash":
        return await _open_flash(db, user, session_id, data)
    if what == "top_up":
        item_id = id_field(data, "item_id", "商品")
        quantity = int_field(data, "quantity", "补货数量")
        left = await top_up(db, user, session_id, item_id, quantity)
        return f"已补货：{await _item_label(db, session_id, item_id)} +{quantity} 件，现剩 {left} 件"
    if what == "stop_flash":
        sale = await flash_sale.stop_flash_sale(db, user, session_id, id_field(data, "sale_id", "秒杀"))
        return f"已停止秒杀：{await _item_label(db, session_id, sale.shelf_item_id)}，未抢完的退回货架"
    raise BadInput("未知操作", field="action")


async def _shelve(db: Db, user, session_id: int, data: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    quantity = int_field(data, "quantity", "分配库存")
    item = await shelf.add_item(
        db,
        user,
        session_id,
        sku_id=id_field(data, "sku_id", "规格"),
        price_fen=fen_field(data, "price", "直播价"),
        quantity=quantity,
        per_buyer_cap=int_field(data, "per_buyer_cap", "每人限购") if data.get("per_buyer_cap") else None,
    )
    return f"已上架：{await _item_label(db, session_id, item.id)}，{quantity} 件"  # type: ignore[arg-type]


async def _open_flash(db: Db, user, session_id: int, data: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    item_id = id_field(data, "item_id", "商品")
    sale = await flash_sale.open_flash_sale(
        db,
        user,
        session_id,
        item_id=item_id,
        deal_price_fen=fen_field(data, "deal_price", "秒杀价"),
        total_cap=int_field(data, "total_cap", "秒杀总量"),
        per_buyer_cap=int_field(data, "per_buyer_cap", "每人限购"),
        countdown_s=int_field(data, "countdown_s", "倒计时"),
        window_min=int_field(data, "window_min", "秒杀时长"),
    )
    label = await _item_label(db, session_id, item_id)
    return f"已开秒杀：{label} {format_fen(sale.deal_price_fen)}，{sale.total_cap} 件"


async def _item_label(db: Db, session_id: int, item_id: int) -> str:
    view = await session_view(db, session_id)
    item = next((i for i in view.shelf if i.item_id == item_id), None)
    return f"{item.product} {item.sku}" if item else "商品"
