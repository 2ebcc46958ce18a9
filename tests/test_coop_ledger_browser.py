"""On phone-sized Chromium (390 and 320 wide): the ledger, opening-balance and subsidy pages fit the screen."""

import os
from pathlib import Path

import pytest

from tests.browser import log_in

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("CAOYUAN_SHOTS", "/tmp/caoyuan-shots"))


@pytest.mark.parametrize("width,height", [(390, 844), (320, 640)])
async def test_books_pages_fit_a_phone(server: str, browser, width: int, height: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = await browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", device_scale_factor=1, is_mobile=True
    )
    page = await context.new_page()
    await log_in(page, server, "13900000001", lands_on="/coop/")
    for name, path in (
        ("ledger", "/coop/1/ledger"),
        ("ledger-filtered", "/coop/1/ledger?source=live_sale&page=1"),
        ("opening", "/coop/1/opening"),
        ("subsidies", "/coop/1/subsidies"),
    ):
        response = await page.goto(server + path)
        assert response is not None and response.status == 200, path
        text = await page.inner_text("main")
        assert "张凭证" in text or "期初余额" in text or "补助" in text
        assert await page.evaluate("document.documentElement.scrollWidth") <= width, (path, width)
        await page.screenshot(path=str(SHOTS / f"{name}-{width}.png"))
    for did in (1, 2, 3):  # the demo's posted distribution: its printable 公示表 with the notice
        response = await page.goto(server + f"/coop/distributions/{did}/publicity?phone=0476-8812345")
        if response is not None and response.status == 200 and "公示期" in await page.inner_text("main"):
            assert "理事长（签字）" in await page.inner_text("main")
            assert await page.evaluate("document.documentElement.scrollWidth") <= width
            await page.locator("#publicity-period").scroll_into_view_if_needed()
            await page.screenshot(path=str(SHOTS / f"publicity-{width}.png"))
            break
    else:
        raise AssertionError("no 公示表 in the demo")
    await context.close()
