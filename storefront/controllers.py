from __future__ import annotations

from litestar import Controller, get
from litestar.response import Template

from caoyuan.deps import Db
from storefront.catalogue import active_catalogue
from storefront.schemas import ProductPublic


class CatalogueApi(Controller):
    path = "/api/shop/products"
    tags = ["storefront"]

    @get("/", summary="在售商品（公开）")
    async def list_products(self, db: Db) -> list[ProductPublic]:
        return await active_catalogue(db)


class ShopPages(Controller):
    path = "/shop"
    include_in_schema = False

    @get("/")
    async def catalogue(self, db: Db) -> Template:
        return Template("storefront/catalogue.html", context={"products": await active_catalogue(db)})
