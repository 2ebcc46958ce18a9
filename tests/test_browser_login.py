"""A real Chromium logs in as each demo role, lands in its place, and logs out."""

from pathlib import Path

import pytest

from tests.browser import DEMO_PASSWORD, log_in

pytestmark = pytest.mark.browser

ROLES = [  # phone, where the home page sends this role, text that proves it arrived
    ("13900000001", "/coop/", "合作社"),
    ("13900000002", "/live/console", "主播台"),
    ("13900000003", "/coop/me", "包金山"),
    ("13900000004", "/machinery/today", "今日作业"),
    ("13900000005", "/shop/", "阿尔巴斯羊肉"),
]


async def test_each_role_logs_in_and_out(server: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for phone, place, marker in ROLES:
        context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        page = await context.new_page()
        await page.goto(server + "/")
        await page.click("text=登录")
        await page.fill("input[name=phone]", phone)
        await page.fill("input[name=password]", DEMO_PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url(server + place)
        assert marker in await page.content(), phone
        await page.screenshot(path=str(tmp_path / f"{phone}.png"))
        await page.click("text=退出")
        await page.wait_for_url(server + "/login")
        await page.goto(server + "/account/")
        assert "/login" in page.url  # the session really ended
        await context.close()


async def test_wrong_password_message_in_the_browser(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    context = await browser.new_context(locale="zh-CN")
    page = await context.new_page()
    await log_in(page, server, "13900000005", password="wrong-password")
    assert "手机号或密码不正确" in await page.inner_text("[role=alert]")
    await context.close()
