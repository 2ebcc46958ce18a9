"""Buyer side as the kernel sees it."""

from pathlib import Path

from caoyuan.domains import Domain, NavLink


def _routes():
    from storefront.controllers import CatalogueApi, ShopPages

    return [CatalogueApi, ShopPages]


async def _seed(ctx):  # type: ignore[no-untyped-def]
    from storefront.demo import seed

    await seed(ctx)


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
    nav=[NavLink("草原好物", "/shop/", frozenset({"anonymous", "buyer", "member", "admin", "host"}))],
)
