"""The admin's product list and the one-form "new product with its first SKU", scoped to their cooperatives."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from caoyuan.errors import BadInput
from coop import reads
from storefront.errors import ShopCode
from storefront.models import Product, Sku
from storefront.schemas import ProductIn, SkuIn
from storefront.services import catalogue


@dataclass
class ProductRow:
    product: Product
    cooperative: str
    skus: list[Sku] = field(default_factory=list)


async def product_rows(db: AsyncSession, user_id: int) -> list[ProductRow]:
    """The products of the cooperatives this admin keeps (an install-wide admin also sees unowned ones)."""
    coops = {c.id: c.name for c in await reads.cooperatives_of(db, user_id)}
    everything = await reads.may_see_unowned(db, user_id)
    owned = sa.or_(
        col(Product.cooperative_id).in_(list(coops) or [0]), col(Product.cooperative_id).is_(None) & everything
    )
    products = (await db.scalars(sa.select(Product).where(owned).order_by(col(Product.id).desc()).limit(200))).all()
    rows = {p.id: ProductRow(p, coops.get(p.cooperative_id or 0, "")) for p in products}
    skus = await db.scalars(sa.select(Sku).where(col(Sku.product_id).in_(list(rows) or [0])).order_by(col(Sku.id)))
    for sku in skus:
        rows[sku.product_id].skus.append(sku)
    return list(rows.values())


async def create_with_sku(db: AsyncSession, user_id: int, product: ProductIn, sku: SkuIn) -> Product:
    """A product of one of the admin's cooperatives, with its first SKU (both or neither: one transaction)."""
    if product.cooperative_id is None or not await reads.may_work_in(db, user_id, product.cooperative_id):
        raise BadInput("请选择您管理的合作社", field="cooperative_id", code=ShopCode.UNKNOWN_COOPERATIVE)
    made = await catalogue.create_product(db, product)
    await catalogue.add_sku(db, made.id, sku)  # type: ignore[arg-type]
    return made
