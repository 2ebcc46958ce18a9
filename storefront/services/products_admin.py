"""The admin's product list and its upkeep (new product with its first SKU, more SKUs, price, stock, on/off
sale, images), scoped to the cooperatives the admin keeps. The work is the catalogue's, as for the API; this
module only adds the scope: a product or SKU of another cooperative is "not found", never touched."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from caoyuan.errors import BadInput, NotFound
from coop import reads
from storefront.errors import ShopCode
from storefront.media_store import MediaStore
from storefront.models import Product, ProductImage, Sku
from storefront.schemas import ProductIn, SkuIn, SkuPatch
from storefront.services import catalogue


@dataclass
class ProductRow:
    product: Product
    cooperative: str
    skus: list[Sku] = field(default_factory=list)
    images: list[str] = field(default_factory=list)


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
    pictures = sa.select(col(ProductImage.product_id), col(ProductImage.filename)).where(
        col(ProductImage.product_id).in_(list(rows) or [0])
    )
    for product_id, filename in (await db.execute(pictures.order_by(col(ProductImage.id)))).all():
        rows[product_id].images.append(f"/media/{filename}")
    return list(rows.values())


async def create_with_sku(db: AsyncSession, user_id: int, product: ProductIn, sku: SkuIn) -> Product:
    """A product of one of the admin's cooperatives, with its first SKU (both or neither: one transaction)."""
    if product.cooperative_id is None or not await reads.may_work_in(db, user_id, product.cooperative_id):
        raise BadInput("请选择您管理的合作社", field="cooperative_id", code=ShopCode.UNKNOWN_COOPERATIVE)
    made = await catalogue.create_product(db, product)
    await catalogue.add_sku(db, made.id, sku)  # type: ignore[arg-type]
    return made


async def create_product(db: AsyncSession, user_id: int, product: ProductIn) -> Product:
    """A product of one of the admin's cooperatives (of none: only the install's admin)."""
    if product.cooperative_id is None:
        allowed = await reads.may_see_unowned(db, user_id)
    else:
        allowed = await reads.may_work_in(db, user_id, product.cooperative_id)
    if not allowed:
        raise BadInput("请选择您管理的合作社", field="cooperative_id", code=ShopCode.UNKNOWN_COOPERATIVE)
    return await catalogue.create_product(db, product)


async def add_sku(db: AsyncSession, user_id: int, product_id: int, sku: SkuIn) -> Sku:
    """One more SKU (规格) of a product the admin keeps."""
    await _kept_product(db, user_id, product_id)
    return await catalogue.add_sku(db, product_id, sku)


async def patch_sku(db: AsyncSession, user_id: int, sku_id: int, change: SkuPatch) -> Sku:
    """A new price, stock added or taken away, or on/off sale, for a SKU of a product the admin keeps."""
    sku = await db.get(Sku, sku_id)
    if sku is None:
        raise NotFound("没有这个规格")
    await _kept_product(db, user_id, sku.product_id, missing="没有这个规格")
    return await catalogue.patch_sku(db, sku_id, change)


async def add_image(db: AsyncSession, user_id: int, product_id: int, raw: bytes, store: MediaStore) -> ProductImage:
    await _kept_product(db, user_id, product_id)
    return await catalogue.add_image(db, product_id, raw, store)


async def _kept_product(db: AsyncSession, user_id: int, product_id: int, missing: str = "没有这个商品") -> Product:
    """The product, if the admin keeps its cooperative; otherwise 404 (another village's row is not shown)."""
    product = await db.get(Product, product_id)
    if product is None:
        raise NotFound(missing)
    if product.cooperative_id is None:
        kept = await reads.may_see_unowned(db, user_id)
    else:
        kept = await reads.may_work_in(db, user_id, product.cooperative_id)
    if not kept:
        raise NotFound(missing)
    return product
