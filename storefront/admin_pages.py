"""/shop/admin/products: the cooperative's products from a page (admin, zh-CN, works without JavaScript).

One form makes a product and its first SKU through the same catalogue service as /api/shop/admin/products;
each product row adds a SKU and uploads an image, each SKU row changes its price, adds or takes stock and puts
it on or off sale (the API's PATCH /api/shop/admin/skus/{id}), all through products_admin, which keeps the
admin inside their cooperatives. A refusal shows the page again with the message at its field and nothing
saved (refused_form rolls back); the form's row id goes back with it so the message lands in that row's form.
Prices and fees are typed in 元 and kept in fen.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import MultipartBody, Parameter, URLEncodedBody
from litestar.response import Redirect, Template
from msgspec import Meta, Struct

from caoyuan.auth import Role
from caoyuan.auth.current import requires
from caoyuan.bounds import Id, IdParam
from caoyuan.deps import AppSettings, Db
from caoyuan.errors import AppError, BadInput
from caoyuan.money import MoneyError, format_fen, parse_fen
from caoyuan.web.forms import parse_form, refused_form
from caoyuan.web.responses import see_other
from coop import reads
from storefront.media_store import media_store
from storefront.schemas import ProductIn, SkuIn, SkuPatch
from storefront.services import catalogue, products_admin

PAGE = "/shop/admin/products"
Notice = Annotated[str | None, Parameter(max_length=100)]
SHIPPING_KINDS = {"free": "包邮", "fixed": "固定运费", "by_region": "按地区运费"}
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
    shipping_kind: Annotated[str, Meta(pattern="^(free|fixed|by_region)$")] = "free"
    shipping: Yuan = "0"
    region_fees: Annotated[str, Meta(max_length=2000)] = ""

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
            region_fees=_region_fees(self.region_fees) if self.shipping_kind == "by_region" else {},
        )
        return product, SkuIn(name=self.sku_name, price_fen=price, weight_g=self.weight_g, stock=self.stock)


class SkuForm(Struct):
    """A product row's "加一个规格" form."""

    sku_name: Annotated[str, Meta(min_length=1, max_length=100)]
    price: Yuan
    weight_g: Annotated[int, Meta(ge=1, le=100_000)]
    stock: Annotated[int, Meta(ge=0, le=1_000_000)] = 0

    def to_input(self) -> SkuIn:
        return SkuIn(name=self.sku_name, price_fen=_price(self.price), weight_g=self.weight_g, stock=self.stock)


class PriceForm(Struct):
    price: Yuan

    def to_patch(self) -> SkuPatch:
        return SkuPatch(price_fen=_price(self.price))


class StockForm(Struct):
    """补货 +N, or −N to take stock away (a typed "−" or "+" is read as the sign)."""

    add_stock: Annotated[str, Meta(max_length=12)]

    def to_patch(self) -> SkuPatch:
        text = self.add_stock.replace("−", "-").replace("＋", "+").replace(" ", "")
        try:
            count = int(text)
        except ValueError:
            raise BadInput("请填写件数，如 +20 或 -3", field="add_stock") from None
        if not -1_000_000 <= count <= 1_000_000:
            raise BadInput("一次最多增减 1,000,000 件", field="add_stock")
        return SkuPatch(add_stock=count)


class SaleForm(Struct):
    active: Annotated[str, Meta(pattern="^(on|off)$")]

    def to_patch(self) -> SkuPatch:
        return SkuPatch(active=self.active == "on")


def _price(text: str) -> int:
    price = _fen(text, "price", "价格")
    if price <= 0:
        raise BadInput("价格必须大于 0", field="price")
    return price


def _region_fees(text: str) -> dict[str, int]:
    """One "省份 运费（元）" a line, e.g. "内蒙古 8"; the catalogue checks the province names."""
    fees: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.replace("，", " ").replace(",", " ").replace("：", " ").replace(":", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            raise BadInput(f"第 {number} 行应写成“省份 运费”，如“内蒙古 8”", field="region_fees")
        fees[parts[0][:20]] = _fen(parts[1], "region_fees", f"第 {number} 行的运费")
    if not fees:
        raise BadInput("按地区运费请至少填写一个省份的运费", field="region_fees")
    if len(fees) > 40:
        raise BadInput("最多填写 40 个省份", field="region_fees")
    return fees


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

    @post("/{product_id:int}/skus")
    async def add_sku(
        self, product_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Template | Redirect:
        form = {**data, "product_id": str(product_id)}
        try:
            sku = await products_admin.add_sku(db, request.user.id, product_id, parse_form(data, SkuForm).to_input())
        except AppError as exc:
            return await refused_form(db, exc, "storefront/products.html", form, lambda: _context(db, request))
        return see_other(PAGE + "/", notice=f"已加规格：{sku.name}")

    @post("/skus/{sku_id:int}/price")
    async def price(
        self, sku_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Template | Redirect:
        return await _patch(request, db, sku_id, data, PriceForm, "已改价")

    @post("/skus/{sku_id:int}/stock")
    async def stock(
        self, sku_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Template | Redirect:
        return await _patch(request, db, sku_id, data, StockForm, "库存已更新")

    @post("/skus/{sku_id:int}/sale")
    async def sale(
        self, sku_id: IdParam, request: Request, db: Db, data: URLEncodedBody[dict[str, str]]
    ) -> Template | Redirect:
        return await _patch(request, db, sku_id, data, SaleForm, "已更新上架状态")

    @post("/{product_id:int}/images")
    async def upload_image(
        self, product_id: IdParam, request: Request, db: Db, settings: AppSettings, data: MultipartBody[dict[str, Any]]
    ) -> Template | Redirect:
        form = {"product_id": str(product_id), "image_for": str(product_id)}
        try:
            upload = data.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise BadInput("请选择图片文件", field="file")
            raw = await upload.read(catalogue.MAX_IMAGE_BYTES + 1)  # one byte more tells "too big" apart
            await products_admin.add_image(db, request.user.id, product_id, raw, media_store(settings))
        except AppError as exc:
            return await refused_form(db, exc, "storefront/products.html", form, lambda: _context(db, request))
        return see_other(PAGE + "/", notice="图片已上传")


async def _patch(
    request: Request, db: Db, sku_id: int, data: dict[str, str], kind: type[PriceForm | StockForm | SaleForm], done: str
) -> Template | Redirect:
    """One of a SKU row's small forms, through the same catalogue.patch_sku as PATCH /api/shop/admin/skus/{id}."""
    form = {**data, "sku_id": str(sku_id)}
    try:
        sku = await products_admin.patch_sku(db, request.user.id, sku_id, parse_form(data, kind).to_patch())
    except AppError as exc:
        return await refused_form(db, exc, "storefront/products.html", form, lambda: _context(db, request))
    return see_other(PAGE + "/", notice=f"{done}：{sku.name}")
