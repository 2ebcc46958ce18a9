"""On phone-sized Chromium (390 and 320 wide): the ledger, opening-balance and subsidy pages fit the screen."""

import os
from pathlib import Path

import pytest

from caoyuan.demo import DEMO_PASSWORD
from tests.browser import CHROMIUM_ARGS, chromium_path, demo_server

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("CAOYUAN_SHOTS", "/tmp/caoyuan-shots"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    yield from demo_server(tmp_path_factory.mktemp("ledger-browser"))


@pytest.mark.parametrize("width,height", [(390, 844), (320, 640)])
async def test_books_pages_fit_a_phone(server: str, width: int, height: int) -> None:
    from playwright.async_api import async_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        context = await browser.new_context(
            viewport={"width": width, "height": height}, locale="zh-CN", device_scale_factor=1, is_mobile=True
        )
        page = await context.new_page()
        await page.goto(server + "/login")
        await page.fill("input[name=phone]", "13900000001")
        await page.fill("input[name=password]", DEMO_PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url(server + "/coop/")
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
        await browser.close()
