"""Builds a live session with a shelf, through the real services, for storefront/streaming tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from caoyuan.auth.current import CurrentUser
from caoyuan.db import Database, utcnow
from caoyuan.identity import id_check_char
from coop.models import Cooperative, CoopKind, Member
from storefront.models import Product, Sku
from streaming.models import LiveRoom, LiveRoomHost
from streaming.services import sessions, shelf


@dataclass
class Scenario:
    coop_id: int
    supplier_id: int
    sku_id: int
    room_id: int
    session_id: int
    item_id: int
    pool_id: int
    host: CurrentUser


def _id_number(seq: int) -> str:
    first17 = f"15062419800101{seq:03d}"
    return first17 + id_check_char(first17)


async def build(
    db: Database,
    make_user,
    *,
    stock: int = 50,
    shelf_qty: int = 20,
    price_fen: int = 26800,  # type: ignore[no-untyped-def]
    per_buyer_cap: int | None = None,
    shipping_kind: str = "free",
    shipping_fen: int = 0,
    go_live: bool = True,
) -> Scenario:
    host_account = await make_user("host", name="其其格")
    host = CurrentUser(host_account.id, host_account.phone, "其其格", "host", "session", "t")
    async with db.session() as s:
        coop = Cooperative(
            name=f"鄂托克旗阿尔巴斯合作社{host.id}", kind=CoopKind.FARMER, banner="鄂托克旗", village="阿尔巴斯嘎查"
        )
        s.add(coop)
        await s.flush()
        supplier = Member(
            cooperative_id=coop.id,
            member_no=1,
            name="巴特尔",
            id_number=_id_number(1),
            village="阿尔巴斯嘎查",
            status_since=date(2021, 1, 1),
        )
        s.add(supplier)
        await s.flush()
        product = Product(
            cooperative_id=coop.id,
            supplier_member_id=supplier.id,
            name="阿尔巴斯羊肉",
            shipping_kind=shipping_kind,
            shipping_fen=shipping_fen,
        )
        s.add(product)
        await s.flush()
        sku = Sku(product_id=product.id, name="后腿 2.5kg", price_fen=price_fen, weight_g=2500, stock=stock)
        room = LiveRoom(cooperative_id=coop.id, name="阿尔巴斯直播间", banner="鄂托克旗")
        s.add_all([sku, room])
        await s.flush()
        s.add(LiveRoomHost(room_id=room.id, user_id=host.id))
        await s.flush()
        session = await sessions.schedule(
            s,
            host,
            room_id=room.id,
            title="今晚羊肉专场",
            content_line="goods",
            scheduled_start=utcnow() + timedelta(minutes=5),
        )
        item = await shelf.add_item(
            s, host, session.id, sku_id=sku.id, price_fen=price_fen, quantity=shelf_qty, per_buyer_cap=per_buyer_cap
        )
        if go_live:
            await sessions.go_live(s, host, session.id)
        return Scenario(coop.id, supplier.id, sku.id, room.id, session.id, item.id, item.pool_id, host)


def order_body(quantity: int = 1, phone: str = "13800000001", **overrides: object) -> dict:
    body = {
        "quantity": quantity,
        "phone": phone,
        "name": "张三丰",
        "province": "北京市",
        "city": "北京市",
        "county": "海淀区",
        "detail": "中关村大街 1 号 2 单元",
    }
    body.update(overrides)
    return body
