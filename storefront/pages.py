"""Storefront pages: the catalogue, a guest's order status and payment, and the cooperative's fulfilment desk."""

from __future__ import annotations

from datetime import date, timedelta

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from caoyuan import clock
from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.bounds import IdParam, check_day, day_in_range
from caoyuan.deps import AppDatabase, AppSettings, Db
from caoyuan.errors import AppError, BadInput
from caoyuan.payments.client import gateway_for
from caoyuan.web.responses import see_other
from storefront import links
from storefront.links import OrderNoParam
from storefront.models import REFUND_STATUS_LABELS, STATUS_LABELS, Order, RefundStatus
from storefront.services import catalogue, desk_scope, desk_views, exports, fulfil, order_views, pay, refund
from storefront.services.approve_and_pay import approve_and_pay
from storefront.services.order_views import order_by_no
from storefront.services.settle_payment import Notice, settle


def is_phone(request: Request) -> bool:
    agent = request.headers.get("user-agent", "")
    return any(word in agent for word in ("Mobile", "Android", "iPhone"))


class ShopPages(Controller):
    path = "/shop"
    include_in_schema = False

    @get("/")
    async def catalogue(self, db: Db) -> Template:
        return Template("storefront/catalogue.html", context={"products": await catalogue.active_catalogue(db)})

    @get("/orders/{order_no:str}")
    async def order(
        self,
        request: Request,
        order_no: OrderNoParam,
        t: FromQuery[str | None],
        db: Db,
        database: AppDatabase,
        settings: AppSettings,
        refund_error: FromQuery[str | None] = None,
    ) -> Template:
        links.check_token(settings, order_no, t)
        order = await order_by_no(db, order_no)
        if order.status == "pending_payment" and request.query_params.get("out_trade_no") == order_no:
            # Back from Alipay's cashier: ask Alipay (server to server) rather than wait for the notify.
            await db.commit()
            order = await settle_from_query(request, database, order_no) or order
        latest_refund = await order_views.latest_refund(db, order.id)  # type: ignore[arg-type]
        return Template(
            "storefront/order.html",
            context={
                "order": order,
                "item": await order_views.item_of(db, order.sku_id),
                "refund": latest_refund,
                "refund_labels": REFUND_STATUS_LABELS,
                "labels": STATUS_LABELS,
                "t": t,
                "pay_url": links.pay_url(settings, order_no),
                "track_url": links.track_url(order.tracking_no) if order.tracking_no else "",
                "refundable": order.status in refund.REFUNDABLE,
                "refund_error": refund_error,
            },
        )

    @get("/my-orders", guards=[requires()])
    async def my_orders(self, request: Request, db: Db, settings: AppSettings) -> Template:
        """A logged-in buyer's orders: every order placed with the phone number of their account."""
        rows = await order_views.orders_for_phone(db, request.user.phone)
        return Template(
            "storefront/my_orders.html",
            context={
                "rows": [(o, product, sku, links.status_url(settings, o.public_no)) for o, product, sku in rows],
                "labels": STATUS_LABELS,
            },
        )

    @get("/orders/{order_no:str}/pay")
    async def pay_page(
        self,
        request: Request,
        order_no: OrderNoParam,
        t: FromQuery[str | None],
        db: Db,
        settings: AppSettings,
        method: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        """Phone: straight to Alipay's pay page. Computer: a QR code to scan with the Alipay app."""
        links.check_token(settings, order_no, t)
        order = await order_by_no(db, order_no)
        status_url = links.status_url(settings, order_no)
        if order.status != "pending_payment":
            return Redirect(status_url, status_code=303)
        gateway = gateway_for(request.app)
        if (method or ("wap" if is_phone(request) else "qr")) == "wap":
            return Redirect(
                await pay.start_wap(gateway, db, order, settings.public_base_url + status_url), status_code=303
            )
        code, svg = await pay.start_qr(gateway, db, order)
        return Template(
            "storefront/pay_qr.html",
            context={
                "order": order,
                "qr_svg": svg,
                "qr_code": code,
                "status_url": status_url,
                "api_status_url": f"/api/shop/orders/{order_no}?t={t}",
                "wap_url": f"{links.pay_url(settings, order_no)}&method=wap",
            },
        )

    @post("/orders/{order_no:str}/refund")
    async def refund_request(
        self,
        order_no: OrderNoParam,
        t: FromQuery[str | None],
        db: Db,
        settings: AppSettings,
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect:
        links.check_token(settings, order_no, t)
        order = await order_by_no(db, order_no)
        url = links.status_url(settings, order_no)
        try:
            await refund.request_refund(db, order_no, order.buyer_phone, data.get("reason", ""))
        except AppError as exc:
            return see_other(url, refund_error=exc.message)
        return Redirect(url, status_code=303)


async def settle_from_query(request: Request, database: AppDatabase, order_no: str) -> Order | None:
    try:
        trade = await gateway_for(request.app).query(order_no)
    except AppError:
        return None  # the notify or the reconciler will settle it
    if not trade.paid:
        return None
    async with database.session() as session:
        result = await settle(session, Notice(order_no, trade.trade_no, trade.total_fen, trade.status), source="return")
        return result.order


class FulfilmentPages(Controller):
    """今天拍明天发 for the cooperative: what to pack for a ship date, tracking numbers, refunds."""

    path = "/shop/admin"
    include_in_schema = False
    guards = [requires(Role.ADMIN)]

    @get("/")
    async def desk(
        self,
        request: Request,
        db: Db,
        ship_by: FromQuery[date | None] = None,
        notice: FromQuery[str | None] = None,
        error: FromQuery[str | None] = None,
    ) -> Template:
        check_day(ship_by, "ship_by", "发货日期")
        day = ship_by or (clock.today() + timedelta(days=1))  # 今天拍明天发: tomorrow in Beijing
        kept = await desk_scope.kept_by(db, request.user.id)  # only the orders of the admin's villages
        lines, orders = await fulfil.packing_list(db, day, kept)
        dates = await desk_views.recent_ship_dates(db, kept=kept)
        refunds = await desk_views.open_refunds(db, kept)
        counts = await desk_views.status_counts(db, kept)
        return Template(
            "storefront/desk.html",
            context={
                "day": day,
                "lines": lines,
                "orders": orders,
                "dates": dates,
                "refunds": refunds,
                "counts": counts,
                "labels": STATUS_LABELS,
                "refund_labels": REFUND_STATUS_LABELS,
                "couriers": fulfil.COURIERS,
                "notice": notice,
                "error": error,
            },
        )

    @get("/packing/{day:date}")
    async def packing(self, request: Request, day: FromPath[date], db: Db) -> Template:
        check_day(day, "day", "发货日期")
        lines, orders = await fulfil.packing_list(db, day, await desk_scope.kept_by(db, request.user.id))
        return Template("storefront/packing.html", context={"day": day, "lines": lines, "orders": orders})

    @get("/packing/{day:date}/csv")
    async def packing_csv(self, request: Request, day: FromPath[date], db: Db) -> Response[str]:
        check_day(day, "day", "发货日期")
        lines, orders = await fulfil.packing_list(db, day, await desk_scope.kept_by(db, request.user.id))
        return _csv_download(exports.packing_csv(day, lines, orders), f"packing-{day.isoformat()}.csv")

    @get("/tracking/{day:date}/csv")
    async def tracking_csv(self, request: Request, day: FromPath[date], db: Db) -> Response[str]:
        """The sheet to fill in courier and tracking number per order, then upload to the tracking import."""
        check_day(day, "day", "发货日期")
        _, orders = await fulfil.packing_list(db, day, await desk_scope.kept_by(db, request.user.id))
        return _csv_download(exports.tracking_csv(orders), f"tracking-{day.isoformat()}.csv")

    @post("/ship")
    async def ship(self, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]) -> Redirect:
        day = _day_or_none(data.get("day", ""))
        back = f"/shop/admin/?ship_by={day.isoformat()}" if day else "/shop/admin/"
        kept = await desk_scope.kept_by(db, request.user.id)
        try:
            if data.get("action") == "pack":
                await fulfil.mark_packed(db, data.get("order_no", ""), kept)
            else:
                await fulfil.mark_shipped(
                    db, data.get("order_no", ""), data.get("courier", ""), data.get("tracking_no", ""), kept
                )
        except AppError as exc:
            await db.rollback()
            return see_other(back, error=exc.message)
        return see_other(back, notice=f"已更新订单 {data.get('order_no', '')}")

    @post("/tracking-import")
    async def tracking_import(self, request: Request, db: Db) -> Redirect:
        form = await request.form()
        upload = form.get("file")
        text = (
            (await upload.read(500_001)).decode("utf-8-sig", errors="replace")
            if upload and not isinstance(upload, str)
            else ""
        )
        kept = await desk_scope.kept_by(db, request.user.id)
        result = await fulfil.import_tracking_csv(db, text, kept) if text else None
        if result is None:
            return see_other("/shop/admin/", error="请选择 CSV 文件")
        if result.problems:
            message = "；".join(f"第 {n} 行：{r}" for n, r in result.problems[:10])
            return see_other("/shop/admin/", error=f"没有导入任何单号。{message}")
        return see_other("/shop/admin/", notice=f"已发货 {len(result.shipped)} 单")

    @post("/refunds/{refund_id:int}")
    async def decide_refund(
        self,
        request: Request,
        refund_id: IdParam,
        db: Db,
        database: AppDatabase,
        data: URLEncodedBody[dict[str, str]],
    ) -> Redirect:
        decision = data.get("decision", "")
        try:
            await desk_scope.require_refund(db, refund_id, await desk_scope.kept_by(db, request.user.id))
            if decision in ("approve", "retry"):
                made, _ = await approve_and_pay(
                    db, database, gateway_for(request.app), refund_id, request.user.id, retry_only=decision == "retry"
                )
                if made.status != RefundStatus.REFUNDED:
                    return see_other("/shop/admin/", error=f"支付宝暂未退款（{made.last_error}），系统会自动重试")
            elif decision == "reject":
                await refund.reject_refund(db, refund_id, request.user.id, data.get("note", "合作社不同意退款"))
            else:
                raise BadInput("请选择同意、重试或拒绝", field="decision")
        except AppError as exc:
            await db.rollback()
            return see_other("/shop/admin/", error=exc.message)
        return see_other("/shop/admin/", notice="退款已完成" if decision != "reject" else "已拒绝退款")


def _csv_download(text: str, filename: str) -> Response[str]:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def _day_or_none(text: str) -> date | None:
    """The form's ship date, only to return to it: anything odd returns to the desk's default day."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return None
    return day if day_in_range(day) else None
