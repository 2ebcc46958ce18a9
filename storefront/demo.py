from __future__ import annotations

from caoyuan.demo import DemoContext
from caoyuan.money import yuan
from storefront.models import Product, Sku


async def seed(ctx: DemoContext) -> None:
    db = ctx.session
    coop_id = ctx.shared.get("coop.wengniute_id")
    suppliers = ctx.shared.get("coop.wengniute_member_ids") or await _member_ids(ctx, coop_id)
    mutton = Product(
        name="阿尔巴斯羊肉",
        description="鄂托克旗阿尔巴斯山羊，当天分割，今天拍明天发。",
        cooperative_id=coop_id,
        supplier_member_id=suppliers[0],
        shipping_kind="free",
    )
    jerky = Product(
        name="风干牛肉干",
        description="草原黄牛肉，手撕风干。",
        cooperative_id=coop_id,
        supplier_member_id=suppliers[-1],
        shipping_kind="fixed",
        shipping_fen=yuan(12),
    )
    db.add_all([mutton, jerky])
    await db.flush()
    db.add_all(
        [
            Sku(product_id=mutton.id, name="后腿 2.5kg", price_fen=yuan(268), weight_g=2500, stock=120),  # type: ignore[arg-type]
            Sku(product_id=mutton.id, name="羊排 2kg", price_fen=yuan(238), weight_g=2000, stock=80),  # type: ignore[arg-type]
            Sku(product_id=jerky.id, name="原味 500g", price_fen=yuan(98), weight_g=500, stock=300),  # type: ignore[arg-type]
        ]
    )
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
