"""Products from a page (issue 10): the admin puts a product and its first SKU on sale for one of their
cooperatives; a slip is refused at its field with nothing saved; an admin of village B neither sees nor
makes village A's products."""

from __future__ import annotations

from sqlalchemy import func, select

from coop import access
from coop.models import Cooperative
from storefront.models import Product, Sku
from tests.factories.coop import CODE, FORM, OTHER

PRODUCT = {
    "name": "阿尔巴斯羊肉",
    "sku_name": "后腿 2.5kg",
    "price": "268.50",
    "weight_g": "2500",
    "stock": "40",
    "shipping_kind": "fixed",
    "shipping": "12",
}


def _csrf(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}


def _at_field(html: str, field: str) -> str:
    marker = f'id="{field}-error" role="alert">'
    return html.split(marker, 1)[1].split("</span>", 1)[0] if marker in html else ""


async def _post(client, url: str, form: dict):  # type: ignore[no-untyped-def]
    return await client.post(url, data=form, headers=_csrf(client), follow_redirects=False)


async def _two_villages(client, db) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    for name, code in (("白音套海嘎查农牧业专业合作社", CODE), ("八道岭村农机专业合作社", OTHER)):
        made = await _post(client, "/coop/setup/", {**FORM, "name": name, "credit_code": code})
        assert made.status_code == 303, made.text
    async with db.session() as s:
        a, b = (await s.scalars(select(Cooperative.id).order_by(Cooperative.id))).all()
    return a, b


async def test_a_product_is_made_from_the_page_and_a_slip_saves_nothing(client, db, make_user, login_page) -> None:
    admin = await make_user("admin")
    await login_page(client, admin.phone)
    a, _ = await _two_villages(client, db)

    slip = await _post(client, "/shop/admin/products/", {**PRODUCT, "cooperative_id": str(a), "price": "-3"})
    assert slip.status_code == 422 and "价格" in _at_field(slip.text, "price")
    assert 'value="后腿 2.5kg"' in slip.text  # what was typed is kept
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Product)) == 0

    made = await _post(client, "/shop/admin/products/", {**PRODUCT, "cooperative_id": str(a)})
    assert made.status_code == 303, made.text
    async with db.session() as s:
        product = (await s.scalars(select(Product))).one()
        sku = (await s.scalars(select(Sku))).one()
    assert (product.cooperative_id, product.shipping_kind, product.shipping_fen) == (a, "fixed", 1200)
    assert (sku.product_id, sku.price_fen, sku.weight_g, sku.stock) == (product.id, 26850, 2500, 40)
    listing = await client.get("/shop/admin/products/")
    assert "阿尔巴斯羊肉" in listing.text and "¥268.50" in listing.text and "库存 40 件" in listing.text


async def test_an_admin_of_village_b_cannot_see_or_make_village_a_products(client, db, make_user, login_page) -> None:
    install = await make_user("admin")
    keeper_b = await make_user("admin", name="B村会计")
    await login_page(client, install.phone)
    a, b = await _two_villages(client, db)
    assert (await _post(client, "/shop/admin/products/", {**PRODUCT, "cooperative_id": str(a)})).status_code == 303
    async with db.session() as s:
        await access.grant(s, keeper_b.phone, b)
        await s.commit()

    client.cookies.clear()
    await login_page(client, keeper_b.phone)
    page = await client.get("/shop/admin/products/")
    assert page.status_code == 200 and "阿尔巴斯羊肉" not in page.text
    assert "白音套海" not in page.text and "八道岭村" in page.text  # only B is offered
    refused = await _post(client, "/shop/admin/products/", {**PRODUCT, "name": "冒名羊肉", "cooperative_id": str(a)})
    assert refused.status_code == 422 and "您管理的合作社" in _at_field(refused.text, "cooperative_id")
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Product)) == 1
