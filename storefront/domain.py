"""Buyer side as the kernel sees it."""

from pathlib import Path

from caoyuan.domains import Domain, NavLink
from storefront.errors import ShopCode


def _routes():
    from storefront.admin_controllers import ShopAdminApi
    from storefront.admin_pages import ProductPages
    from storefront.controllers import ShopApi
    from storefront.media import media
    from storefront.pages import FulfilmentPages, ShopPages

    return [ShopApi, ShopAdminApi, ShopPages, FulfilmentPages, ProductPages, media]


async def _seed(ctx):  # type: ignore[no-untyped-def]
    from storefront.demo import seed

    await seed(ctx)


async def _start(app):  # type: ignore[no-untyped-def]
    from storefront.background import start

    await start(app)


domain = Domain(
    name="storefront",
    title="草原好物",
    models=["storefront.models"],
    table_prefixes=("shop_",),
    migrations=Path(__file__).parent / "migrations",
    route_handlers=_routes,
    template_dir=Path(__file__).parent / "templates",
    seed_demo=_seed,
    demo_order=20,
    home_for_role={"buyer": "/shop/"},
    nav=[
        NavLink("草原好物", "/shop/", frozenset({"anonymous", "buyer", "member", "admin", "host"})),
        NavLink("发货台", "/shop/admin/", frozenset({"admin"})),
        NavLink("商品", "/shop/admin/products/", frozenset({"admin"})),
    ],
    on_startup=[_start],
    error_codes=[ShopCode],
    payment_handlers={"CY": "storefront.payments:on_alipay_paid"},  # new_public_no's prefix
)
