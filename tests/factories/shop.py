"""Storefront test data: a product with one SKU (through the catalogue service) and a buyer's order body."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.models import Sku
from storefront.schemas import ProductIn, SkuIn
from storefront.services.catalogue import add_sku, create_product


async def make_sku(
    db: AsyncSession,
    cooperative_id: int,
    supplier_member_id: int,
    *,
    price_fen: int = 26800,
    stock: int = 50,
    shipping_kind: str = "free",
    shipping_fen: int = 0,
) -> Sku:
    """阿尔巴斯羊肉, 后腿 2.5kg, supplied by one member of the cooperative."""
    product = await create_product(
        db,
        ProductIn(
            name="阿尔巴斯羊肉",
            cooperative_id=cooperative_id,
            supplier_member_id=supplier_member_id,
            shipping_kind=shipping_kind,
            shipping_fen=shipping_fen,
        ),
    )
    return await add_sku(db, product.id, SkuIn(name="后腿 2.5kg", price_fen=price_fen, weight_g=2500, stock=stock))


def order_body(quantity: int = 1, phone: str = "13800000001", **overrides: object) -> dict:
    body = {
        "quantity": quantity,
        "phone": phone,
        "name": "张三丰",
        "province": "北京市",
        "city": "北京市",
        "county": "海淀区",
        "detail": "中关村大街 1 号 2 单元",
    }
    body.update(overrides)
    return body
