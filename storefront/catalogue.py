"""Reading the active catalogue (shared by the API and the page)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.money import format_fen
from storefront.models import Product, Sku
from storefront.schemas import ProductPublic, SkuPublic


async def active_catalogue(db: AsyncSession) -> list[ProductPublic]:
    rows = (await db.execute(
        select(Product, Sku).join(Sku, Sku.product_id == Product.id)
        .where(Product.active.is_(True), Sku.active.is_(True)).order_by(Product.id, Sku.id)
    )).all()
    products: dict[int, ProductPublic] = {}
    for product, sku in rows:
        entry = products.setdefault(product.id, ProductPublic(product.id, product.name, product.description, []))
        entry.skus.append(SkuPublic(sku.id, sku.name, sku.price_fen, format_fen(sku.price_fen), sku.weight_g,
                                    sku.stock > 0))
    return list(products.values())
