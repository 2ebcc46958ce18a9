"""Products from a page (issue 10): the admin puts a product and its first SKU on sale for one of their
cooperatives, adds SKUs, changes a price, adds or takes stock, puts a SKU on or off sale, uploads an image and
ships by region; a slip is refused at its field with nothing saved; an admin of village B neither sees nor
touches village A's products (404 by page)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from coop import access
from coop.models import Cooperative
from storefront.models import Product, ProductImage, ShippingRegionFee, Sku
from tests.browser import PHONES, SHOTS, log_in, no_overflow, shot
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


async def _one_product(client, db, make_user, login_page) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    admin = await make_user("admin")
    await login_page(client, admin.phone)
    a, _ = await _two_villages(client, db)
    assert (await _post(client, "/shop/admin/products/", {**PRODUCT, "cooperative_id": str(a)})).status_code == 303
    async with db.session() as s:
        product = (await s.scalars(select(Product))).one()
        sku = (await s.scalars(select(Sku))).one()
    return a, product.id, sku.id  # type: ignore[return-value]


async def _sku(db, sku_id: int) -> Sku:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        return await s.get(Sku, sku_id)  # type: ignore[return-value]


async def test_a_second_sku_is_added_from_the_product_row(client, db, make_user, login_page) -> None:
    _, product_id, _ = await _one_product(client, db, make_user, login_page)
    url = f"/shop/admin/products/{product_id}/skus"
    sku = {"sku_name": "前腿 2kg", "price": "198", "weight_g": "2000", "stock": "12"}

    slip = await _post(client, url, {**sku, "weight_g": "0"})
    assert slip.status_code == 422 and "不能小于 1" in _at_field(slip.text, "weight_g")
    assert 'value="前腿 2kg"' in slip.text and '<details class="more" open>' in slip.text
    assert _at_field(slip.text.split("上架新商品", 1)[1].split("</form>", 1)[0], "weight_g") == ""  # not the top form
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Sku)) == 1

    made = await _post(client, url, sku)
    assert made.status_code == 303, made.text
    async with db.session() as s:
        added = (await s.scalars(select(Sku).where(Sku.name == "前腿 2kg"))).one()
    assert (added.product_id, added.price_fen, added.weight_g, added.stock) == (product_id, 19800, 2000, 12)
    assert "前腿 2kg：¥198.00，库存 12 件" in (await client.get("/shop/admin/products/")).text


async def test_a_sku_row_changes_price_stock_and_sale(client, db, make_user, login_page) -> None:
    _, _, sku_id = await _one_product(client, db, make_user, login_page)
    base = f"/shop/admin/products/skus/{sku_id}"

    assert (await _post(client, f"{base}/price", {"price": "299.9"})).status_code == 303
    assert (await _sku(db, sku_id)).price_fen == 29990
    refused = await _post(client, f"{base}/price", {"price": "0"})
    assert refused.status_code == 422 and "大于 0" in _at_field(refused.text, "price")
    assert (await _sku(db, sku_id)).price_fen == 29990

    assert (await _post(client, f"{base}/stock", {"add_stock": "+20"})).status_code == 303
    assert (await _post(client, f"{base}/stock", {"add_stock": "−5"})).status_code == 303  # a typed minus sign
    assert (await _sku(db, sku_id)).stock == 55
    too_many = await _post(client, f"{base}/stock", {"add_stock": "-56"})
    assert too_many.status_code == 422 and "超过了现有库存" in _at_field(too_many.text, "add_stock")
    assert 'value="-56"' in too_many.text
    junk = await _post(client, f"{base}/stock", {"add_stock": "二十"})
    assert junk.status_code == 422 and "件数" in _at_field(junk.text, "add_stock")
    assert (await _sku(db, sku_id)).stock == 55

    assert (await _post(client, f"{base}/sale", {"active": "off"})).status_code == 303
    assert (await _sku(db, sku_id)).active is False
    listing = await client.get("/shop/admin/products/")
    assert "（已下架）" in listing.text and ">上架</button>" in listing.text
    assert (await _post(client, f"{base}/sale", {"active": "on"})).status_code == 303
    assert (await _sku(db, sku_id)).active is True


async def test_an_image_is_uploaded_from_the_page(client, db, make_user, login_page) -> None:
    _, product_id, _ = await _one_product(client, db, make_user, login_page)
    url = f"/shop/admin/products/{product_id}/images"
    picture = io.BytesIO()
    Image.new("RGB", (1600, 800), (30, 120, 30)).save(picture, "PNG")

    junk = await client.post(url, files={"file": ("x.png", b"not an image", "image/png")}, headers=_csrf(client))
    assert junk.status_code == 422 and "无法识别" in _at_field(junk.text, "file")
    big = await client.post(url, files={"file": ("b.png", b"0" * (5 * 1024 * 1024 + 1))}, headers=_csrf(client))
    assert big.status_code == 413 and "5 MB" in _at_field(big.text, "file")
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(ProductImage)) == 0

    done = await client.post(
        url, files={"file": ("leg.png", picture.getvalue(), "image/png")}, headers=_csrf(client), follow_redirects=False
    )
    assert done.status_code == 303, done.text
    async with db.session() as s:
        image = (await s.scalars(select(ProductImage))).one()
    assert (image.product_id, image.width, image.height) == (product_id, 1200, 600)
    assert f'src="/media/{image.filename}"' in (await client.get("/shop/admin/products/")).text
    assert (await client.get(f"/media/{image.filename}")).status_code == 200


async def test_shipping_by_region_is_set_from_the_new_product_form(client, db, make_user, login_page) -> None:
    admin = await make_user("admin")
    await login_page(client, admin.phone)
    a, _ = await _two_villages(client, db)
    form = {**PRODUCT, "cooperative_id": str(a), "shipping_kind": "by_region"}

    slip = await _post(client, "/shop/admin/products/", {**form, "region_fees": "内蒙古 8\n火星 20"})
    assert slip.status_code == 422 and "火星" in _at_field(slip.text, "region_fees")
    assert "内蒙古 8" in slip.text  # the lines typed are kept
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Product)) == 0

    made = await _post(client, "/shop/admin/products/", {**form, "region_fees": "内蒙古 8\n北京：15.5"})
    assert made.status_code == 303, made.text
    async with db.session() as s:
        product = (await s.scalars(select(Product))).one()
        fees = {f.province: f.fee_fen for f in await s.scalars(select(ShippingRegionFee))}
    assert product.shipping_kind == "by_region" and product.shipping_fen == 0
    assert fees == {"内蒙古自治区": 800, "北京市": 1550}


async def test_an_admin_of_village_b_gets_404_for_village_a_product_and_sku(client, db, make_user, login_page) -> None:
    _, product_id, sku_id = await _one_product(client, db, make_user, login_page)
    keeper_b = await make_user("admin", name="B村会计")
    async with db.session() as s:
        b = (await s.scalars(select(Cooperative.id).order_by(Cooperative.id.desc()))).first()
        await access.grant(s, keeper_b.phone, b)
        await s.commit()
    client.cookies.clear()
    await login_page(client, keeper_b.phone)

    sku = {"sku_name": "冒名规格", "price": "1", "weight_g": "100"}
    assert (await _post(client, f"/shop/admin/products/{product_id}/skus", sku)).status_code == 404
    assert (await _post(client, f"/shop/admin/products/skus/{sku_id}/price", {"price": "1"})).status_code == 404
    assert (await _post(client, f"/shop/admin/products/skus/{sku_id}/stock", {"add_stock": "-40"})).status_code == 404
    assert (await _post(client, f"/shop/admin/products/skus/{sku_id}/sale", {"active": "off"})).status_code == 404
    picture = io.BytesIO()
    Image.new("RGB", (10, 10)).save(picture, "PNG")
    image = await client.post(
        f"/shop/admin/products/{product_id}/images",
        files={"file": ("p.png", picture.getvalue(), "image/png")},
        headers=_csrf(client),
    )
    assert image.status_code == 404
    after = await _sku(db, sku_id)
    assert (after.price_fen, after.stock, after.active) == (26850, 40, True)
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Sku)) == 1
        assert await s.scalar(select(func.count()).select_from(ProductImage)) == 0


@pytest.mark.browser
@pytest.mark.parametrize("width,height", PHONES)
async def test_the_products_page_fits_a_phone_and_works_without_javascript(server: str, browser, width, height) -> None:  # type: ignore[no-untyped-def]
    context = await browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", java_script_enabled=False
    )
    page = await context.new_page()
    await log_in(page, server, "13900000001")
    await page.goto(server + "/shop/admin/products/")
    await no_overflow(page)
    await shot(page, "shop-products")
    first_sku = page.locator(".sku-list li").first
    await first_sku.locator("input[name=add_stock]").fill("abc")
    await first_sku.locator("button:has-text('补货')").click()
    assert "件数" in await page.inner_text("#add_stock-error")
    await no_overflow(page)
    await page.locator("details.more summary:has-text('加一个规格')").first.click()
    await no_overflow(page)
    await page.screenshot(path=str(SHOTS / f"shop-products-open-{width}.png"), full_page=True)
    await context.close()
