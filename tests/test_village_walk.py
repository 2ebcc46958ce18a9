"""Issue 10's proof: from an EMPTY PostgreSQL database to a running village, through pages only.

A fresh database is migrated with `caoyuan db upgrade` and nothing else; `caoyuan setup` prints the one-time
link for the first admin. Every later step is a real person at a real browser (Debian's Chromium): the
accountant founds the cooperative, imports the households from a spreadsheet, types the opening balances,
sets up the fleet and prices, makes a host's login, a live room and a product; the host runs a show and a
buyer pays in the sandbox cashier; a member books a harvest that the operator completes; the accountant
posts the year's distribution; the trial balance balances and the member sees their dividend.

No service is called and no SQL is run by the test after the migration: what it cannot do from a page, a
village cannot do either. Waits are for states (a URL, a text), never sleeps, with generous timeouts so a
loaded two-core machine passes too.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import make_url

from caoyuan.identity import id_check_char
from tests.browser import CHROMIUM_ARGS, chromium_path, free_port, start_server, stop_server
from tests.conftest import PG_URL, REQUIRE_POSTGRES, _blocking, _pg_admin, _pg_reachable
from tests.factories.coop import CODE

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("CAOYUAN_SHOTS", "/tmp/caoyuan-shots"))
WAIT_MS = int(
    os.environ.get("CAOYUAN_WALK_WAIT_MS", "60000")
)  # a loaded two-core machine: wait long for a state, never sleep
ADMIN_PHONE, ADMIN_PASSWORD = "13800000101", "grass-2026-ok"
OPERATOR_PHONE, OPERATOR_PASSWORD = "13800000121", "harvest-2026"
HOST_PHONE, HOST_PASSWORD = "13800000131", "show-2026-ok"
MEMBER_PASSWORD = "member-2026-ok"
OPENING_DAY = "2025-01-01"  # the books move here at the start of last year, whose distribution is posted
HOUSEHOLDS = [  # member_no, name, phone, hardship
    (1, "包金山", "13800000111", False),
    (2, "乌云其其格", "13800000112", True),
    (3, "巴特尔", "13800000113", False),
]


def _id_number(n: int) -> str:
    first17 = f"15042619700101{n:03d}"
    return first17 + id_check_char(first17)


def _caoyuan(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "caoyuan", *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def empty_install(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A migrated, empty PostgreSQL database served by a real process; yields (base URL, set-up link)."""
    problem = _blocking(_pg_reachable(PG_URL))
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL not reachable ({problem}) and REQUIRE_POSTGRES=1")
        pytest.skip(f"PostgreSQL not reachable ({problem})")
    name = f"caoyuan_walk_{os.getpid()}"
    _blocking(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'))
    port = free_port()
    env = {
        "CAOYUAN_DATABASE_URL": make_url(PG_URL).set(database=name).render_as_string(hide_password=False),
        "CAOYUAN_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "CAOYUAN_SECRET_KEY": "w" * 48,
    }
    migrated = _caoyuan(env, "db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr
    printed = _caoyuan(env, "setup")
    assert printed.returncode == 0, printed.stderr
    link = next(w for w in printed.stdout.split() if "/setup/" in w)
    process = start_server(env, port, tmp_path_factory.mktemp("walk") / "server.log")
    try:
        yield f"http://127.0.0.1:{port}", link
    finally:
        stop_server(process)
        _blocking(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _login(page, base: str, phone: str, password: str) -> None:  # type: ignore[no-untyped-def]
    await page.goto(base + "/login")
    await page.fill("input[name=phone]", phone)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    await page.wait_for_function("!location.pathname.startsWith('/login')", timeout=WAIT_MS)


async def _first_login(page, base: str, phone: str, temporary: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """A login made by the accountant: the temporary password must be changed before anything else."""
    await _login(page, base, phone, temporary)
    await page.wait_for_url(re.compile(r"/account"), timeout=WAIT_MS)
    await page.fill("input[name=current]", temporary)
    await page.fill("input[name=new]", password)
    await page.fill("input[name=confirm]", password)
    await page.click("form[action='/account/password'] button[type=submit]")
    await page.wait_for_selector("text=密码已", timeout=WAIT_MS)


async def _fits(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """The page at phone widths: no sideways scrolling; a screenshot of each to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((390, 844), (320, 640)):
        await page.set_viewport_size({"width": width, "height": height})
        assert await page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} overflows at {width}"
        await page.screenshot(path=str(SHOTS / f"walk-{name}-{width}.png"), full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 900})


async def test_from_an_empty_install_to_a_running_village(empty_install, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright

    base, link = empty_install
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            office = await (
                await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            ).new_page()
            office.set_default_timeout(WAIT_MS)
            coop_id = await _found(office, base, link)
            await _households_and_opening(office, base, coop_id, tmp_path)
            await _fleet_and_prices(office, base, coop_id)
            member_password = await _login_for(office, base, coop_id, "包金山", "13800000111", "member", "1 号")
            await _harvest(browser, office, base, member_password)
            await _show(browser, office, base, coop_id)
            await _year_end(browser, office, base, coop_id)
        finally:
            await browser.close()


async def _found(page, base: str, link: str) -> int:  # type: ignore[no-untyped-def]
    # the one-time link makes the first admin, who lands on 建立合作社
    await page.goto(link)
    await page.fill("input[name=phone]", ADMIN_PHONE)
    await page.fill("input[name=display_name]", "乌云")
    await page.fill("input[name=password]", ADMIN_PASSWORD)
    await page.fill("input[name=confirm]", ADMIN_PASSWORD)
    await page.click("button:has-text('建立管理员账号并登录')")
    await page.wait_for_url(re.compile(r"/coop/setup/?$"))
    for name, value in {
        "name": "白音套海嘎查股份经济合作社",
        "credit_code": CODE,
        "legal_representative": "包金山",
        "registered_on": "2019-03-12",
        "banner": "翁牛特旗",
        "town": "乌丹镇",
        "village": "白音套海嘎查",
    }.items():
        await page.fill(f"form[action='/coop/setup/'] [name={name}]", value)
    await page.select_option("select[name=kind]", "shareholding")  # 股份经济合作社: dividends by shares
    await page.click("button:has-text('建立合作社并登记章程')")
    await page.wait_for_url(re.compile(r"/coop/\d+"))
    return int(re.search(r"/coop/(\d+)", page.url).group(1))  # type: ignore[union-attr]


async def _households_and_opening(page, base: str, coop_id: int, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sheet = tmp_path / "households.xlsx"
    header = ["社员号", "姓名", "身份证号", "手机号", "嘎查村", "村民小组", "家庭人口", "困难户", "入社日期"]
    rows = [
        [n, name, _id_number(n), phone, "白音套海嘎查", "一组", 4, "是" if poor else "否", "2019-03-12"]
        for n, name, phone, poor in HOUSEHOLDS
    ]
    sheet.write_bytes(_xlsx([header, *rows]))
    await page.goto(f"{base}/coop/{coop_id}/members")
    await page.set_input_files(f"form[action='/coop/{coop_id}/members/import'] input[name=file]", str(sheet))
    await page.click(f"form[action='/coop/{coop_id}/members/import'] button[type=submit]")
    await page.wait_for_selector("text=已导入 3 户")

    # the paper books' balances on the day they move here, typed in; then each household's shares
    await page.goto(f"{base}/coop/{coop_id}/opening")
    await page.fill("form[action$='/opening'] input[name=entry_date]", OPENING_DAY)
    await page.fill("input[name=acct_101]", "30000")
    await page.fill("input[name=acct_301]", "20000")  # unbalanced: refused at the form, nothing written
    await page.click("button:has-text('记入期初余额')")
    await page.wait_for_selector("[role=alert]:has-text('借方')")
    await page.fill("input[name=acct_301]", "30000")
    await page.click("button:has-text('记入期初余额')")
    await page.wait_for_selector("text=期初余额已经入账")
    async with page.expect_download() as downloading:
        await page.click("a:has-text('下载社员模板')")
    template = tmp_path / "members-template.xlsx"
    await (await downloading.value).save_as(template)
    from openpyxl import load_workbook

    book = load_workbook(template)
    sheet = book.active
    for row in sheet.iter_rows(min_row=2):
        row[2].value, row[3].value, row[4].value = 100, 10000, 500  # 100 shares of 100 元, 500 元 of reserve
    filled = tmp_path / "opening-members.xlsx"
    book.save(filled)
    await page.set_input_files("form[action$='/opening/members'] input[name=file]", str(filled))
    await page.click("form[action$='/opening/members'] button[type=submit]")
    await page.wait_for_selector("text=已经结转")
    await _fits(page, "opening")


async def _login_for(page, base: str, coop_id: int, name: str, phone: str, role: str, household: str = "") -> str:  # type: ignore[no-untyped-def]
    """A login made on 账户: the temporary password is shown once; returns it."""
    await page.goto(f"{base}/coop/{coop_id}/people/")
    form = f"form[action='/coop/{coop_id}/people/']"
    await page.fill(f"{form} input[name=name]", name)
    await page.fill(f"{form} input[name=phone]", phone)
    await page.select_option(f"{form} select[name=role]", role)
    if household:
        await page.select_option(
            f"{form} select[name=member_id]",
            label=next(
                o
                for o in await page.locator(f"{form} select[name=member_id] option").all_inner_texts()
                if household in o
            ),
        )
    await page.click("text=建立并生成临时密码")
    return (await page.inner_text(".temp-password code")).strip()


async def _fleet_and_prices(page, base: str, coop_id: int) -> None:  # type: ignore[no-untyped-def]
    # the harvester bought with the state's fund goes into the 三资 register with its insurance first
    await page.goto(f"{base}/coop/{coop_id}/assets")
    await page.click("summary:has-text('登记一项固定资产')")
    await page.fill("input[name=name]", "玉米收割机（雷沃 4YZP-4）")
    await page.fill("input[name=cost]", "abc")  # refused at its field, nothing written
    await page.fill("input[name=purchased_on]", "2025-06-01")
    await page.fill("input[name=insurance_policy]", "PICC-2025-0001")
    await page.fill("input[name=insurance_expires_on]", "2030-06-01")
    await page.click("button:has-text('登记资产')")
    await page.wait_for_selector("#cost-error")
    await page.fill("input[name=cost]", "240000")
    await page.click("button:has-text('登记资产')")
    await page.wait_for_selector("text=已登记资产")
    await _fits(page, "assets")

    await page.goto(base + "/machinery/setup")
    await page.fill("form[action='/machinery/setup/services'] input[name=name]", "玉米收割")
    await page.fill("form[action='/machinery/setup/services'] input[name=machine_kind]", "玉米收割机")
    await page.check("form[action='/machinery/setup/services'] input[name=is_corn_harvest]")
    await page.click("button:has-text('新增服务')")
    await page.wait_for_selector("button:has-text('保存玉米收割价格')")
    await page.fill("form[action='/machinery/setup/prices'] input[name=market_fen]", "-5")  # refused at the field
    await page.click("button:has-text('保存玉米收割价格')")
    await page.wait_for_selector("form[action='/machinery/setup/prices'] [role=alert]")
    await page.fill("form[action='/machinery/setup/prices'] input[name=market_fen]", "70")
    await page.click("button:has-text('保存玉米收割价格')")
    await page.wait_for_selector("form[action='/machinery/setup/prices'] input[name=market_fen][value='70.00']")
    await page.fill("form[action='/machinery/setup/machines'] input[name=kind]", "玉米收割机")
    await page.fill("form[action='/machinery/setup/machines'] input[name=model]", "雷沃 4YZP-4")
    await page.fill("form[action='/machinery/setup/machines'] input[name=plate]", "蒙D·12345")
    await page.fill("form[action='/machinery/setup/machines'] input[name=daily_capacity]", "80")
    await page.select_option("form[action='/machinery/setup/machines'] select[name=asset_id]", index=1)
    await page.click("button:has-text('登记农机')")
    await page.wait_for_selector("button:has-text('保存蒙D·12345')", state="attached")
    new_operator = "form[action='/machinery/setup/operators']"
    await page.fill(f"{new_operator} input[name=name]", "额尔敦")
    await page.fill(f"{new_operator} input[name=phone]", OPERATOR_PHONE)
    await page.fill(f"{new_operator} input[name=password]", OPERATOR_PASSWORD)
    await page.fill(f"{new_operator} input[name=daily_capacity]", "80")
    await page.fill(f"{new_operator} input[name=wage_rate_fen]", "8")
    await page.click("button:has-text('新增农机手')")
    await page.wait_for_selector("button:has-text('保存额尔敦')", state="attached")
    await _fits(page, "machinery-setup")


async def _harvest(browser, office, base: str, member_password: str) -> None:  # type: ignore[no-untyped-def]
    """The member books from their phone, the office schedules, the operator completes, the office takes cash."""
    farmer = await (await browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")).new_page()
    farmer.set_default_timeout(WAIT_MS)
    await _first_login(farmer, base, "13800000111", member_password, MEMBER_PASSWORD)
    await farmer.goto(base + "/machinery/book")
    await farmer.fill("input[name=area0]", "12.5")
    await farmer.fill("input[name=village0]", "白音套海嘎查")
    today = await farmer.get_attribute("input[name=earliest_on]", "min")
    await farmer.fill("input[name=earliest_on]", today)
    await farmer.fill("input[name=latest_on]", today)
    await farmer.click("button:has-text('询价')")
    await farmer.click("button:has-text('确认预约')")
    await farmer.wait_for_url(re.compile(r"/machinery/bookings/\d+"))
    booking = farmer.url.split("?")[0]

    await office.goto(booking)
    await office.fill("form[action$='/schedule'] input[name=day]", today)
    await office.click("form[action$='/schedule'] button[type=submit]")
    await office.wait_for_selector("text=已排班")

    operator = await (await browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")).new_page()
    operator.set_default_timeout(WAIT_MS)
    await _login(operator, base, OPERATOR_PHONE, OPERATOR_PASSWORD)
    await operator.goto(base + "/machinery/today")
    await operator.fill("input[name=measured_area]", "12")
    await operator.click("form[action$='/complete'] button:has-text('完成')")
    await operator.wait_for_selector("text=实测 12.00 亩，应收 ¥480.00")  # the operator's confirmation

    await office.goto(booking)
    await office.click("button:has-text('收现金')")
    await office.wait_for_selector("text=已收款 ¥480.00（现金）")
    await farmer.goto(booking)
    said = await farmer.inner_text("main")
    assert "为您做了玉米收割 12.00 亩" in said and "现金付清 ¥480.00" in said
    assert "凭证" not in said and "六四开" not in said  # plain words for the farmer
    await farmer.context.close()
    await operator.context.close()


async def _show(browser, office, base: str, coop_id: int) -> None:  # type: ignore[no-untyped-def]
    """The office makes the host's login, a room and a product; the host runs a show; a buyer pays."""
    temporary = await _login_for(office, base, coop_id, "其其格", HOST_PHONE, "host")
    await office.goto(base + "/live/setup/rooms/")
    await office.fill("input[name=name]", "白音套海直播间")
    await office.fill("input[name=banner]", "翁牛特旗")
    await office.check("input[name=line_goods]")
    await office.click("button:has-text('新建')")
    await office.wait_for_selector("text=直播间已建好")
    await office.select_option(
        "select[name=user_id]",
        label=next(o for o in await office.locator("select[name=user_id] option").all_inner_texts() if "其其格" in o),
    )
    await office.click("form[action$='/hosts'] button:has-text('添加')")
    await office.wait_for_selector("text=主播：其其格")
    await office.goto(base + "/live/setup/rooms/")
    await _fits(office, "rooms")

    await office.goto(base + "/shop/admin/products/")
    await office.fill("input[name=name]", "白音套海羊肉")
    await office.select_option(
        "select[name=supplier_member_id]",
        label=next(
            o for o in await office.locator("select[name=supplier_member_id] option").all_inner_texts() if "巴特尔" in o
        ),
    )
    await office.fill("input[name=sku_name]", "后腿 2.5kg")
    await office.fill("input[name=price]", "0")  # refused at its field, nothing written
    await office.fill("input[name=weight_g]", "2500")
    await office.fill("input[name=stock]", "20")
    await office.click("button:has-text('上架')")
    await office.wait_for_selector("#price-error")
    await office.fill("input[name=price]", "268")
    await office.click("button:has-text('上架')")
    await office.wait_for_selector("text=已上架商品：白音套海羊肉")
    await _fits(office, "products")

    host = await (await browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")).new_page()
    host.set_default_timeout(WAIT_MS)
    await _first_login(host, base, HOST_PHONE, temporary, HOST_PASSWORD)
    await host.goto(base + "/live/console/")
    await host.click("summary:has-text('预告新的一场')")
    await host.fill("form[action='/live/console/schedule'] input[name=title]", "白音套海羊肉专场")
    await host.click("form[action='/live/console/schedule'] button:has-text('预告')")
    await host.wait_for_url(re.compile(r"/live/console/\d+"))
    session_id = re.search(r"/live/console/(\d+)", host.url).group(1)  # type: ignore[union-attr]
    await host.click("summary:has-text('上架商品')")
    await host.fill("input[name=price]", "258")
    await host.fill("input[name=quantity]", "10")
    await host.click("form:has(input[name=price]) button:has-text('上架')")
    await host.wait_for_selector(".item-row:has-text('后腿')")
    await host.click("button:has-text('开始直播')")
    await host.wait_for_selector("#feed-state:has-text('实时')")

    buyer = await (
        await browser.new_context(
            viewport={"width": 390, "height": 844},
            locale="zh-CN",
            user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile",
        )
    ).new_page()
    buyer.set_default_timeout(WAIT_MS)
    await buyer.goto(f"{base}/live/{session_id}")
    await buyer.click(".shelf-item:has-text('后腿')")
    await buyer.wait_for_selector("#sheet")
    await buyer.fill("input[name=phone]", "13812345678")
    await buyer.fill("input[name=name]", "赵敏")
    await buyer.fill("input[name=city]", "北京市")
    await buyer.fill("input[name=county]", "海淀区")
    await buyer.fill("input[name=detail]", "中关村大街 27 号 5 层")
    await buyer.click("button:has-text('下一步')")
    await buyer.click("button:has-text('提交订单')")
    await buyer.click("button:has-text('确认付款')")  # the sandbox Alipay cashier
    await buyer.wait_for_selector("text=已付款")
    await host.wait_for_selector("#ticker .oc:first-child:has-text('已付款')")
    await buyer.context.close()
    await host.context.close()


async def _year_end(browser, office, base: str, coop_id: int) -> None:  # type: ignore[no-untyped-def]
    """Last year's other income from the ledger, its distribution voted, posted and published; the books
    balance; the member sees their dividend on their phone."""
    await office.goto(f"{base}/coop/{coop_id}/ledger")
    await office.click("summary:has-text('记一笔')")
    entry = f"form[action='/coop/{coop_id}/ledger']"
    await office.fill(f"{entry} input[name=entry_date]", "2025-12-20")
    await office.fill(f"{entry} input[name=description]", "草场租金收入")
    await office.select_option(f"{entry} select[name=debit_code]", "101")
    await office.select_option(f"{entry} select[name=credit_code]", "522")
    await office.fill(f"{entry} input[name=amount]", "6000")
    await office.click(f"{entry} button:has-text('记账')")
    await office.wait_for_selector("text=已记账")

    await office.goto(f"{base}/coop/{coop_id}/distributions")
    await office.fill("input[name=year]", "2025")
    await office.click("button:has-text('计算草案')")
    await office.wait_for_selector("text=草案已计算")
    await office.fill("textarea[name=votes_for]", "1, 2, 3")
    await office.click("button:has-text('记录表决结果')")
    await office.check("form[action$='/post'] input[name=confirm]")
    await office.click("form[action$='/post'] button:has-text('入账')")
    await office.check("form[action$='/publish'] input[name=confirm]")
    await office.click("form[action$='/publish'] button:has-text('公示')")
    await office.wait_for_selector("text=已公示")
    shares = await office.inner_text("main")
    # 6,000 of income, 10 % to the reserve, 5,400 by shares: 100 of 300 shares each
    assert "可分配盈余：¥5,400.00" in shares and "1 包金山\t100\t¥1,800.00" in shares

    # the books balance: the trial balance's debits equal its credits, over last year and this one
    await office.goto(f"{base}/coop/{coop_id}/reports?start=2025-01-01")
    total = (await office.inner_text("tr.total:has-text('合计') >> nth=-1")).split("\t")
    debits, credits = [cell for cell in total if cell.startswith("¥")]
    assert debits == credits, total
    trial = await office.inner_text("main")
    assert "不平衡" not in trial
    assert "其他收入" in trial and "¥480.00" in trial  # last year's income and this year's harvest
    await office.goto(f"{base}/coop/{coop_id}/audit/")
    await office.click("summary:has-text('详情') >> nth=-1")  # the founding: its details under Chinese names
    assert "统一社会信用代码" in await office.inner_text("main")
    await _fits(office, "audit")

    member = await (await browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")).new_page()
    member.set_default_timeout(WAIT_MS)
    await _login(member, base, "13800000111", MEMBER_PASSWORD)
    await member.goto(base + "/coop/me")
    mine = await member.inner_text("main")
    assert "包金山" in mine and "¥1,800.00" in mine, mine
    await member.context.close()
