"""The host console (主播台) on a phone, in a real Chromium at 390×844 and 320×640: nothing wider than the
screen, a new order from another browser lands on the first screen, flash sales name their product with an
mm:ss clock and can be stopped, and ending the show asks first."""

from __future__ import annotations

import re
import secrets

import pytest

from tests.browser import PHONES, in_first_screen, logged_in_page, no_overflow, shot

pytestmark = pytest.mark.browser


async def host_console(browser, server: str, size: tuple[int, int], js: bool = True):  # type: ignore[no-untyped-def]
    page = await logged_in_page(
        browser,
        server,
        "13900000002",
        lands_on="/live/console",
        viewport={"width": size[0], "height": size[1]},
        java_script_enabled=js,
    )
    await page.click("a.button.primary")  # the session that is live now
    if js:
        await page.wait_for_selector("#feed-state:has-text('实时')")
    return page, int(re.search(r"/live/console/(\d+)", page.url).group(1))


@pytest.mark.parametrize("size", PHONES, ids=["390", "320"])
async def test_console_fits_and_new_order_lands_on_first_screen(server: str, browser, size) -> None:  # type: ignore[no-untyped-def]
    page, session_id = await host_console(browser, server, size)
    await no_overflow(page)
    # orders already there at page load name their product, not just "×2"
    first = await page.locator("#ticker .oc").first.inner_text()
    assert re.search(r"(羊|牛)", first) and "×" in first

    buyer = await browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    stock = await buyer.request.get(f"{server}/api/live/sessions/{session_id}")
    item = next(i for i in (await stock.json())["shelf"] if i["remaining"] >= 1)
    name = f"乌{secrets.choice('兰日云海')}"
    placed = await buyer.request.post(
        f"{server}/api/live/sessions/{session_id}/orders",
        headers={"Idempotency-Key": secrets.token_hex(12)},
        data={
            "pool_id": item["pool_id"],
            "quantity": 1,
            "phone": "13700001234",
            "name": name,
            "province": "内蒙古自治区",
            "city": "鄂尔多斯市",
            "county": "鄂托克旗",
            "detail": "乌兰镇草原路 8 号",
        },
    )
    assert placed.status == 201, await placed.text()
    await page.wait_for_selector(f"#ticker .oc:first-child:has-text('{name[0]}*')")
    newest = await page.locator("#ticker .oc").first.inner_text()
    assert item["product"] in newest and "137****1234" in newest
    assert await in_first_screen(page, "#ticker .oc:first-child"), "the newest order must show without scrolling"
    assert await in_first_screen(page, "#gmv")
    await no_overflow(page)
    await shot(page, "console")
    await buyer.close()
    await page.context.close()


async def test_flash_sale_names_its_product_counts_down_and_stops(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page, _ = await host_console(browser, server, (390, 844))
    await page.click("summary:has-text('开一个秒杀')")
    form = page.locator("#flash-form")
    product = (await form.locator("select[name=item_id] option:checked").inner_text()).split("（")[0]
    # a refused sale keeps what the host typed and says why at the field
    await form.locator("input[name=deal_price]").fill("0")
    await form.locator("input[name=total_cap]").fill("3")
    await form.locator("button[type=submit]").click()
    await page.wait_for_selector("#flash-form .field-error")
    assert await form.locator("input[name=total_cap]").input_value() == "3"
    await form.locator("input[name=deal_price]").fill("1.00")
    url_before = page.url
    await form.locator("button[type=submit]").click()
    await page.wait_for_selector(".toast:has-text('已开秒杀')")
    assert product in await page.locator(".toast").inner_text()
    assert page.url == url_before  # no reload
    # the redraw follows the toast (the demo's own sale may still be counting down at the top until then)
    row = page.locator(".flash-row").first
    await page.wait_for_function(
        "([name]) => { const r = document.querySelector('.flash-row');"
        " return r && r.textContent.includes(name) && /\\d\\d:\\d\\d/.test(r.querySelector('.flash-state').textContent); }",
        arg=[product],
    )
    assert "已抢" in await row.inner_text()
    await no_overflow(page)
    await shot(page, "console-flash")
    await row.locator("button:has-text('停止秒杀')").click()
    await page.wait_for_selector(".toast:has-text('已停止秒杀')")
    stopped = page.locator(".flash-row").first
    await stopped.locator(".flash-state:has-text('已结束')").wait_for()
    assert product in await stopped.inner_text()  # the same sale, now closed, and no stop button left
    assert await stopped.locator("button:has-text('停止秒杀')").count() == 0
    await page.context.close()


async def test_without_javascript_a_refused_flash_sale_keeps_the_form(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page, _ = await host_console(browser, server, (320, 640), js=False)
    await page.click("summary:has-text('开一个秒杀')")
    form = page.locator("#flash-form")
    await form.locator("input[name=deal_price]").fill("99999")  # above the live price
    await form.locator("input[name=total_cap]").fill("4")
    await form.locator("input[name=countdown_s]").fill("45")
    await form.locator("button[type=submit]").click()
    await page.wait_for_selector("#flash-form .field-error")
    assert "秒杀价" in await page.locator("#flash-form .field-error").inner_text()
    assert await form.locator("input[name=deal_price]").get_attribute("aria-invalid") == "true"
    assert await form.locator("input[name=total_cap]").input_value() == "4"
    assert await form.locator("input[name=countdown_s]").input_value() == "45"
    await no_overflow(page)
    await page.context.close()


async def test_ending_asks_first_and_dismissing_keeps_it_live(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page, session_id = await host_console(browser, server, (320, 640))
    await page.click("button:has-text('结束直播')")
    dialog = page.locator("#end-dialog")
    await dialog.wait_for(state="visible")
    text = await dialog.inner_text()
    assert "秒杀" in text and "退回商品库" in text
    await shot(page, "console-end-dialog")
    await dialog.locator("button:has-text('继续直播')").click()
    await page.wait_for_selector(".toast:has-text('直播继续')")
    state = await (await page.context.request.get(f"{server}/api/live/sessions/{session_id}")).json()
    assert state["state"] == "live"

    # the no-JS path asks too: a plain post without the confirming field ends nothing
    token = await page.locator("input[name=_csrf_token]").first.get_attribute("value")
    answer = await page.context.request.post(
        f"{server}/live/console/{session_id}/action", form={"action": "end", "_csrf_token": token}, max_redirects=0
    )
    assert answer.status == 303 and "confirm_end" in answer.headers["location"]
    state = await (await page.context.request.get(f"{server}/api/live/sessions/{session_id}")).json()
    assert state["state"] == "live"

    await page.click("button:has-text('结束直播')")
    await dialog.locator("button:has-text('确认结束')").click()
    await page.wait_for_selector(".toast:has-text('直播已结束')")
    await page.wait_for_selector("#state-badge:has-text('已结束')")
    # a host is not sent to the admin-only 发货台 (a 403); they are told who ships instead
    assert await page.locator("a[href='/shop/admin/']").count() == 0
    assert "发货台" in await page.locator("#controls").inner_text()
    await no_overflow(page)
    await page.context.close()
