"""Two real browsers on the demo: a buyer orders and pays in the sandbox while the host console, open
in another page, shows the order and the stock drop without a reload; the host pins a product and
the buyer's page shows it."""

import re

import pytest

from tests.browser import logged_in_page, room_watching

pytestmark = pytest.mark.browser


async def test_buyer_pays_while_host_watches(server: str, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    host = await logged_in_page(
        browser, server, "13900000002", lands_on="/live/console", viewport={"width": 390, "height": 844}
    )
    await host.click("a.button.primary")  # the session that is live now
    session_id = re.search(r"/live/console/(\d+)", host.url).group(1)
    await host.wait_for_selector("#feed-state:has-text('实时')")
    rows_before = await host.locator("#ticker .oc").count()
    ribs_left = host.locator(".item-row:has-text('羊排') [data-pool]").first
    left_before = int(await ribs_left.inner_text())

    buyer_ctx = await browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile",
    )
    buyer = await buyer_ctx.new_page()
    await buyer.goto(f"{server}/live/{session_id}")
    await buyer.click(".shelf-item:has-text('羊排')")  # the card opens the order sheet
    await buyer.wait_for_selector("#sheet")
    await buyer.fill("input[name=quantity]", "2")
    await buyer.fill("input[name=phone]", "13812345678")
    await buyer.fill("input[name=name]", "赵敏")
    await buyer.fill("input[name=city]", "北京市")
    await buyer.fill("input[name=county]", "海淀区")
    await buyer.fill("input[name=detail]", "中关村大街 27 号 5 层")
    await buyer.click("button:has-text('下一步')")  # the confirm step: goods, shipping, total
    await buyer.click("button:has-text('提交订单')")
    await buyer.wait_for_selector("text=确认付款")  # the sandbox cashier, reached by the WAP redirect
    await buyer.screenshot(path=str(tmp_path / "cashier.png"))

    # the host sees the new order and the stock drop, without reloading
    await host.wait_for_function(f"document.querySelectorAll('#ticker .oc').length > {rows_before}")
    await host.wait_for_selector("#ticker .oc:first-child:has-text('赵*')")
    assert "138****5678" in await host.inner_text("#ticker .oc:first-child")
    await host.wait_for_function(
        "([el, n]) => Number(el.textContent) === n", arg=[await ribs_left.element_handle(), left_before - 2]
    )

    await buyer.click("button:has-text('确认付款')")
    await buyer.wait_for_selector("text=已付款")  # back on the order page, paid
    await host.wait_for_selector("#ticker .oc:first-child:has-text('已付款')")
    await host.screenshot(path=str(tmp_path / "host.png"), full_page=True)

    # the host pins the ribs; the buyer's live room highlights them without a reload
    await buyer.goto(f"{server}/live/{session_id}")
    await room_watching(buyer)  # "load" is not the socket joined: a pin made before that never reaches the buyer
    await host.locator(".item-row:has-text('羊排') button:text-is('讲解')").click()
    await buyer.wait_for_selector(".shelf-item.pinned:has-text('羊排')")
    assert await buyer.locator(".shelf-item.pinned").count() == 1
