"""Demo: the 鄂托克旗 草原村播 room, a live session selling 阿尔巴斯羊肉 and 牛肉干, a flash sale,
and orders in every state — made through the same services the app uses."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from caoyuan.auth.current import CurrentUser
from caoyuan.auth.models import UserAccount
from caoyuan.db import utcnow
from caoyuan.demo import DemoContext
from storefront.models import Sku
from storefront.services import expire_orders, fulfil, refund
from storefront.services.place_order import OrderRequest, place_order
from storefront.services.settle_payment import Notice, settle
from streaming.models import ContentLine
from streaming.schemas import RoomHostIn, RoomIn
from streaming.services import flash_sale, rooms, sessions, shelf

BUYERS = [  # name, phone, province, city, county, detail
    ("张丽", "13812340001", "北京市", "北京市", "朝阳区", "望京街道 10 号院 3 号楼"),
    ("李强", "13912340002", "上海市", "上海市", "浦东新区", "张江路 88 弄 5 号"),
    ("王芳", "13712340003", "广东省", "广州市", "天河区", "体育西路 123 号"),
    ("刘洋", "13612340004", "内蒙古自治区", "呼和浩特市", "赛罕区", "大学东街 45 号"),
    ("陈静", "13512340005", "浙江省", "杭州市", "西湖区", "文三路 200 号"),
    ("赵磊", "13412340006", "四川省", "成都市", "武侯区", "科华北路 66 号"),
    ("孙悦", "15012340007", "江苏省", "南京市", "鼓楼区", "中山北路 30 号"),
    ("周凯", "15112340008", "山东省", "青岛市", "市南区", "香港中路 9 号"),
]


async def seed(ctx: DemoContext) -> None:
    db = ctx.session
    coop_id = ctx.shared.get("coop.wengniute_id")
    admin = CurrentUser(int(ctx.shared["admin_id"]), "13900000001", "王会计", "admin", "session", "demo")  # type: ignore[call-overload]
    room = await rooms.create_room(
        db,
        admin,
        RoomIn(
            name="鄂托克旗草原村播·阿尔巴斯直播间",
            banner="鄂托克旗",
            place="乌兰镇直播基地",
            description="今天拍明天发：阿尔巴斯羊肉、牛肉干，牧民夫妻直播带货。",
            content_lines=[ContentLine("goods"), ContentLine("stories")],
            cooperative_id=coop_id,  # type: ignore[arg-type]
        ),
    )
    host_account, secretary = await _hosts(ctx)
    for account, title in ((host_account, "主播"), (secretary, "第一书记")):
        await rooms.add_host(db, admin, room.id, RoomHostIn(user_id=account.id, title=title))  # type: ignore[arg-type]
    ctx.shared["streaming.room_id"] = room.id
    host = CurrentUser(host_account.id, host_account.phone, "其其格", "host", "session", "demo")  # type: ignore[arg-type]
    skus = {s.name: s for s in (await db.scalars(sa.select(Sku))).all()}

    past = await sessions.schedule(
        db,
        host,
        room_id=room.id,
        title="上周六 阿尔巴斯羊肉专场",
        content_line="goods",
        scheduled_start=utcnow() - timedelta(days=7),
        co_host_ids=[secretary.id],
    )  # type: ignore[list-item]
    await _sell(db, host, past.id, skus, ended=True)  # type: ignore[arg-type]
    live = await sessions.schedule(
        db,
        host,
        room_id=room.id,
        title="今晚 阿尔巴斯羊肉 + 牛肉干",
        content_line="goods",
        scheduled_start=utcnow() - timedelta(minutes=20),
        co_host_ids=[secretary.id],
    )  # type: ignore[list-item]
    await _sell(db, host, live.id, skus, ended=False)  # type: ignore[arg-type]
    ctx.shared["streaming.live_session_id"] = live.id
    await sessions.schedule(
        db,
        host,
        room_id=room.id,
        title="周末 草原风光与牧民故事",
        content_line="stories",
        scheduled_start=utcnow() + timedelta(days=2),
    )


async def _sell(db, host: CurrentUser, session_id: int, skus: dict, ended: bool) -> None:  # type: ignore[no-untyped-def]
    leg, ribs, jerky = skus["后腿 2.5kg"], skus["羊排 2kg"], skus["原味 500g"]
    items = [
        await shelf.add_item(db, host, session_id, sku_id=leg.id, price_fen=24800, quantity=30, per_buyer_cap=5),
        await shelf.add_item(db, host, session_id, sku_id=ribs.id, price_fen=21800, quantity=20),
        await shelf.add_item(db, host, session_id, sku_id=jerky.id, price_fen=8800, quantity=60),
    ]
    await sessions.go_live(db, host, session_id)
    for step in ("introduce_yourself", "introduce_product", "shipping_terms"):
        await shelf.tick(db, host, session_id, step)
    await shelf.pin(db, host, session_id, items[0].id)
    orders = []
    for n, (name, phone, province, city, county, detail) in enumerate(BUYERS):
        item = items[n % 3]
        placed = await place_order(
            db,
            OrderRequest(
                pool_id=item.pool_id,
                quantity=1 + n % 2,
                phone=phone,
                name=name,
                province=province,
                city=city,
                county=county,
                detail=detail,
                idempotency_key=f"demo-{session_id}-{n}",
                live_session_id=session_id,
            ),
        )
        orders.append(placed.order)
    # paid, packed, shipped, completed, refunded; one left unpaid and one expired
    for n, order in enumerate(orders[:6]):
        await settle(db, Notice(order.public_no, f"DEMO{session_id:03d}{n:05d}", order.total_fen, "TRADE_SUCCESS"))
    await fulfil.mark_packed(db, orders[1].public_no)
    await fulfil.mark_shipped(db, orders[2].public_no, "顺丰速运", f"SF{session_id:04d}00012345")
    await fulfil.mark_shipped(db, orders[3].public_no, "中通快递", f"ZT{session_id:04d}00067890")
    await fulfil.mark_completed(db, orders[3].public_no)
    asked = await refund.request_refund(db, orders[4].public_no, orders[4].buyer_phone, "家里临时有事，不要了")
    await refund.approve_refund(db, asked.id, host.id)  # type: ignore[arg-type]
    await refund.complete_refund(db, asked.id)  # type: ignore[arg-type]
    await expire_orders.release(db, orders[6].id, "expired", "超时未付款", utcnow())  # type: ignore[arg-type]
    if ended:
        await sessions.end(db, host, session_id)
    else:
        await flash_sale.open_flash_sale(
            db,
            host,
            session_id,
            item_id=items[2].id,
            deal_price_fen=6600,
            total_cap=10,
            per_buyer_cap=2,
            countdown_s=30,
            window_min=20,
        )


async def _hosts(ctx: DemoContext) -> tuple[UserAccount, UserAccount]:
    """The cooperative's seed makes the hosts' logins through its people service (so 账户 lists them);
    seeded without it, they are made here."""
    made = ctx.shared.get("coop.host_ids")
    if made:
        first, second = made  # type: ignore[misc]
        return await ctx.session.get(UserAccount, first), await ctx.session.get(UserAccount, second)  # type: ignore[return-value]
    host = await ctx.login(phone="13900000002", role="host", name="其其格", note="草原村播主播（牧民夫妻）")
    secretary = await ctx.login(phone="13900000006", role="host", name="高书记", note="驻村第一书记（联合主播）")
    return host, secretary
