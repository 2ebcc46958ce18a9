"""/shop/admin/products: the cooperative's products from a page (admin, zh-CN, works without JavaScript).

One form makes a product and its first SKU through the same catalogue service as /api/shop/admin/products;
a refusal shows the page again with the message at its field and nothing saved (refused_form rolls back).
Prices and fees are typed in 元 and kept in fen.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import Parameter, URLEncodedBody
from litestar.response import Redirect, Template
from msgspec import Meta, Struct

from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.bounds import Id
from caoyuan.deps import Db
from caoyuan.errors import AppError, BadInput
from caoyuan.money import MoneyError, format_fen, parse_fen
from caoyuan.web.forms import parse_form, refused_form
from caoyuan.web.responses import see_other
from coop import reads
from storefront.schemas import ProductIn, SkuIn
from storefront.services import products_admin

PAGE = "/shop/admin/products"
Notice = Annotated[str | None, Parameter(max_length=100)]
SHIPPING_KINDS = {"free": "包邮", "fixed": "固定运费"}
Yuan = Annotated[str, Meta(max_length=14)]


class ProductForm(Struct):
    """The page's fields; 元 amounts are parsed to fen by to_inputs (a slip is named at its field)."""

    name: Annotated[str, Meta(min_length=2, max_length=100)]
    cooperative_id: Id
    sku_name: Annotated[str, Meta(min_length=1, max_length=100)]
    price: Yuan
    weight_g: Annotated[int, Meta(ge=1, le=100_000)]
    stock: Annotated[int, Meta(ge=0, le=1_000_000)] = 0
    supplier_member_id: Id | None = None
    description: Annotated[str, Meta(max_length=1000)] = ""
    shipping_kind: Annotated[str, Meta(pattern="^(free|fixed)$")] = "free"
    shipping: Yuan = "0"

    def to_inputs(self) -> tuple[ProductIn, SkuIn]:
        price, shipping = _fen(self.price, "price", "价格"), _fen(self.shipping, "shipping", "运费")
        if price <= 0:
            raise BadInput("价格必须大于 0", field="price")
        product = ProductIn(
            name=self.name,
            cooperative_id=self.cooperative_id,
            supplier_member_id=self.supplier_member_id,
            description=self.description,
            shipping_kind=self.shipping_kind,
            shipping_fen=shipping if self.shipping_kind == "fixed" else 0,
        )
        return product, SkuIn(name=self.sku_name, price_fen=price, weight_g=self.weight_g, stock=self.stock)


def _fen(text: str, name: str, label: str) -> int:
    try:
        fen = parse_fen(text or "0")
    except MoneyError:
        raise BadInput(f"{label}请填写金额（元），最多两位小数", field=name) from None
    if not 0 <= fen <= 10_000_000:
        raise BadInput(f"{label}应在 0 到 100,000 元之间", field=name)
    return fen


async def _context(db: Db, request: Request) -> dict:
    coops = await reads.cooperatives_of(db, request.user.id)
    return {
        "rows": await products_admin.product_rows(db, request.user.id),
        "coops": coops,
        "households": await reads.households(db, [c.id for c in coops]),
        "kinds": SHIPPING_KINDS,
        "fen": format_fen,
        "form": {},
        "errors": {},
        "error": None,
        "notice": None,
    }


class ProductPages(Controller):
    path = PAGE
    include_in_schema = False
    guards = [requires(Role.ADMIN)]

    @get("/")
    async def products(self, request: Request, db: Db, notice: Notice = None) -> Template:
        return Template("storefront/products.html", context={**await _context(db, request), "notice": notice})

    @post("/")
    async def create(self, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
        try:
            product, sku = parse_form(data, ProductForm).to_inputs()
            made = await products_admin.create_with_sku(db, request.user.id, product, sku)
        except AppError as exc:
            return await refused_form(db, exc, "storefront/products.html", data, lambda: _context(db, request))
        return see_other(PAGE + "/", notice=f"已上架商品：{made.name}")
