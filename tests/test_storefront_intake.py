"""Order intake through the services: stock, caps, idempotency, validation, expiry, payment, refunds."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from caoyuan.db import utcnow
from caoyuan.errors import BadInput, Conflict, NotFound
from caoyuan.feed import FeedEvent
from storefront.models import BuyerQuota, Order, Sku, StockPool, WaitlistEntry
from storefront.services import expire_orders, refund, stock
from storefront.services.place_order import OrderRequest, SoldOut, place_order
from storefront.services.settle_payment import Notice, settle
from tests.factories.live import build


def request(pool_id: int, key: str, quantity: int = 1, phone: str = "13800000001", **kw) -> OrderRequest:  # type: ignore[no-untyped-def]
    fields = dict(
        pool_id=pool_id,
        quantity=quantity,
        phone=phone,
        name="张三丰",
        province="内蒙古",
        city="鄂尔多斯市",
        county="鄂托克旗",
        detail="乌兰镇团结路 8 号",
        idempotency_key=key,
    )
    fields.update(kw)
    return OrderRequest(**fields)


async def remaining(db, pool_id: int) -> int:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        return (await s.get(StockPool, pool_id)).remaining


async def test_order_reserves_stock_and_records_prices(db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=5, price_fen=26800)
    async with db.session() as s:
        placed = await place_order(s, request(sc.pool_id, "key-0000001", quantity=2))
    order = placed.order
    assert placed.created and placed.remaining == 3
    assert (order.unit_price_fen, order.goods_fen, order.total_fen) == (26800, 53600, 53600)
    assert order.province == "内蒙古自治区" and order.status == "pending_payment"
    assert await remaining(db, sc.pool_id) == 3
    async with db.session() as s:
        kinds = list(
            await s.scalars(
                sa.select(FeedEvent.kind).where(FeedEvent.stream == f"live:{sc.session_id}").order_by(FeedEvent.seq)
            )
        )
    assert kinds[-2:] == ["order_placed", "stock"]


async def test_idempotency_key_returns_the_same_order(db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    async with db.session() as s:
        first = await place_order(s, request(sc.pool_id, "same-key-123"))
    async with db.session() as s:
        again = await place_order(s, request(sc.pool_id, "same-key-123"))
    assert not again.created and again.order.id == first.order.id
    assert await remaining(db, sc.pool_id) == 4
    with pytest.raises(Conflict) as info:
        async with db.session() as s:
            await place_order(s, request(sc.pool_id, "same-key-123", quantity=2))
    assert info.value.code == "idempotency_key_reused"


async def test_sold_out_offers_the_waitlist_and_writes_nothing(db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=2)
    async with db.session() as s:
        await place_order(s, request(sc.pool_id, "key-a-00001", quantity=2))
    with pytest.raises(SoldOut) as info:
        async with db.session() as s:
            await place_order(s, request(sc.pool_id, "key-b-00001", phone="13800000002"))
    assert info.value.status == 409 and info.value.extra["waitlist"]["pool_id"] == sc.pool_id
    async with db.session() as s:
        assert await s.scalar(sa.select(sa.func.count()).select_from(Order)) == 1


async def test_per_buyer_cap_holds_in_the_database(db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=10, per_buyer_cap=3)
    async with db.session() as s:
        await place_order(s, request(sc.pool_id, "cap-key-0001", quantity=2))
    with pytest.raises(Conflict) as info:
        async with db.session() as s:
            await place_order(s, request(sc.pool_id, "cap-key-0002", quantity=2))
    assert info.value.code == "per_buyer_cap"
    async with db.session() as s:
        await place_order(s, request(sc.pool_id, "cap-key-0003", quantity=1))
        await place_order(s, request(sc.pool_id, "cap-key-0004", quantity=3, phone="13800000009"))
        quota = await s.get(BuyerQuota, (sc.pool_id, "13800000001"))
    assert quota.used == 3
    assert await remaining(db, sc.pool_id) == 4


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("quantity", {"quantity": 0}),
        ("quantity", {"quantity": 100}),
        ("phone", {"phone": "12345"}),
        ("province", {"province": "火星"}),
        ("detail", {"detail": "短"}),
        ("name", {"name": ""}),
        ("province", {"province": "香港"}),
        ("Idempotency-Key", {"idempotency_key": "x"}),
    ],
)
async def test_bad_input_names_the_field(db, make_user, field: str, overrides: dict) -> None:
    sc = await build(db, make_user, shelf_qty=5)
    overrides = dict(overrides)
    with pytest.raises(BadInput) as info:
        async with db.session() as s:
            await place_order(s, request(sc.pool_id, overrides.pop("idempotency_key", "bad-key-0001"), **overrides))
    assert info.value.field == field
    assert await remaining(db, sc.pool_id) == 5


async def test_unknown_pool_and_ended_session(db, make_user) -> None:
    from streaming.services import sessions

    sc = await build(db, make_user, shelf_qty=5)
    with pytest.raises(NotFound):
        async with db.session() as s:
            await place_order(s, request(9999, "nopool-0001"))
    async with db.session() as s:
        await sessions.end(s, sc.host, sc.session_id)
    with pytest.raises(Conflict) as info:
        async with db.session() as s:
            await place_order(s, request(sc.pool_id, "ended-00001"))
    assert info.value.code == "not_on_sale"
    async with db.session() as s:
        assert (await s.get(Sku, sc.sku_id)).stock == 50  # 45 left + the shelf's 5 returned


async def test_expiry_returns_stock_exactly_once(db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=3, per_buyer_cap=3)
    async with db.session() as s:
        placed = await place_order(s, request(sc.pool_id, "exp-key-0001", quantity=2))
    later = utcnow() + timedelta(minutes=16)
    async with db.session() as s:
        closed = await expire_orders.expire_due(s, later)
    async with db.session() as s:
        again = await expire_orders.expire_due(s, later)
    assert closed == [placed.order.public_no] and again == []
    assert await remaining(db, sc.pool_id) == 3
    async with db.session() as s:
        order = await s.get(Order, placed.order.id)
        assert order.status == "expired" and order.stock_returned
        assert (await s.get(BuyerQuota, (sc.pool_id, "13800000001"))).used == 0


async def test_payment_marks_paid_posts_to_books_and_is_idempotent(db, make_user) -> None:
    from coop.models import MemberVolume

    sc = await build(db, make_user, shelf_qty=3)
    async with db.session() as s:
        placed = await place_order(s, request(sc.pool_id, "pay-key-0001", quantity=2))
    notice = Notice(placed.order.public_no, "2026112100001", placed.order.total_fen, "TRADE_SUCCESS")
    async with db.session() as s:
        first = await settle(s, notice)
    async with db.session() as s:
        second = await settle(s, notice)
    assert (first.outcome, second.outcome) == ("paid", "duplicate")
    async with db.session() as s:
        order = await s.get(Order, placed.order.id)
        assert order.status == "paid" and order.ship_by is not None
        volume = await s.scalar(
            sa.select(sa.func.sum(MemberVolume.amount_fen)).where(MemberVolume.member_id == sc.supplier_id)
        )
    assert volume == order.goods_fen


async def test_wrong_amount_and_unknown_order_are_refused(db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=3)
    async with db.session() as s:
        placed = await place_order(s, request(sc.pool_id, "amt-key-0001"))
    with pytest.raises(BadInput):
        async with db.session() as s:
            await settle(s, Notice(placed.order.public_no, "T1", placed.order.total_fen + 1, "TRADE_SUCCESS"))
    with pytest.raises(NotFound):
        async with db.session() as s:
            await settle(s, Notice("CY000000NOPE", "T1", 100, "TRADE_SUCCESS"))
    async with db.session() as s:
        waiting = await settle(s, Notice(placed.order.public_no, "T1", placed.order.total_fen, "WAIT_BUYER_PAY"))
        assert waiting.outcome == "ignored"
        assert (await s.get(Order, placed.order.id)).status == "pending_payment"


async def test_late_payment_keeps_the_order_if_stock_allows_else_refunds(db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=1)
    async with db.session() as s:
        late = await place_order(s, request(sc.pool_id, "late-key-001"))
    async with db.session() as s:
        await expire_orders.expire_due(s, utcnow() + timedelta(minutes=20))
    async with db.session() as s:
        result = await settle(s, Notice(late.order.public_no, "T-late", late.order.total_fen, "TRADE_SUCCESS"))
    assert result.outcome == "paid" and await remaining(db, sc.pool_id) == 0
    # a second expired order paid late, with the stock gone: refund needed
    sc2 = await build(db, make_user, shelf_qty=1)
    async with db.session() as s:
        gone = await place_order(s, request(sc2.pool_id, "late-key-002"))
    async with db.session() as s:
        await expire_orders.expire_due(s, utcnow() + timedelta(minutes=20))
    async with db.session() as s:
        await place_order(s, request(sc2.pool_id, "late-key-003", phone="13800000005"))
    async with db.session() as s:
        result = await settle(s, Notice(gone.order.public_no, "T-late2", gone.order.total_fen, "TRADE_SUCCESS"))
    assert result.outcome == "refund_needed" and await remaining(db, sc2.pool_id) == 0


async def test_released_stock_is_held_for_the_oldest_waiting_buyer(db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=1)
    async with db.session() as s:
        first = await place_order(s, request(sc.pool_id, "wl-key-0001"))
        s.add(WaitlistEntry(pool_id=sc.pool_id, phone="13800000007", quantity=1, token="tok-old"))
        await s.flush()
        s.add(WaitlistEntry(pool_id=sc.pool_id, phone="13800000008", quantity=1, token="tok-new"))
    async with db.session() as s:
        await expire_orders.expire_due(s, utcnow() + timedelta(minutes=16))
    assert await remaining(db, sc.pool_id) == 0  # held, not back on the shelf
    async with db.session() as s:
        old = await s.scalar(sa.select(WaitlistEntry).where(WaitlistEntry.token == "tok-old"))
        assert old.status == "offered" and old.held == 1
    with pytest.raises(Conflict):  # someone else cannot use the token
        async with db.session() as s:
            await place_order(s, request(sc.pool_id, "wl-key-0002", phone="13800000008", waitlist_token="tok-old"))
    async with db.session() as s:
        claimed = await place_order(
            s, request(sc.pool_id, "wl-key-0003", phone="13800000007", waitlist_token="tok-old")
        )
    assert claimed.created and first.order.id != claimed.order.id


async def test_refund_of_unshipped_order_returns_stock_and_reverses_books(db, make_user) -> None:
    from coop.models import MemberVolume

    sc = await build(db, make_user, shelf_qty=2)
    async with db.session() as s:
        placed = await place_order(s, request(sc.pool_id, "rf-key-0001", quantity=2))
    async with db.session() as s:
        await settle(s, Notice(placed.order.public_no, "T-rf", placed.order.total_fen, "TRADE_SUCCESS"))
    async with db.session() as s:
        requested = await refund.request_refund(s, placed.order.public_no, "13800000001", "羊肉不要了")
    async with db.session() as s:
        await refund.approve_refund(s, requested.id, sc.host.id)
    async with db.session() as s:
        order = await refund.complete_refund(s, requested.id)
    assert order.status == "refunded" and await remaining(db, sc.pool_id) == 2
    async with db.session() as s:
        volume = await s.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(MemberVolume.amount_fen), 0)).where(
                MemberVolume.member_id == sc.supplier_id
            )
        )
    assert volume == 0
    with pytest.raises(Conflict):
        async with db.session() as s:
            await refund.approve_refund(s, requested.id, sc.host.id)


async def test_stock_put_back_to_closed_pool_goes_to_catalogue(db, make_user) -> None:
    sc = await build(db, make_user, stock=10, shelf_qty=4)
    async with db.session() as s:
        await place_order(s, request(sc.pool_id, "cl-key-0001", quantity=1))
    from streaming.services import sessions

    async with db.session() as s:
        await sessions.end(s, sc.host, sc.session_id)
    async with db.session() as s:
        await expire_orders.expire_due(s, utcnow() + timedelta(minutes=16))
    async with db.session() as s:
        assert (await s.get(Sku, sc.sku_id)).stock == 10
    async with db.session() as s:
        assert await stock.take(s, sc.pool_id, 1) is None


async def test_late_payment_respects_the_per_buyer_cap(db, make_user) -> None:
    sc = await build(db, make_user, shelf_qty=5, per_buyer_cap=1)
    async with db.session() as s:
        first = await place_order(s, request(sc.pool_id, "cap-late-001"))
    async with db.session() as s:
        await expire_orders.expire_due(s, utcnow() + timedelta(minutes=16))
    async with db.session() as s:  # the quota came back, so the buyer orders again
        await place_order(s, request(sc.pool_id, "cap-late-002"))
    async with db.session() as s:
        result = await settle(s, Notice(first.order.public_no, "T-cap", first.order.total_fen, "TRADE_SUCCESS"))
    assert result.outcome == "refund_needed"
    assert await remaining(db, sc.pool_id) == 4
    async with db.session() as s:
        assert (await s.get(BuyerQuota, (sc.pool_id, "13800000001"))).used == 1
