"""Every storefront and streaming route, walked with edge values as anonymous, buyer, host and admin: never a 5xx.

The walk is driven by the application's own route table, so a route added later is walked too. Each path
parameter, each query parameter, each JSON body field and each form field is replaced in turn by the edge
values (0, −1, 2^31, 2^63, non-ASCII, 100 kB, NUL, dates 0001-01-01 and 9999-12-31) while the others keep
real values, so every value reaches its own check instead of being stopped by its neighbour's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from caoyuan.db import Database
from storefront import links
from storefront.models import Sku
from storefront.services import refund
from storefront.services.place_order import OrderRequest, place_order
from storefront.services.settle_payment import Notice, settle
from tests.edge_walk import PARAM, Walk, domain_routes, fill_path, report, walk_as
from tests.factories.live import Scenario, build
from tests.factories.shop import order_body

SENT_AT_LEAST = 8800  # the walk sent 9,772 requests when it moved onto tests/edge_walk.py (as many as before)
MINE = ("/api/shop", "/api/live", "/shop", "/live", "/media")  # rooms' set-up included (/live/setup)
BIG = "x" * 100_000
EDGE_TEXT = ["0", "-1", str(2**31), str(2**63), "é", "²", BIG, "\x00", "0001-01-01", "9999-12-31", ""]
# httpx refuses a URL component over 64 kB: the longest query value a client can send
EDGE_QUERY = [*(e for e in EDGE_TEXT if e is not BIG), "x" * 60_000]
EDGE_JSON: list[Any] = [0, -1, 2**31, 2**63, "é", BIG, "\x00", "0001-01-01", "9999-12-31", None, [], {}]
EDGE_PATH = ["0", "-1", str(2**31), str(2**63), "é", "²", "abc", "0001-01-01", "9999-12-31", "x" * 10_000]
NOT_QUERY = {"self", "db", "settings", "request", "database", "data", "scope", "socket", "idempotency_key"}


@dataclass
class World:
    sc: Scenario
    product_id: int
    order_no: str
    token: str
    refund_id: int
    day: date

    def path_values(self) -> dict[str, str]:
        return {
            "session_id": str(self.sc.session_id),
            "order_no": self.order_no,
            "refund_id": str(self.refund_id),
            "pool_id": str(self.sc.pool_id),
            "product_id": str(self.product_id),
            "sku_id": str(self.sc.sku_id),
            "token": "abcdefghijkl",
            "day": self.day.isoformat(),
            "step": "introduce_yourself",
            "filename": "p1-0123456789ab.jpg",
            "name": "console.js",  # the live pages' static files
            "room_id": str(self.sc.room_id),
            "user_id": "999999",  # not one of the room's hosts: removing them is refused, the room stays
        }

    def query_values(self) -> dict[str, str]:
        return {
            "t": self.token,
            "ship_by": self.day.isoformat(),
            "limit": "10",
            "status": "paid",
            "item": "1",
            "error": "出错了",
            "notice": "好了",
            "method": "qr",
            "refund_error": "x",
            "wait": "1",
            "confirm_end": "true",
        }

    def bodies(self) -> dict[str, dict[str, Any]]:
        sc = self.sc
        return {
            "OrderIn": {"pool_id": sc.pool_id, **order_body(phone="13800000077")},
            "PayIn": {"phone": "13800000001", "method": "qr"},
            "RefundIn": {"phone": "13800000001", "reason": "肉不新鲜"},
            "WaitlistIn": {"phone": "13800000002", "quantity": 1},
            "ShipIn": {"courier": "顺丰速运", "tracking_no": "SF1234567890"},
            "TrackingImportIn": {"csv": "order_no,courier,tracking_no\n"},
            "ProductIn": {"name": "草原奶茶", "cooperative_id": sc.coop_id, "supplier_member_id": sc.supplier_id},
            "SkuIn": {"name": "500g", "price_fen": 1000, "weight_g": 500, "stock": 1},
            "SkuPatch": {"add_stock": 1},
            "SessionIn": {
                "room_id": sc.room_id,
                "title": "测试场次",
                "content_line": "goods",
                "scheduled_start": "2026-12-01T20:00:00+08:00",
                "co_host_ids": [],
            },
            "ShelfItemIn": {"sku_id": sc.sku_id, "price_fen": 100, "quantity": 1},
            "PinIn": {"item_id": sc.item_id},
            "FlashSaleIn": {"item_id": sc.item_id, "deal_price_fen": 100, "total_cap": 1, "per_buyer_cap": 1},
            "RoomIn": {"name": "测试直播间", "banner": "鄂托克旗", "content_lines": ["goods"]},
            "RoomHostIn": {"user_id": sc.host.id, "title": "主播"},
        }

    def forms(self) -> dict[str, list[dict[str, str]]]:
        sc, today = self.sc, self.day.isoformat()
        buyer = {k: str(v) for k, v in order_body(phone="13800000078").items()}
        console = {
            "item_id": str(sc.item_id),
            "sku_id": str(sc.sku_id),
            "price": "1.00",
            "quantity": "1",
            "per_buyer_cap": "1",
            "deal_price": "1.00",
            "total_cap": "1",
            "countdown_s": "30",
            "window_min": "5",
            "step": "introduce_yourself",
            "sale_id": "1",
        }
        return {
            "/shop/orders/{order_no:str}/refund": [{"reason": "肉不新鲜"}],
            "/shop/admin/refunds/{refund_id:int}": [{"decision": "reject", "note": "不同意"}],
            "/shop/admin/ship": [
                {
                    "action": a,
                    "order_no": self.order_no,
                    "courier": "顺丰速运",
                    "tracking_no": "SF1234567890",
                    "day": today,
                }
                for a in ("pack", "ship")
            ],
            "/live/{session_id:int}/order": [{**buyer, "pool_id": str(sc.pool_id), "order_key": "k" * 16}],
            "/live/{session_id:int}/confirm": [{**buyer, "pool_id": str(sc.pool_id), "order_key": "k" * 16}],
            "/live/{session_id:int}/waitlist": [
                {"pool_id": str(sc.pool_id), "quantity": "1", "phone": "13800000079", "name": "候补"}
            ],
            "/live/console/schedule": [
                {
                    "room_id": str(sc.room_id),
                    "title": "测试场次",
                    "content_line": "goods",
                    "scheduled_start": "2026-12-01T20:00",
                }
            ],
            "/live/console/{session_id:int}/action": [
                {**console, "action": a} for a in ("pin", "tick", "shelf", "flash", "stop_flash")
            ],
        }


async def _world(db: Database, make_user) -> World:  # type: ignore[no-untyped-def]
    sc = await build(db, make_user, shelf_qty=30, stock=200)
    await make_user("admin", phone="13600009001")
    await make_user("buyer", phone="13600009002")
    async with db.session() as s:
        product_id = (await s.get(Sku, sc.sku_id)).product_id  # type: ignore[union-attr]
        placed = await place_order(
            s,
            OrderRequest(
                pool_id=sc.pool_id,
                quantity=1,
                phone="13800000001",
                name="张三丰",
                province="北京市",
                city="北京市",
                county="海淀区",
                detail="中关村大街 1 号",
                idempotency_key="edge-walk-0001",
            ),
        )
        order_no = placed.order.public_no
    async with db.session() as s:
        paid = await settle(s, Notice(order_no, "2026EDGEWALK", placed.order.total_fen, "TRADE_SUCCESS"))
        day = paid.order.ship_by
        asked = await refund.request_refund(s, order_no, "13800000001", "肉不新鲜")
        refund_id = asked.id
    return World(sc, product_id, order_no, "", refund_id, day)  # type: ignore[arg-type]


def _routes(app) -> list[tuple[str, str, Any]]:  # type: ignore[no-untyped-def]
    # Ending the show last, so that everything before it still meets a live session.
    return sorted(domain_routes(app, MINE), key=lambda r: (r[0].endswith("/end"), r[0], r[1]))


async def _walk_route(walk: Walk, world: World, path: str, method: str, handler: Any) -> None:
    values, queries = world.path_values(), world.query_values()
    names = PARAM.findall(path)
    query_names = [n for n in handler.parsed_fn_signature.parameters if n not in NOT_QUERY and n not in names]
    base_query = {n: queries[n] for n in query_names if n in queries}
    body = _body_of(handler, world)
    form_cases = world.forms().get(path)
    kind = "json" if body is not None else ("form" if form_cases is not None else "none")
    base_kw = _payload(kind, body, form_cases[0] if form_cases else None, path, world)
    for name in names:
        for edge in EDGE_PATH:
            await walk.send(
                method,
                fill_path(path, values, (name, edge)),
                f"path {name}={edge[:12]!r}",
                params=base_query,
                **base_kw,
            )
    url = fill_path(path, values)
    for name in query_names:
        for edge in EDGE_QUERY:
            await walk.send(method, url, f"query {name}={edge[:12]!r}", params={**base_query, name: edge}, **base_kw)
    if kind == "json":
        for key in body:  # type: ignore[union-attr]
            for edge in EDGE_JSON:
                await walk.send(
                    method,
                    url,
                    f"json {key}={str(edge)[:12]!r}",
                    params=base_query,
                    json={**body, key: edge},
                    headers=_key_header(path),
                )  # type: ignore[dict-item]
    if kind == "form":
        for case in form_cases:  # type: ignore[union-attr]
            for key in case:
                for edge in EDGE_TEXT:
                    await walk.send(
                        method, url, f"form {key}={edge[:12]!r}", params=base_query, data={**case, key: edge}
                    )
    if path.endswith("/orders") and path.startswith("/api/live"):
        for edge in ("", "short", "k" * 81, BIG, "\x7f" * 10):
            await walk.send(method, url, "Idempotency-Key", json=body, headers={"Idempotency-Key": edge})


def _key_header(path: str) -> dict[str, str]:
    import uuid

    return {"Idempotency-Key": str(uuid.uuid4())} if path.endswith("/orders") else {}


def _body_of(handler: Any, world: World) -> dict[str, Any] | None:
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return None
    name = getattr(data.annotation, "__name__", "")
    return world.bodies().get(name)


def _payload(kind: str, body: dict | None, form: dict | None, path: str, world: World) -> dict[str, Any]:
    if kind == "json":
        return {"json": body, "headers": _key_header(path)}
    if kind == "form":
        return {"data": form}
    return {}


async def _walk_as(client, world: World, role: str, phone: str | None) -> Walk:  # type: ignore[no-untyped-def]
    walk = await walk_as(client, role, phone)
    for path, method, handler in _routes(client.app):
        await _walk_route(walk, world, path, method, handler)
    uploads = [
        b"",
        b"\x00" * 10,
        BIG.encode(),
        "order_no,courier,tracking_no\n\x00,é,²\n".encode(),
        b"\xff\xfe",
        f"order_no,courier,tracking_no\n{BIG},x,y\n".encode(),
    ]
    for raw in uploads:
        await walk.send(
            "POST", "/shop/admin/tracking-import", f"upload {raw[:12]!r}", files={"file": ("t.csv", raw, "text/csv")}
        )
        await walk.send(
            "POST",
            f"/api/shop/admin/products/{world.product_id}/images",
            f"image {raw[:12]!r}",
            files={"file": ("p.png", raw, "image/png")},
        )
    return walk


async def test_no_route_answers_5xx_to_edge_values(client, db, make_user) -> None:
    world = await _world(db, make_user)
    world.token = links.status_token(client.app.state.settings, world.order_no)
    walks = [
        await _walk_as(client, world, role, phone)
        for role, phone in (
            ("anonymous", None),
            ("buyer", "13600009002"),
            ("host", world.sc.host.phone),
            ("admin", "13600009001"),
        )
    ]
    assert sum(w.sent for w in walks) >= SENT_AT_LEAST, [w.sent for w in walks]  # the walk really walked
    assert not any(w.failures for w in walks), report(walks)
    async with db.session() as s:  # and nothing half-written broke the books of the one real order
        assert await s.scalar(sa.select(sa.func.count()).select_from(Sku)) >= 1
