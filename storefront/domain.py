"""Buyer side as the kernel sees it."""

from caoyuan.domains import Domain, NavLink, called_later
from storefront.errors import ShopCode


def _routes():
    from storefront.admin_controllers import ShopAdminApi
    from storefront.admin_pages import ProductPages
    from storefront.controllers import ShopApi
    from storefront.media import media
    from storefront.pages import FulfilmentPages, ShopPages

    return [ShopApi, ShopAdminApi, ShopPages, FulfilmentPages, ProductPages, media]


domain = Domain.at(
    __file__,
    name="storefront",
    title="草原好物",
    models=["storefront.models"],
    table_prefixes=("shop_",),
    route_handlers=_routes,
    seed_demo=called_later("storefront.demo:seed"),
    demo_order=20,
    home_for_role={"buyer": "/shop/"},
    nav=[
        NavLink("草原好物", "/shop/", frozenset({"anonymous", "buyer", "member", "admin", "host"})),
        NavLink("发货台", "/shop/admin/", frozenset({"admin"})),
        NavLink("商品", "/shop/admin/products/", frozenset({"admin"})),
    ],
    on_startup=[called_later("storefront.background:start")],
    error_codes=[ShopCode],
    payment_handlers={"CY": "storefront.payments:on_alipay_paid"},  # new_public_no's prefix
)
