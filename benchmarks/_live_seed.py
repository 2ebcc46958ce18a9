"""One live session on air, seeded through the services, for the live-sale benchmarks (orders, feed, reads)."""

from __future__ import annotations

from datetime import date, timedelta

HOST_PHONE, HOST_PASSWORD = "13900000003", "caoyuan2026-bench"


async def seed_live_session(
    url: str, shelf_stock: int, flash_stock: int = 0, per_buyer_cap: int | None = None, flash_per_buyer: int = 2
) -> dict[str, int]:
    """A cooperative, a product, a host (HOST_PHONE / HOST_PASSWORD) and a session on air with one shelf item
    of ``shelf_stock`` units; with ``flash_stock``, a flash sale of that many more units whose countdown is
    already over (its pool open now, for 20 minutes). Returns session_id, shelf_pool_id, flash_pool_id."""
    import sqlalchemy as sa

    from caoyuan.auth.current import CurrentUser
    from caoyuan.auth.service import create_user
    from caoyuan.db import create_database, utcnow
    from caoyuan.identity import id_check_char
    from coop.models import Cooperative, CoopKind, Member
    from storefront.models import Product, Sku, StockPool
    from streaming.models import LiveRoom, LiveRoomHost
    from streaming.services import flash_sale, sessions, shelf

    database = create_database(url, 2)
    async with database.session() as s:
        account = await create_user(s, phone=HOST_PHONE, password=HOST_PASSWORD, role="host", display_name="其其格")
        host = CurrentUser(account.id, account.phone, "其其格", "host", "session", "bench")  # type: ignore[arg-type]
        coop = Cooperative(
            name="鄂托克旗阿尔巴斯合作社", kind=CoopKind.FARMER, banner="鄂托克旗", village="阿尔巴斯嘎查"
        )
        s.add(coop)
        await s.flush()
        first17 = "15062419800101001"
        supplier = Member(
            cooperative_id=coop.id,
            member_no=1,
            name="巴特尔",  # type: ignore[arg-type]
            id_number=first17 + id_check_char(first17),
            village="阿尔巴斯嘎查",
            status_since=date(2021, 1, 1),
        )
        s.add(supplier)
        await s.flush()
        product = Product(
            cooperative_id=coop.id,
            supplier_member_id=supplier.id,
            name="阿尔巴斯羊肉",  # type: ignore[arg-type]
            shipping_kind="fixed",
            shipping_fen=1200,
        )
        s.add(product)
        await s.flush()
        units = shelf_stock + flash_stock
        sku = Sku(product_id=product.id, name="后腿 2.5kg", price_fen=26800, weight_g=2500, stock=units)  # type: ignore[arg-type]
        room = LiveRoom(cooperative_id=coop.id, name="阿尔巴斯直播间", banner="鄂托克旗")  # type: ignore[arg-type]
        s.add_all([sku, room])
        await s.flush()
        s.add(LiveRoomHost(room_id=room.id, user_id=host.id))  # type: ignore[arg-type]
        await s.flush()
        live = await sessions.schedule(
            s,
            host,
            room_id=room.id,
            title="今晚羊肉秒杀专场",
            content_line="goods",  # type: ignore[arg-type]
            scheduled_start=utcnow() + timedelta(minutes=1),
        )
        item = await shelf.add_item(
            s,
            host,
            live.id,
            sku_id=sku.id,
            price_fen=26800,
            quantity=units,  # type: ignore[arg-type]
            per_buyer_cap=per_buyer_cap,
        )
        await sessions.go_live(s, host, live.id)  # type: ignore[arg-type]
        ids = {"session_id": live.id, "shelf_pool_id": item.pool_id, "flash_pool_id": 0}
        if flash_stock:
            sale = await flash_sale.open_flash_sale(
                s,
                host,
                live.id,
                item_id=item.id,
                deal_price_fen=19900,  # type: ignore[arg-type]
                total_cap=flash_stock,
                per_buyer_cap=flash_per_buyer,
                countdown_s=10,
                window_min=20,
            )
            # The countdown is over: open the pool now instead of waiting (the sale stays open 20 minutes).
            await s.execute(
                sa.update(StockPool)
                .where(StockPool.id == sale.pool_id)
                .values(opens_at=utcnow() - timedelta(seconds=1))
            )
            ids["flash_pool_id"] = sale.pool_id
    await database.dispose()
    return ids  # type: ignore[return-value]
