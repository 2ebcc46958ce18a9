"""Reads for the buyer's order pages: what was bought (name and picture), and a buyer's own orders."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import NotFound
from storefront import links
from storefront.models import Order, Product, ProductImage, Refund, Sku


async def order_by_no(db: AsyncSession, order_no: str) -> Order:
    """The order behind a public order number; a malformed number is "not found" without a query."""
    if not links.is_order_no(order_no):
        raise NotFound("没有找到这笔订单")
    order = await db.scalar(sa.select(Order).where(Order.public_no == order_no))
    if order is None:
        raise NotFound("没有找到这笔订单")
    return order


async def item_of(db: AsyncSession, sku_id: int) -> dict:
    """The product and SKU names and the product's first picture (a /media/ path, or "")."""
    row = (
        await db.execute(
            sa.select(Product.id, Product.name, Sku.name)
            .join(Sku, Sku.product_id == Product.id)
            .where(Sku.id == sku_id)
        )
    ).first()
    if row is None:
        return {"product": "", "sku": "", "picture": ""}
    picture = await db.scalar(
        sa.select(ProductImage.filename).where(ProductImage.product_id == row[0]).order_by(ProductImage.id).limit(1)
    )
    return {"product": row[1], "sku": row[2], "picture": f"/media/{picture}" if picture else ""}


async def orders_for_phone(db: AsyncSession, phone: str, limit: int = 100) -> list[tuple[Order, str, str]]:
    """Every order placed with this phone number, newest first, with its product and SKU names."""
    rows = await db.execute(
        sa.select(Order, Product.name, Sku.name)
        .join(Sku, Sku.id == Order.sku_id)
        .join(Product, Product.id == Sku.product_id)
        .where(Order.buyer_phone == phone)
        .order_by(Order.id.desc())
        .limit(limit)
    )
    return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def latest_refund(db: AsyncSession, order_id: int) -> Refund | None:
    return await db.scalar(sa.select(Refund).where(Refund.order_id == order_id).order_by(Refund.id.desc()))
