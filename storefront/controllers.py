"""Storefront API: catalogue, a guest's order (status, payment, refund), the waitlist.

Alipay's notify is the kernel's (caoyuan.payments.dispatch); shop orders reach storefront.payments."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, JSONBody

from caoyuan.bounds import IdParam
from caoyuan.deps import AppSettings, Db
from caoyuan.errors import BadInput
from caoyuan.identity import IdentityError, normalize_phone
from caoyuan.payments.client import gateway_for
from storefront import links
from storefront.links import OrderNoParam, WaitlistTokenParam
from storefront.schemas import OrderOut, PayIn, PayOut, ProductPublic, RefundIn, RefundOut, WaitlistIn, WaitlistOut
from storefront.services import catalogue, pay, refund, waitlist
from storefront.services.order_views import order_by_no
from storefront.views import order_out


class ShopApi(Controller):
    path = "/api/shop"
    tags = ["storefront"]

    @get("/products/", summary="在售商品（公开）")
    async def list_products(self, db: Db) -> list[ProductPublic]:
        return await catalogue.active_catalogue(db)

    @get("/orders/{order_no:str}", summary="订单状态（凭订单链接里的 t 令牌，无需登录）")
    async def order_status(self, order_no: OrderNoParam, t: FromQuery[str], db: Db, settings: AppSettings) -> OrderOut:
        links.check_token(settings, order_no, t)
        return order_out(settings, await order_by_no(db, order_no))

    @post("/orders/{order_no:str}/pay", status_code=200, summary="发起支付宝付款：qr 电脑扫码，wap 手机跳转")
    async def pay(
        self,
        request: Request,
        order_no: OrderNoParam,
        t: FromQuery[str],
        data: JSONBody[PayIn],
        db: Db,
        settings: AppSettings,
    ) -> PayOut:
        links.check_token(settings, order_no, t)
        order = await order_by_no(db, order_no)
        gateway = gateway_for(request.app)
        if data.method == "qr":
            code, svg = await pay.start_qr(gateway, db, order)
            return PayOut(order_no, "qr", qr_code=code, qr_svg=svg)
        url = await pay.start_wap(gateway, db, order, settings.public_base_url + links.status_url(settings, order_no))
        return PayOut(order_no, "wap", redirect_url=url)

    @post("/orders/{order_no:str}/refund", status_code=201, summary="申请退款（售后）")
    async def request_refund(
        self, order_no: OrderNoParam, t: FromQuery[str], data: JSONBody[RefundIn], db: Db, settings: AppSettings
    ) -> RefundOut:
        links.check_token(settings, order_no, t)
        phone = _phone(data.phone)
        made = await refund.request_refund(db, order_no, phone, data.reason)
        return RefundOut(made.id, order_no, made.amount_fen, made.status, made.reason)  # type: ignore[arg-type]

    @post("/pools/{pool_id:int}/waitlist", status_code=201, summary="售罄后登记候补")
    async def join_waitlist(self, pool_id: IdParam, data: JSONBody[WaitlistIn], db: Db) -> WaitlistOut:
        entry, position = await waitlist.join(db, pool_id, data.phone, data.quantity, data.name)
        return WaitlistOut(entry.id, pool_id, position, entry.token, entry.status)  # type: ignore[arg-type]

    @get("/waitlist/{token:str}", summary="查看候补状态（被通知后凭 token 下单）")
    async def waitlist_status(self, token: WaitlistTokenParam, db: Db) -> WaitlistOut:
        entry = await waitlist.entry_for_token(db, token)
        return WaitlistOut(entry.id, entry.pool_id, 0, entry.token, entry.status)  # type: ignore[arg-type]


def _phone(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except IdentityError as exc:
        raise BadInput(str(exc), field="phone") from None
