"""On phone-sized Chromium (390 and 320 wide): the people page, with a new login's temporary password, fits."""

import os
from pathlib import Path

import pytest

from tests.browser import log_in

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("CAOYUAN_SHOTS", "/tmp/caoyuan-shots"))


@pytest.mark.parametrize("width,height,phone", [(390, 844, "13600000391"), (320, 640, "13600000321")])
async def test_people_page_fits_a_phone(server: str, browser, width: int, height: int, phone: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = await browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", device_scale_factor=1, is_mobile=True
    )
    page = await context.new_page()
    await log_in(page, server, "13900000001", lands_on="/coop/")
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
