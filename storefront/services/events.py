"""What hosts see about an order, appended to the live session's feed in the order's own transaction."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.feed import append_event
from caoyuan.identity import mask_name, mask_phone
from caoyuan.money import format_fen
from storefront.models import Product, Sku


async def sku_label(db: AsyncSession, sku_id: int) -> str:
    """'阿尔巴斯羊肉 后腿 2.5kg': how hosts, packers and Alipay's subject line name an item."""
    row = (
        await db.execute(
            sa.select(Product.name, Sku.name).join(Sku, Sku.product_id == Product.id).where(Sku.id == sku_id)
        )
    ).first()
    return f"{row[0]} {row[1]}" if row else ""


def order_payload(order, sku_name: str) -> dict:  # type: ignore[no-untyped-def]
    # Buyers are masked here already: the event table never holds a whole name or phone number.
    return {
        "order_no": order.public_no,
        "status": order.status,
        "buyer": mask_name(order.buyer_name),
        "phone": mask_phone(order.buyer_phone),
        "sku_id": order.sku_id,
        "sku": sku_name,
        "quantity": order.quantity,
        "total_fen": order.total_fen,
        "total": format_fen(order.total_fen),
        "pool_id": order.pool_id,
        "province": order.province,
    }


async def order_event(
    db: AsyncSession,
    stream: str,
    kind: str,
    order,
    sku_name: str,  # type: ignore[no-untyped-def]
    **extra: object,
) -> int | None:
    if not stream:
        return None
    return await append_event(db, stream, kind, {**order_payload(order, sku_name), **extra})


async def stock_event(db: AsyncSession, stream: str, pool_id: int, remaining: int) -> int | None:
    if not stream:
        return None
    return await append_event(db, stream, "stock", {"pool_id": pool_id, "remaining": remaining})
