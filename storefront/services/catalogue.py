"""Keeping the catalogue: products, SKUs, shipping rules, images (size-limited, resized)."""

from __future__ import annotations

import io
import secrets

import anyio.to_thread
import sqlalchemy as sa
from PIL import Image, UnidentifiedImageError
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import BadInput, NotFound
from caoyuan.money import format_fen
from storefront import rules
from storefront.errors import ShopCode
from storefront.media_store import MediaStore
from storefront.models import Product, ProductImage, ShippingRegionFee, Sku
from storefront.schemas import ProductIn, ProductPublic, SkuIn, SkuPatch, SkuPublic

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1200
STOCK_LIMIT = 100_000_000  # a SKU's stock stays far below the INTEGER column's 2^31


async def active_catalogue(db: AsyncSession) -> list[ProductPublic]:
    rows = (
        await db.execute(
            sa.select(Product, Sku)
            .join(Sku, Sku.product_id == Product.id)
            .where(Product.active.is_(True), Sku.active.is_(True))
            .order_by(Product.id, Sku.id)
        )
    ).all()
    images: dict[int, list[str]] = {}
    for product_id, filename in (
        await db.execute(sa.select(ProductImage.product_id, ProductImage.filename).order_by(ProductImage.id))
    ).all():
        images.setdefault(product_id, []).append(f"/media/{filename}")
    products: dict[int, ProductPublic] = {}
    for product, sku in rows:
        entry = products.setdefault(
            product.id, ProductPublic(product.id, product.name, product.description, [], images.get(product.id, []))
        )
        entry.skus.append(
            SkuPublic(sku.id, sku.name, sku.price_fen, format_fen(sku.price_fen), sku.weight_g, sku.stock > 0)
        )
    return list(products.values())


async def create_product(db: AsyncSession, data: ProductIn) -> Product:
    if data.shipping_fen < 0 or any(fee < 0 for fee in data.region_fees.values()):
        raise BadInput("运费不能为负数", field="shipping_fen")
    await _check_owner(db, data.cooperative_id, data.supplier_member_id)
    fees = {}
    for province, fee in data.region_fees.items():
        try:
            fees[rules.normalize_province(province)] = fee
        except rules.RuleError as exc:
            raise BadInput(str(exc), field="region_fees") from None
    product = Product(
        name=data.name.strip(),
        description=data.description.strip(),
        cooperative_id=data.cooperative_id,
        supplier_member_id=data.supplier_member_id,
        shipping_kind=data.shipping_kind,
        shipping_fen=data.shipping_fen,
    )
    db.add(product)
    await db.flush()
    db.add_all([ShippingRegionFee(product_id=product.id, province=p, fee_fen=f) for p, f in fees.items()])  # type: ignore[arg-type]
    return product


async def _check_owner(db: AsyncSession, cooperative_id: int | None, supplier_member_id: int | None) -> None:
    """The cooperative and the supplying member must exist (a foreign key would refuse them as a 500)."""
    from coop.models import Cooperative, Member  # reading coop's register; storefront never writes it

    if cooperative_id is not None and await db.get(Cooperative, cooperative_id) is None:
        raise BadInput("没有这个合作社", field="cooperative_id", code=ShopCode.UNKNOWN_COOPERATIVE)
    if supplier_member_id is None:
        return
    member = await db.get(Member, supplier_member_id)
    if member is None:
        raise BadInput("没有这个供货社员", field="supplier_member_id", code=ShopCode.UNKNOWN_MEMBER)
    if cooperative_id is not None and member.cooperative_id != cooperative_id:
        raise BadInput(
            "供货社员不属于这个合作社", field="supplier_member_id", code=ShopCode.MEMBER_OF_OTHER_COOPERATIVE
        )


async def add_sku(db: AsyncSession, product_id: int, data: SkuIn) -> Sku:
    if await db.get(Product, product_id) is None:
        raise NotFound("没有这个商品")
    if data.price_fen <= 0:
        raise BadInput("价格必须大于 0", field="price_fen")
    if data.weight_g <= 0:
        raise BadInput("重量必须大于 0 克", field="weight_g")
    if data.stock < 0:
        raise BadInput("库存不能为负数", field="stock")
    sku = Sku(
        product_id=product_id,
        name=data.name.strip(),
        price_fen=data.price_fen,
        weight_g=data.weight_g,
        stock=data.stock,
    )
    db.add(sku)
    await db.flush()
    return sku


async def patch_sku(db: AsyncSession, sku_id: int, data: SkuPatch) -> Sku:
    sku = await db.get(Sku, sku_id)
    if sku is None:
        raise NotFound("没有这个规格")
    values: dict = {}
    if data.price_fen is not None:
        if data.price_fen <= 0:
            raise BadInput("价格必须大于 0", field="price_fen")
        values["price_fen"] = data.price_fen
    if data.active is not None:
        values["active"] = data.active
    if data.add_stock is not None:
        if data.add_stock == 0:
            raise BadInput("补货数量不能为 0", field="add_stock")
        values["stock"] = Sku.stock + data.add_stock  # relative: concurrent allocations are not overwritten
    if values:
        after = Sku.stock + (data.add_stock or 0)
        moved = await db.execute(
            sa.update(Sku).where(Sku.id == sku_id, after >= 0, after <= STOCK_LIMIT).values(**values)
        )
        if moved.rowcount != 1:
            too_many = (data.add_stock or 0) > 0
            raise BadInput(
                f"库存不能超过 {STOCK_LIMIT:,} 件" if too_many else "减少的库存超过了现有库存", field="add_stock"
            )
    await db.refresh(sku)
    return sku


async def add_image(db: AsyncSession, product_id: int, raw: bytes, store: MediaStore) -> ProductImage:
    if await db.get(Product, product_id) is None:
        raise NotFound("没有这个商品")
    if len(raw) > MAX_IMAGE_BYTES:
        raise BadInput(f"图片不能超过 {MAX_IMAGE_BYTES // 1024 // 1024} MB", field="file", status=413)
    filename = f"p{product_id}-{secrets.token_hex(6)}.jpg"
    jpeg, width, height = await anyio.to_thread.run_sync(_resize, raw)
    await store.put(filename, jpeg)  # stored before the row: a saved image never points at nothing
    image = ProductImage(product_id=product_id, filename=filename, width=width, height=height)
    db.add(image)
    await db.flush()
    return image


def _resize(raw: bytes) -> tuple[bytes, int, int]:
    try:
        with Image.open(io.BytesIO(raw)) as img:
            if img.width * img.height > 40_000_000:
                raise BadInput("图片像素太大", field="file")
            img = img.convert("RGB")
            img.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            img.save(out, "JPEG", quality=85, optimize=True)
            return out.getvalue(), img.width, img.height
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise BadInput("无法识别的图片，请上传 JPG、PNG 或 WebP", field="file") from None
