"""A live session with a shelf, built through the coop, storefront and streaming services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from caoyuan.auth.current import CurrentUser
from caoyuan.db import Database, utcnow
from caoyuan.identity import example_id_number
from coop.models import Cooperative, CoopKind
from coop.services.members import admit
from streaming.models import LiveRoom, LiveRoomHost
from streaming.services import sessions, shelf
from tests.factories.coop import household
from tests.factories.shop import make_sku

# The live-room set-up form as an admin fills it in (posted to /live/setup/rooms/).
ROOM = {
    "name": "乌审旗草原村播直播间",
    "banner": "乌审旗",
    "place": "嘎鲁图镇",
    "line_goods": "on",
    "line_stories": "on",
}


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


async def build(
    db: Database,
    make_user,  # type: ignore[no-untyped-def]
    *,
    stock: int = 50,
    shelf_qty: int = 20,
    price_fen: int = 26800,
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
        supplier = await admit(
            s,
            coop.id,
            household(
                1,
                date(2021, 1, 1),
                name="巴特尔",
                id_number=example_id_number(1, region="150624"),
                phone="",
                village="阿尔巴斯嘎查",
                group_name="",
            ),
        )
        sku = await make_sku(
            s,
            coop.id,
            supplier.id,
            price_fen=price_fen,
            stock=stock,
            shipping_kind=shipping_kind,
            shipping_fen=shipping_fen,
        )
        # the room belongs to the cooperative; rooms.create_room (admin only) sets up rooms without one
        room = LiveRoom(cooperative_id=coop.id, name="阿尔巴斯直播间", banner="鄂托克旗")
        s.add(room)
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
