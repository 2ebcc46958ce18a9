"""Demo: the cooperative's products and SKUs, made through the catalogue service (as 商品 does)."""

from __future__ import annotations

from caoyuan.demo import DemoContext
from caoyuan.money import yuan
from storefront.schemas import ProductIn, SkuIn
from storefront.services import catalogue


async def seed(ctx: DemoContext) -> None:
    db = ctx.session
    coop_id = ctx.shared.get("coop.wengniute_id")
    suppliers = ctx.shared.get("coop.wengniute_member_ids") or await _member_ids(ctx, coop_id)
    mutton = await catalogue.create_product(
        db,
        ProductIn(
            name="阿尔巴斯羊肉",
            description="鄂托克旗阿尔巴斯山羊，当天分割，今天拍明天发。",
            cooperative_id=coop_id,  # type: ignore[arg-type]
            supplier_member_id=suppliers[0],
            shipping_kind="free",
        ),
    )
    jerky = await catalogue.create_product(
        db,
        ProductIn(
            name="风干牛肉干",
            description="草原黄牛肉，手撕风干。",
            cooperative_id=coop_id,  # type: ignore[arg-type]
            supplier_member_id=suppliers[-1],
            shipping_kind="fixed",
            shipping_fen=yuan(12),
        ),
    )
    for product, name, price, grams, stock in (
        (mutton, "后腿 2.5kg", 268, 2500, 120),
        (mutton, "羊排 2kg", 238, 2000, 80),
        (jerky, "原味 500g", 98, 500, 300),
    ):
        await catalogue.add_sku(db, product.id, SkuIn(name=name, price_fen=yuan(price), weight_g=grams, stock=stock))  # type: ignore[arg-type]
    await ctx.login(phone="13900000005", role="buyer", name="陈女士", note="买家（也可不注册直接下单）")


async def _member_ids(ctx: DemoContext, coop_id: object) -> list[int | None]:
    """The supplying households: read (never written) from the cooperative's register."""
    import sqlalchemy as sa

    from coop.models import Member

    ids = list(
        await ctx.session.scalars(
            sa.select(Member.id).where(Member.cooperative_id == coop_id).order_by(Member.member_no)
        )
    )
    return ids or [None]  # type: ignore[return-value]
