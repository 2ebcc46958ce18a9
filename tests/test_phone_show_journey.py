"""A whole show on phones, as new users would run it, in a real Chromium at 390×844.

The host logs in, schedules and starts a show, shelves two products, pins one, opens a flash sale by
choosing its product and turns the order sound on; twenty buyers order; one more opens the shared link in a
second browser, taps the pinned card, pastes an address, sees shipping and the total before paying, pays in
the sandbox Alipay and follows the order. The host sees that order first on the first screen, stops the
flash sale early, ends the show (asked first; dismissing keeps it live; confirming says what happened) and
every link left on the console opens (no 403). Screenshots go to var/screens/journey-*.png."""

from __future__ import annotations

import re
import secrets

import pytest

from tests.browser import in_first_screen, logged_in_page, no_overflow, shot

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile"


async def act(page, text: str) -> str:  # type: ignore[no-untyped-def]
    """Wait for the toast that names what changed; returns its text."""
    toast = page.locator(f".toast:has-text('{text}')")
    try:
        await toast.wait_for(timeout=15_000)
    except Exception:
        await shot(page, "journey-failed")
        said = await page.locator(".toast").all_inner_texts()
        raise AssertionError(f"no toast saying {text!r}; the page said {said}") from None
    return await toast.inner_text()


async def test_a_whole_show_from_the_phone_console(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    host = await logged_in_page(
        browser, server, "13900000002", lands_on="/live/console", viewport=PHONE, user_agent=IPHONE
    )

    # schedule tonight's show and start it
    await host.click("summary:has-text('预告新的一场')")
    await host.fill("input[name=title]", "今晚 旅程专场")
    await host.click("button:has-text('预告')")
    await host.wait_for_url(re.compile(r"/live/console/\d+$"))
    session_id = int(re.search(r"/live/console/(\d+)", host.url).group(1))  # type: ignore[union-attr]
    await host.click("button:has-text('开始直播')")
    assert "今晚 旅程专场" in await act(host, "已开播")
    await host.wait_for_selector("#state-badge:has-text('直播中')")

    # shelve two products from the catalogue, pin the first
    products = []
    for index, price in ((0, "88"), (1, "66")):
        if await host.locator("details:has(summary:has-text('上架商品'))").get_attribute("open") is None:
            await host.click("summary:has-text('上架商品')")
        select = host.locator("details:has(summary:has-text('上架商品')) select[name=sku_id]")
        label = (await select.locator("option").nth(index).inner_text()).split("（")[0]
        await select.select_option(index=index)
        await host.fill("details:has(summary:has-text('上架商品')) input[name=price]", price)
        await host.fill("details:has(summary:has-text('上架商品')) input[name=quantity]", "40")
        await host.click("details:has(summary:has-text('上架商品')) button:has-text('上架')")
        assert label in await act(host, f"已上架：{label}")
        products.append(label)
    await host.locator(f".item-row:has-text('{products[0]}') button:text-is('讲解')").click()
    assert products[0] in await act(host, "讲解中")

    # a flash sale on the second product, chosen by name
    await host.click("summary:has-text('开一个秒杀')")
    form = host.locator("#flash-form")
    option = form.locator("select[name=item_id] option", has_text=products[1])
    await form.locator("select[name=item_id]").select_option(await option.get_attribute("value"))
    await form.locator("input[name=deal_price]").fill("49.90")
    await form.locator("input[name=total_cap]").fill("10")
    await form.locator("input[name=countdown_s]").fill("10")
    await form.locator("button[type=submit]").click()
    assert products[1] in await act(host, "已开秒杀")
    await host.locator(".flash-row", has_text=products[1]).wait_for()
    await host.click("#sound-toggle")
    assert await host.locator("#sound-toggle").inner_text() == "提示音：开"
    await host.evaluate("window.scrollTo(0, 0)")
    await shot(host, "journey-host-live")

    # twenty buyers order the second product through the API (a busy show)
    view = await (await host.request.get(f"{server}/api/live/sessions/{session_id}")).json()
    second = next(i for i in view["shelf"] if f"{i['product']} {i['sku']}" == products[1])
    for n in range(20):
        placed = await host.request.post(
            f"{server}/api/live/sessions/{session_id}/orders",
            headers={"Idempotency-Key": secrets.token_hex(12)},
            data={
                "pool_id": second["pool_id"],
                "quantity": 1,
                "phone": f"1350001{n:04d}",
                "name": "牧民",
                "province": "内蒙古自治区",
                "city": "鄂尔多斯市",
                "county": "鄂托克旗",
                "detail": "乌兰镇团结路 1 号",
            },
        )
        assert placed.status == 201, await placed.text()
    await host.wait_for_function("document.querySelectorAll('#ticker .oc').length >= 20")
    left = host.locator(".item-row", has_text=products[1]).locator("[data-pool]")
    await host.wait_for_function("(el) => el.textContent.trim() === '10'", arg=await left.element_handle())
    # 40 shelved, 10 set aside for the flash sale, 20 sold: one tap of 补货 brings more from the catalogue
    await host.locator(".item-row", has_text=products[1]).locator("button:has-text('补货')").click()
    said = await act(host, "已补货")
    assert products[1] in said and "现剩 20 件" in said

    # a buyer opens the shared link on their own phone
    link = await host.locator("a:has-text('买家看到的直播间')").get_attribute("href")
    buyer_ctx = await browser.new_context(viewport=PHONE, locale="zh-CN", user_agent=IPHONE)
    buyer = await buyer_ctx.new_page()
    await buyer.goto(server + link)  # type: ignore[operator]
    assert "今晚 旅程专场" in await buyer.locator("meta[property='og:title']").get_attribute("content")  # type: ignore[operator]
    first = buyer.locator(".shelf-item").first
    assert await first.locator(".pin-flag").count() == 1 and products[0].split()[0] in await first.inner_text()
    await buyer.locator(".pcard.flash", has_text=products[1].split()[0]).wait_for()
    await no_overflow(buyer)
    await shot(buyer, "journey-buyer-room")
    await first.click()
    await buyer.wait_for_selector("#sheet")
    await buyer.fill("#paste", "斯琴 13600009876 内蒙古鄂尔多斯市鄂托克旗乌兰镇乌仁都西街 6 号")
    await buyer.fill("#buy-form input[name=quantity]", "2")
    await shot(buyer, "journey-buyer-sheet")
    await buyer.click("button:has-text('下一步')")
    await buyer.wait_for_selector("#confirm")
    confirm = await buyer.inner_text("#confirm")
    assert "运费" in confirm and "合计" in confirm and "¥176.00" in confirm  # 2 × ¥88, before paying
    total = await buyer.inner_text("#total")
    assert total in await buyer.locator("button:has-text('提交订单')").inner_text()  # the button says the amount
    for size in ({"width": 320, "height": 640}, PHONE):
        await buyer.set_viewport_size(size)
        await no_overflow(buyer)
        await shot(buyer, "journey-buyer-confirm")
    await buyer.click("button:has-text('提交订单')")
    await buyer.wait_for_selector("text=确认付款")  # the sandbox Alipay cashier
    await buyer.click("button:has-text('确认付款')")
    await buyer.wait_for_selector("#order")
    followed = await buyer.inner_text("#order")
    assert "已付款" in followed and products[0].split()[0] in followed and total in followed
    await no_overflow(buyer)
    await shot(buyer, "journey-buyer-order")

    # the host: that order first, on the first screen, paid
    newest = host.locator("#ticker .oc").first
    await host.wait_for_selector("#ticker .oc:first-child:has-text('斯*')")
    await host.wait_for_selector("#ticker .oc:first-child.paid")
    assert "136****9876" in await newest.inner_text() and "×2" in await newest.inner_text()
    # the header's numbers follow without a reload: GMV paid, 21 orders, one paying buyer
    await host.wait_for_selector("#gmv:has-text('¥176.00')")
    await host.wait_for_selector("#n-buyers:text-is('1')")
    assert await host.inner_text("#n-orders") == "21"
    await host.evaluate("window.scrollTo(0, 0)")
    assert await in_first_screen(host, "#ticker .oc:first-child")
    await no_overflow(host)
    await shot(host, "journey-host-orders")
    await host.set_viewport_size({"width": 320, "height": 640})  # the smallest phone: still first, still fits
    await host.evaluate("window.scrollTo(0, 0)")
    assert await in_first_screen(host, "#ticker .oc:first-child")
    await no_overflow(host)
    await shot(host, "journey-host-orders")
    await host.set_viewport_size(PHONE)

    # stop the flash sale early
    await host.locator(".flash-row", has_text=products[1]).locator("button:has-text('停止秒杀')").click()
    assert products[1] in await act(host, "已停止秒杀")

    # ending asks first; dismissing keeps the show live; confirming says what happened
    await host.click("button:has-text('结束直播')")
    await host.locator("#end-dialog").wait_for(state="visible")
    await shot(host, "journey-host-end-dialog")
    await host.click("#end-dialog button:has-text('继续直播')")
    await act(host, "直播继续")
    assert (await (await host.request.get(f"{server}/api/live/sessions/{session_id}")).json())["state"] == "live"
    await host.click("button:has-text('结束直播')")
    await host.click("#end-dialog button:has-text('确认结束')")
    said = await act(host, "直播已结束")
    assert "秒杀" in said and "退回" in said
    await host.wait_for_selector("#state-badge:has-text('已结束')")
    # the shelf says where the unsold stock went, not 已售罄
    await host.locator(".item-row", has_text=products[0]).locator("text=退回商品库").wait_for()
    await shot(host, "journey-host-ended")

    # after the show: what the console offers opens for a host (the 发货台 is the accountant's: no 403 link)
    assert "发货" in await host.locator("#controls").inner_text()
    for href in await host.locator("#controls a[href]").evaluate_all("els => els.map((a) => a.getAttribute('href'))"):
        answer = await host.request.get(server + href)
        assert answer.status == 200, (href, answer.status)
    await buyer_ctx.close()
    await host.context.close()
