"""On phone-sized Chromium (390 and 320 wide): the people page, with a new login's temporary password, fits."""

import os
from pathlib import Path

import pytest

from caoyuan.demo import DEMO_PASSWORD
from tests.browser import CHROMIUM_ARGS, chromium_path, demo_server

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("CAOYUAN_SHOTS", "/tmp/caoyuan-shots"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    yield from demo_server(tmp_path_factory.mktemp("people-browser"))


@pytest.mark.parametrize("width,height,phone", [(390, 844, "13600000391"), (320, 640, "13600000321")])
async def test_people_page_fits_a_phone(server: str, width: int, height: int, phone: str) -> None:
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
        await page.goto(server + "/coop/1/people/")
        await page.fill("input[name=name]", "主播乌兰")
        await page.fill("input[name=phone]", phone)
        await page.select_option('form[action$="/people/"] select[name=role]', "host")
        await page.click("text=建立并生成临时密码")
        text = await page.inner_text("main")
        assert "只显示这一次" in text and "主播乌兰" in text
        assert await page.evaluate("document.documentElement.scrollWidth") <= width
        await page.screenshot(path=str(SHOTS / f"people-created-{width}.png"))
        await page.goto(server + "/coop/1/people/")
        await page.click("section.person details summary >> nth=-1")
        assert await page.evaluate("document.documentElement.scrollWidth") <= width
        await page.screenshot(path=str(SHOTS / f"people-{width}.png"), full_page=True)
        await context.close()
        await browser.close()
