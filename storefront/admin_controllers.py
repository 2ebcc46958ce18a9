"""The cooperative's side of the shop (admin): catalogue upkeep, fulfilment, refunds."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, Request, get, patch, post
from litestar.datastructures import UploadFile
from litestar.params import FromQuery, JSONBody, MultipartBody, Parameter

from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.bounds import IdParam, check_day
from caoyuan.deps import AppDatabase, AppSettings, Db
from caoyuan.errors import BadInput
from caoyuan.payments.client import gateway_for
from storefront.links import OrderNoParam
from storefront.media_store import media_store
from storefront.models import OrderStatus, Refund
from storefront.schemas import (
    OrderOut,
    PackingLineOut,
    PackingListOut,
    ProductIn,
    RefundOut,
    ShipIn,
    SkuIn,
    SkuPatch,
    TrackingImportIn,
    TrackingImportOut,
)
from storefront.services import approve_and_pay as approving
from storefront.services import catalogue, desk_scope, desk_views, fulfil, products_admin, refund
from storefront.views import order_out


class ShopAdminApi(Controller):
    path = "/api/shop/admin"
    tags = ["storefront admin"]
    guards = [requires(Role.ADMIN)]

    @get("/orders", summary="订单列表（按状态、发货日期）")
    async def orders(
        self,
        request: Request,
        db: Db,
        settings: AppSettings,
        status: FromQuery[OrderStatus | None] = None,
        ship_by: FromQuery[date | None] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> list[OrderOut]:
        check_day(ship_by, "ship_by", "发货日期")
        kept = await desk_scope.kept_by(db, request.user.id)
        return [order_out(settings, o) for o in await desk_views.orders(db, status, ship_by, limit, kept)]

    @get("/packing-list", summary="某个发货日的打包单（按商品汇总 + 逐单）")
    async def packing_list(
        self, request: Request, ship_by: FromQuery[date], db: Db, settings: AppSettings
    ) -> PackingListOut:
        check_day(ship_by, "ship_by", "发货日期")
        lines, orders = await fulfil.packing_list(db, ship_by, await desk_scope.kept_by(db, request.user.id))
        return PackingListOut(
            ship_by.isoformat(),
            [PackingLineOut(**vars(line)) for line in lines],
            [order_out(settings, o) for o in orders],
        )

    @post("/orders/{order_no:str}/pack", status_code=200)
    async def pack(self, request: Request, order_no: OrderNoParam, db: Db, settings: AppSettings) -> OrderOut:
        kept = await desk_scope.kept_by(db, request.user.id)
        return order_out(settings, await fulfil.mark_packed(db, order_no, kept))

    @post("/orders/{order_no:str}/ship", status_code=200, summary="录入快递公司和单号")
    async def ship(
        self, request: Request, order_no: OrderNoParam, data: JSONBody[ShipIn], db: Db, settings: AppSettings
    ) -> OrderOut:
        kept = await desk_scope.kept_by(db, request.user.id)
        return order_out(settings, await fulfil.mark_shipped(db, order_no, data.courier, data.tracking_no, kept))

    @post("/orders/{order_no:str}/complete", status_code=200)
    async def complete(self, request: Request, order_no: OrderNoParam, db: Db, settings: AppSettings) -> OrderOut:
        kept = await desk_scope.kept_by(db, request.user.id)
        return order_out(settings, await fulfil.mark_completed(db, order_no, kept))

    @post("/tracking-import", status_code=200, summary="批量导入快递单号（CSV：order_no,courier,tracking_no）")
    async def tracking_import(self, request: Request, data: JSONBody[TrackingImportIn], db: Db) -> TrackingImportOut:
        result = await fulfil.import_tracking_csv(db, data.csv, await desk_scope.kept_by(db, request.user.id))
        return TrackingImportOut(result.shipped, [{"line": n, "reason": r} for n, r in result.problems])

    @get("/refunds", summary="退款（待处理、退款中、已退款）")
    async def refunds(
        self,
        request: Request,
        db: Db,
        status: Annotated[str | None, Parameter(max_length=12, pattern=r"^[a-z_]+$")] = None,
    ) -> list[RefundOut]:
        kept = await desk_scope.kept_by(db, request.user.id)
        return [refund_out(r, no) for r, no in await desk_views.refunds(db, status, kept)]

    @post(
        "/refunds/{refund_id:int}/approve",
        status_code=200,
        summary="同意退款并通过支付宝退回（失败则记录原因，自动重试）",
    )
    async def approve(self, request: Request, refund_id: IdParam, db: Db, database: AppDatabase) -> RefundOut:
        return await approve_and_pay(request, refund_id, db, database)

    @post("/refunds/{refund_id:int}/retry", status_code=200, summary="退款中：立即再向支付宝退一次")
    async def retry(self, request: Request, refund_id: IdParam, db: Db, database: AppDatabase) -> RefundOut:
        return await approve_and_pay(request, refund_id, db, database, retry_only=True)

    @post("/refunds/{refund_id:int}/reject", status_code=200)
    async def reject(self, request: Request, refund_id: IdParam, db: Db) -> RefundOut:
        await desk_scope.require_refund(db, refund_id, await desk_scope.kept_by(db, request.user.id))
        made = await refund.reject_refund(db, refund_id, request.user.id, "合作社不同意退款")
        return refund_out(made, await desk_views.public_no_of(db, made.order_id))

    @post("/products", status_code=201)
    async def create_product(self, request: Request, data: JSONBody[ProductIn], db: Db) -> dict:
        product = await products_admin.create_product(db, request.user.id, data)
        return {"id": product.id, "name": product.name}

    @post("/products/{product_id:int}/skus", status_code=201)
    async def add_sku(self, request: Request, product_id: IdParam, data: JSONBody[SkuIn], db: Db) -> dict:
        sku = await products_admin.add_sku(db, request.user.id, product_id, data)
        return {"id": sku.id, "name": sku.name, "stock": sku.stock, "price_fen": sku.price_fen}

    @patch("/skus/{sku_id:int}", summary="改价、补货（add_stock 可为负）、上下架")
    async def patch_sku(self, request: Request, sku_id: IdParam, data: JSONBody[SkuPatch], db: Db) -> dict:
        sku = await products_admin.patch_sku(db, request.user.id, sku_id, data)
        return {"id": sku.id, "stock": sku.stock, "price_fen": sku.price_fen, "active": sku.active}

    @post("/products/{product_id:int}/images", status_code=201, summary="上传商品图片（≤ 5 MB，自动缩放）")
    async def upload_image(
        self,
        request: Request,
        product_id: IdParam,
        data: MultipartBody[dict[str, UploadFile]],
        db: Db,
        settings: AppSettings,
    ) -> dict:
        upload = data.get("file")
        if upload is None:
            raise BadInput("请选择图片文件", field="file")
        raw = await upload.read(catalogue.MAX_IMAGE_BYTES + 1)
        image = await products_admin.add_image(db, request.user.id, product_id, raw, media_store(settings))
        return {"id": image.id, "url": f"/media/{image.filename}", "width": image.width, "height": image.height}


def refund_out(made: Refund, order_no: str) -> RefundOut:
    return RefundOut(
        made.id,
        order_no,
        made.amount_fen,
        made.status,
        made.reason,
        made.kind,  # type: ignore[arg-type]
        made.attempts,
        made.last_error,
        made.next_attempt_at.isoformat() if made.next_attempt_at else None,
    )


async def approve_and_pay(
    request: Request, refund_id: int, db: Db, database: AppDatabase, retry_only: bool = False
) -> RefundOut:
    """The API's (and the admin page's) door to :func:`storefront.services.approve_and_pay.approve_and_pay`."""
    await desk_scope.require_refund(db, refund_id, await desk_scope.kept_by(db, request.user.id))
    made, order_no = await approving.approve_and_pay(
        db, database, gateway_for(request.app), refund_id, request.user.id, retry_only=retry_only
    )
    return refund_out(made, order_no)
