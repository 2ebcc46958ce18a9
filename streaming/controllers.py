"""Live-sale API: hosts run sessions; anyone can read a session and order from its shelf."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Annotated

import msgspec
from litestar import Controller, MediaType, Request, get, post
from litestar.di import Provide
from litestar.enums import ParamType
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPIType, Operation, Schema
from litestar.openapi.spec import Parameter as OpenAPIParameter
from litestar.params import JSONBody, Parameter
from litestar.response.base import ASGIResponse

from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.bounds import IdParam
from caoyuan.db import Database
from caoyuan.deps import AppDatabase, Db
from caoyuan.errors import BadInput
from caoyuan.web.bodies import decode_body
from storefront.schemas import OrderIn, OrderOut
from storefront.views import order_out
from streaming.schemas import FlashSaleIn, PinIn, SessionIn, SessionOut, ShelfItemIn, StatsOut
from streaming.services import analytics, flash_sale, sessions, shelf
from streaming.services.access import session_for_host
from streaming.services.intake import take_order_now
from streaming.services.views import commit_and_forget, commit_change, public_views, session_view

HOSTS = requires(Role.HOST, Role.ADMIN)


def _order_as_documented(data: JSONBody[OrderIn]) -> None:
    """Never called: the order route reads its body itself. Litestar's OpenAPI looks for a route's body in
    its dependencies too, so the API description still shows it."""


@dataclass
class _OrderOperation(Operation):
    """The order route's description, with the header it reads itself."""

    def __post_init__(self) -> None:
        key = OpenAPIParameter(
            name="Idempotency-Key",
            param_in=ParamType.HEADER,
            required=True,
            description="每次下单生成一个新的随机值；重试时带同一个值，得到同一张订单",
            schema=Schema(type=OpenAPIType.STRING, min_length=8, max_length=80),
        )
        self.parameters = [*(self.parameters or []), key]


class LiveSessionApi(Controller):
    path = "/api/live/sessions"
    tags = ["live sessions"]

    @post("/", status_code=201, guards=[HOSTS], summary="预告一场直播（主播或管理员）")
    async def schedule(self, request: Request, data: JSONBody[SessionIn], db: Db) -> SessionOut:
        try:
            hour, minute = (int(x) for x in data.cutoff_local.split(":"))
            cutoff = time(hour, minute)
        except ValueError:
            raise BadInput("截单时间格式应为 HH:MM", field="cutoff_local") from None
        made = await sessions.schedule(
            db,
            request.user,
            room_id=data.room_id,
            title=data.title,
            content_line=data.content_line,
            scheduled_start=data.scheduled_start,
            cutoff_local=cutoff,
            co_host_ids=data.co_host_ids,
        )
        return await session_view(db, made.id)  # type: ignore[arg-type]

    @get("/{session_id:int}", summary="一场直播的货架、讲解中商品和秒杀（公开）")
    async def read(self, session_id: IdParam, database: AppDatabase) -> SessionOut:
        # Public and the same for everyone: served from a per-process view at most a second old.
        return await public_views(database).get(session_id)

    @post("/{session_id:int}/start", status_code=200, guards=[HOSTS])
    async def start(self, request: Request, session_id: IdParam, db: Db, database: AppDatabase) -> SessionOut:
        await sessions.go_live(db, request.user, session_id)
        return await commit_change(db, database, session_id)

    @post("/{session_id:int}/end", status_code=200, guards=[HOSTS], summary="结束直播：停止下单，剩余库存退回")
    async def end(self, request: Request, session_id: IdParam, db: Db, database: AppDatabase) -> SessionOut:
        await sessions.end(db, request.user, session_id)
        return await commit_change(db, database, session_id)

    @post("/{session_id:int}/shelf", status_code=201, guards=[HOSTS], summary="上架：直播价和分配库存")
    async def add_to_shelf(
        self, request: Request, session_id: IdParam, data: JSONBody[ShelfItemIn], db: Db, database: AppDatabase
    ) -> SessionOut:
        await shelf.add_item(
            db,
            request.user,
            session_id,
            sku_id=data.sku_id,
            price_fen=data.price_fen,
            quantity=data.quantity,
            per_buyer_cap=data.per_buyer_cap,
        )
        return await commit_change(db, database, session_id)

    @post("/{session_id:int}/pin", status_code=200, guards=[HOSTS], summary="设置/取消“讲解中”商品")
    async def pin(
        self, request: Request, session_id: IdParam, data: JSONBody[PinIn], db: Db, database: AppDatabase
    ) -> SessionOut:
        await shelf.pin(db, request.user, session_id, data.item_id)
        return await commit_change(db, database, session_id)

    @post("/{session_id:int}/checklist/{step:str}", status_code=200, guards=[HOSTS], summary="直播流程打勾")
    async def tick(
        self,
        request: Request,
        session_id: IdParam,
        step: Annotated[str, Parameter(max_length=24, pattern=r"^[a-z_]+$")],
        db: Db,
        database: AppDatabase,
    ) -> list[str]:
        ticks = await shelf.tick(db, request.user, session_id, step)
        await commit_and_forget(db, database, session_id)
        return ticks

    @post("/{session_id:int}/flash-sales", status_code=201, guards=[HOSTS], summary="开秒杀（倒计时 10–300 秒）")
    async def open_flash_sale(
        self, request: Request, session_id: IdParam, data: JSONBody[FlashSaleIn], db: Db, database: AppDatabase
    ) -> SessionOut:
        await flash_sale.open_flash_sale(
            db,
            request.user,
            session_id,
            item_id=data.item_id,
            deal_price_fen=data.deal_price_fen,
            total_cap=data.total_cap,
            per_buyer_cap=data.per_buyer_cap,
            countdown_s=data.countdown_s,
            window_min=data.window_min,
        )
        return await commit_change(db, database, session_id)

    @get("/{session_id:int}/stats", guards=[HOSTS], summary="本场数据：GMV（按付款）、订单、付款率、单品、买家")
    async def stats(self, request: Request, session_id: IdParam, db: Db) -> StatsOut:
        await session_for_host(db, session_id, request.user)
        return await analytics.session_stats(db, session_id)

    @post(
        "/{session_id:int}/orders",
        status_code=201,
        summary="直播间下单（游客即可；必须带 Idempotency-Key 请求头）",
        dependencies={"order_as_documented": Provide(_order_as_documented, sync_to_thread=False)},
        responses={201: ResponseSpec(OrderOut, description="下单成功（同一个 Idempotency-Key 再次提交：200，原订单）")},
        operation_class=_OrderOperation,
    )
    async def order(self, request: Request, session_id: IdParam) -> ASGIResponse:
        # The hottest route of a show: the body is decoded and the answer encoded here, not by Litestar's
        # parameter and response machinery (~9 % of an order; see docs/performance.md). The same bounds
        # (OrderIn's); a bad body is refused in Chinese at its field. The database and settings never
        # change, so they come from app.state: Litestar resolves dependencies in a task group per request.
        # No request session: on PostgreSQL an order is usually placed with the others in flight and no
        # session at all (take_order_now opens one only for what is out of the ordinary).
        data = decode_body(await request.body(), _ORDER_IN)
        database: Database = request.app.state.database
        settings = request.app.state.settings
        key = request.headers.get("idempotency-key") or ""
        placed = await take_order_now(database, settings, session_id, data, key, None)
        if placed.created and placed.remaining is not None:
            public_views(database).sold(session_id, placed.order.pool_id, placed.remaining)  # type: ignore[arg-type]
        return ASGIResponse(
            body=_ENCODE(order_out(settings, placed.order)),
            status_code=201 if placed.created else 200,
            media_type=MediaType.JSON,
        )


_ORDER_IN = msgspec.json.Decoder(OrderIn)
_ENCODE = msgspec.json.Encoder().encode
