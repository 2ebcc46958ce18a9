"""On a phone-sized Chromium: the demo member 包金山 reads his 2025 dividend and why; the accountant's
distribution wizard and the printable 公示表 open."""

from pathlib import Path

import pytest

from tests.browser import logged_in_page

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "device_scale_factor": 2, "is_mobile": True}


async def _login(browser, server: str, phone: str):  # type: ignore[no-untyped-def]
    page = await logged_in_page(browser, server, phone, **PHONE)
    return page.context, page


async def test_member_reads_the_dividend_on_a_phone(server: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    context, page = await _login(browser, server, "13900000003")
    await page.wait_for_url(server + "/coop/me")
    text = await page.inner_text("main")
    assert "包金山" in text and "2025 年分红" in text and "全年与合作社交易额 ¥12,400.00" in text
    assert await page.locator("svg.chart").count() == 1
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone
    await page.screenshot(path=str(tmp_path / "me.png"), full_page=True)
    await page.click("text=查看完整明细")
    assert "怎么算的" in await page.inner_text("main")
    await context.close()


async def test_accountant_opens_the_wizard_and_publicity_table(server: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    context, page = await _login(browser, server, "13900000001")
    await page.wait_for_url(server + "/coop/")
    await page.click("text=盈余分配 >> nth=1")  # the 翁牛特旗 cooperative (second card)
    await page.click("text=打开")
    assert "已入账" in await page.inner_text("main")
    await page.click("text=打印公示表")
    assert "年度盈余分配公示表" in await page.inner_text("main")
    await page.emulate_media(media="print")
    assert not await page.locator("nav.tabs, .topbar").first.is_visible()
    await page.screenshot(path=str(tmp_path / "publicity.png"), full_page=True)
    await context.close()
