"""The buyer's live room on a phone, in a real Chromium at 390×844 and 320×640: 讲解中 first, a tapped card
opens a sheet, a pasted address fills the fields, the confirm step shows shipping and the total before the
cashier, a refusal keeps what was typed with the message at the field, flash cards name their product."""

from __future__ import annotations

import re

import pytest

from tests.browser import DEMO_PASSWORD, PHONES, no_overflow, room_watching, scripts_ready, shot

pytestmark = pytest.mark.browser


async def live_room(browser, server: str, size):  # type: ignore[no-untyped-def]
    context = await browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = await context.new_page()
    await page.goto(server + "/live/")
    await page.click("a.button.primary")  # the session that is live now
    await scripts_ready(page, "#live-room")  # room.js has bound its handlers
    return page


def yuan(text: str) -> float:
    return float(re.sub(r"[^\d.]", "", text))


@pytest.mark.parametrize("size", PHONES, ids=["390", "320"])
async def test_tap_paste_confirm_shows_shipping_before_paying(server: str, browser, size) -> None:  # type: ignore[no-untyped-def]
    page = await live_room(browser, server, size)
    await no_overflow(page)
    await shot(page, "room")
    first = page.locator(".shelf-item").first
    assert await first.locator(".pin-flag").count() == 1, "the item being presented comes first"
    # a flash sale names its product and counts down in mm:ss
    flash = page.locator(".pcard.flash").first
    await page.wait_for_function("document.querySelector('.pcard.flash .countdown').textContent.match(/\\d\\d:\\d\\d/)")
    assert re.search(r"(羊|牛)", await flash.inner_text())

    product = (await first.locator("b").first.inner_text()).strip()
    await first.click()
    await page.wait_for_selector("#sheet")
    assert product in await page.locator("#sheet").inner_text()
    await page.fill("#paste", "张三 13800001234 内蒙古鄂尔多斯市鄂托克旗乌兰镇草原路8号")
    form = page.locator("#buy-form")
    assert await form.locator("input[name=name]").input_value() == "张三"
    assert await form.locator("input[name=phone]").input_value() == "13800001234"
    assert await form.locator("input[name=city]").input_value() == "鄂尔多斯市"
    assert await form.locator("input[name=county]").input_value() == "鄂托克旗"
    assert await form.locator("input[name=detail]").input_value() == "乌兰镇草原路8号"
    await no_overflow(page)
    await shot(page, "room-sheet")

    await form.locator("button[type=submit]").click()
    await page.wait_for_selector("#confirm")
    await no_overflow(page)
    await shot(page, "room-confirm")
    goods, shipping, total = [yuan(await page.inner_text(sel)) for sel in ("#goods", "#shipping", "#total")]
    assert abs(goods + shipping - total) < 0.001
    assert "运费" in await page.inner_text("#confirm")
    assert "确认付款" not in await page.content()  # still ours, not the cashier
    await page.context.close()


async def test_refused_order_keeps_what_was_typed(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = await live_room(browser, server, (320, 640))
    card = page.locator(".shelf-item:not(.soldout)").first
    left = int(await card.locator("[data-pool]").inner_text())
    await card.click()
    await page.wait_for_selector("#sheet")
    form = page.locator("#buy-form")
    await form.locator("input[name=name]").fill("其其格")
    await form.locator("input[name=phone]").fill("13912345678")
    await form.locator("input[name=city]").fill("鄂尔多斯市")
    await form.locator("input[name=county]").fill("鄂托克旗")
    await form.locator("input[name=detail]").fill("乌兰镇牧民新村 3 号")
    # more than is left (a stale page's limit): the server says how many are left, at the quantity
    await page.evaluate("document.querySelector('#buy-form input[name=quantity]').removeAttribute('max')")
    await form.locator("input[name=quantity]").fill(str(left + 3))
    await form.locator("button[type=submit]").click()
    await page.wait_for_selector("#sheet .field-error")
    message = await page.locator("#sheet .field-error").inner_text()
    assert f"只剩 {left} 件" in message
    assert await page.locator("#buy-form input[name=quantity]").get_attribute("aria-invalid") == "true"
    kept = page.locator("#buy-form")
    assert await kept.locator("input[name=name]").input_value() == "其其格"
    assert await kept.locator("input[name=detail]").input_value() == "乌兰镇牧民新村 3 号"
    assert await kept.locator("input[name=quantity]").input_value() == str(left + 3)
    await no_overflow(page)
    await shot(page, "room-refused")
    await page.context.close()


IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile"


async def test_order_page_names_the_item_and_fits(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    context = await browser.new_context(viewport={"width": 320, "height": 640}, locale="zh-CN", user_agent=IPHONE)
    page = await context.new_page()
    await page.goto(server + "/live/")
    await page.click("a.button.primary")
    # before room.js binds its click handler a tap on a card follows the link (the no-JS sheet page), where
    # the paste box does nothing until that page's room.js runs: the fields stay empty and 下一步 is refused
    await scripts_ready(page, "#live-room")
    card = page.locator(".shelf-item:not(.soldout)").first
    product = (await card.locator("b").first.inner_text()).strip()
    await card.click()
    await page.wait_for_selector("#sheet")
    await page.fill("#paste", "巴特尔 13600002222 内蒙古鄂尔多斯市鄂托克旗乌兰镇团结路 12 号")
    await page.click("button:has-text('下一步')")
    await page.click("button:has-text('提交订单')")
    await page.wait_for_selector("text=确认付款")  # the sandbox cashier
    await page.click("button:has-text('确认付款')")
    await page.wait_for_selector("#order")
    assert product in await page.inner_text("#item-name")
    text = await page.inner_text("#order")
    assert "运费" in text and "合计" in text and "今天拍明天发" in text
    for size in ((320, 640), (390, 844)):
        await page.set_viewport_size({"width": size[0], "height": size[1]})
        await no_overflow(page)
        await shot(page, "order")
    await context.close()


async def test_sold_out_card_offers_waitlist_and_a_page_with_the_place(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = await live_room(browser, server, (390, 844))
    session_id = int(re.search(r"/live/(\d+)", page.url).group(1))
    shelf = (await (await page.context.request.get(f"{server}/api/live/sessions/{session_id}")).json())["shelf"]
    item = min((i for i in shelf if i["remaining"] > 0), key=lambda i: i["remaining"])
    left, n = item["remaining"], 0
    while left > 0:  # buy it out, a few units per buyer (the per-buyer cap)
        take = min(left, item["per_buyer_cap"] or left)
        placed = await page.context.request.post(
            f"{server}/api/live/sessions/{session_id}/orders",
            headers={"Idempotency-Key": f"sellout-{n:04d}-key"},
            data={
                "pool_id": item["pool_id"],
                "quantity": take,
                "phone": f"1350000{n:04d}",
                "name": "买家",
                "province": "内蒙古自治区",
                "city": "鄂尔多斯市",
                "county": "鄂托克旗",
                "detail": "乌兰镇 1 号院",
            },
        )
        assert placed.status == 201, await placed.text()
        left, n = left - take, n + 1
    await page.reload()
    card = page.locator(f".shelf-item[data-pool-card='{item['pool_id']}']")
    assert "已售罄" in await card.inner_text() and "候补" in await card.inner_text()
    await card.click()
    await page.wait_for_selector("#sheet button:has-text('登记候补')")
    await page.fill("#buy-form input[name=name]", "其木格")
    await page.fill("#buy-form input[name=phone]", "13700005555")
    await page.click("#sheet button:has-text('登记候补')")
    await page.wait_for_selector("#waiting")
    assert "排第" in await page.inner_text("#waiting") and await page.inner_text("#place") == "1"
    await no_overflow(page)
    await shot(page, "waiting")
    await page.context.close()


async def test_a_new_flash_sale_arrives_in_place_keeping_the_open_sheet(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = await live_room(browser, server, (390, 844))
    session_id = int(re.search(r"/live/(\d+)", page.url).group(1))
    api = page.context.request
    token = await api.post(f"{server}/api/auth/token", data={"phone": "13900000002", "password": DEMO_PASSWORD})
    host = {"Authorization": f"Bearer {(await token.json())['access_token']}"}
    view = await (await api.get(f"{server}/api/live/sessions/{session_id}")).json()
    busy = {f["item_id"] for f in view["flash_sales"] if f["state"] != "closed"}
    item = next(i for i in view["shelf"] if i["item_id"] not in busy and i["remaining"] >= 3)
    await room_watching(page)  # the new sale's update reaches this page (a viewer joined later never gets it)
    await page.evaluate("window.sameDocument = true")
    await page.locator(".shelf-item:not(.soldout)").first.click()
    await page.wait_for_selector("#sheet")
    await page.fill("#buy-form input[name=name]", "其其格")

    opened = await api.post(
        f"{server}/api/live/sessions/{session_id}/flash-sales",
        headers=host,
        data={
            "item_id": item["item_id"],
            "deal_price_fen": item["price_fen"] - 100,
            "total_cap": 2,
            "per_buyer_cap": 1,
        },
    )
    assert opened.status == 201, await opened.text()
    pool = next(f["pool_id"] for f in (await opened.json())["flash_sales"] if f["item_id"] == item["item_id"])
    new_card = page.locator(f"#flash-cards [data-pool-card='{pool}']")
    await new_card.wait_for(timeout=10_000)
    assert item["product"] in await new_card.inner_text()
    assert await page.evaluate("window.sameDocument === true"), "drawn in place, not by reloading the page"
    assert await page.locator("#sheet").count() == 1
    assert await page.locator("#buy-form input[name=name]").input_value() == "其其格"
    assert (
        "新上" in await page.locator(".toast").inner_text()
        and item["product"] in await page.locator(".toast").inner_text()
    )
    await no_overflow(page)
    await shot(page, "room-new-flash")
    await page.click("#sheet-close")
    await shot(page, "room-new-flash-card")
    await page.context.close()


async def test_large_text_mode_is_remembered_on_the_phone_and_still_fits(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = await live_room(browser, server, (320, 640))
    small = await page.evaluate("parseFloat(getComputedStyle(document.querySelector('.shelf-item .price')).fontSize)")
    await page.click("#elder")
    assert await page.evaluate("document.body.classList.contains('elder')")
    await page.reload()  # the same phone, later: still large
    assert await page.evaluate("document.body.classList.contains('elder')")
    assert await page.inner_text("#elder") == "标准字体"
    large = await page.evaluate("parseFloat(getComputedStyle(document.querySelector('.shelf-item .price')).fontSize)")
    assert large > small
    await no_overflow(page)
    await shot(page, "room-elder")
    await page.locator(".shelf-item:not(.soldout)").first.click()
    await page.wait_for_selector("#sheet")
    await no_overflow(page)
    await shot(page, "room-elder-sheet")
    await page.context.close()
