"""Money from orders reaches the cooperative only through coop's posting interface."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.models import Order


async def post_paid(
    db: AsyncSession, order: Order, channel: str = "alipay", occurred_at: datetime | None = None
) -> None:
    if order.cooperative_id is None:
        return  # goods outside any cooperative (not used by the demo) are not the cooperative's business
    from coop.posting import LiveSalePaid, post

    await post(
        db,
        LiveSalePaid(
            cooperative_id=order.cooperative_id,
            reference=f"shop-order:{order.id}:paid",
            occurred_at=occurred_at or order.paid_at,
            supplier_member_id=order.supplier_member_id,  # type: ignore[arg-type]
            goods_fen=order.goods_fen,
            shipping_fen=order.shipping_fen,
            channel=channel,
            description=f"直播订单 {order.public_no}",
        ),
    )


async def post_refunded(db: AsyncSession, order: Order, refund_id: int, goods_fen: int, shipping_fen: int) -> None:
    if order.cooperative_id is None:
        return
    from coop.posting import LiveSaleRefunded, post

    await post(
        db,
        LiveSaleRefunded(
            cooperative_id=order.cooperative_id,
            reference=f"shop-order:{order.id}:refund:{refund_id}",
            original_reference=f"shop-order:{order.id}:paid",
            occurred_at=order.refunded_at,  # type: ignore[arg-type]
            goods_fen=goods_fen,
            shipping_fen=shipping_fen,
            description=f"直播订单退款 {order.public_no}",
        ),
    )
