"""Shared helpers for real-browser tests: a real server process and Debian's Chromium via Playwright.

Fixtures (registered in conftest): ``server`` — the seeded demo served by a real process, and ``browser`` —
one headless Chromium, one of each per test module; ``serve`` — more server processes on the test's database. ``log_in`` signs a page in through the login form;
``scripts_ready`` and ``room_watching`` wait for a page's script instead of racing it; ``no_overflow``,
``in_first_screen`` and ``shot`` are the phone-layout checks.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from caoyuan.demo import DEMO_PASSWORD

PHONES = [(390, 844), (320, 640)]  # the phone screens every page must fit
SHOTS = Path(__file__).parent.parent / "var" / "screens"  # kept for looking at after a run
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str:
    found = next((p for p in CHROMIUM_CANDIDATES if Path(p).exists()), None) or shutil.which("chromium")
    if not found:
        message = "no Chromium found (apt-get install -y chromium)"
        if REQUIRE_BROWSER:
            pytest.fail(message + " and REQUIRE_BROWSER=1")
        pytest.skip(message)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "caoyuan", "serve", "--port", str(port)],
        env={**os.environ, **env},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90  # a loaded 2-core CI machine can take a while to import the app
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server did not become ready: {log.read_text()[-2000:]}")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def seeded_demo(tmp_path: Path, port: int) -> dict[str, str]:
    """The demo seeded into a fresh SQLite file; the settings that serve it on ``port``."""
    db_file = tmp_path / "demo.db"
    env = {
        "CAOYUAN_DATABASE_URL": f"sqlite+aiosqlite:///{db_file}",
        "CAOYUAN_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "CAOYUAN_SECRET_KEY": "b" * 48,
    }
    seeded = subprocess.run(
        [sys.executable, "-m", "caoyuan", "demo", "--no-serve", "--database", str(db_file)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert seeded.returncode == 0, seeded.stderr
    return env


def demo_server(tmp_path: Path) -> Iterator[str]:
    """Seed the demo into a fresh SQLite file and serve it from a real uvicorn process."""
    port = free_port()
    env = seeded_demo(tmp_path, port)
    process = start_server(env, port, tmp_path / "server.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(process)


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The seeded demo, served by a real process, one per test module (its URL)."""
    yield from demo_server(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]))


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    """One headless Chromium per test module; each test opens its own contexts."""
    executable = chromium_path()
    from playwright.async_api import async_playwright  # only browser tests pay for Playwright's import

    async with async_playwright() as p:
        instance = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield instance
        await instance.close()


async def log_in(
    page: Any, server: str, phone: str, *, password: str = DEMO_PASSWORD, lands_on: str | None = None
) -> None:
    """Sign in through the login form; ``lands_on``: wait for the role's home page (e.g. "/live/console")."""
    await page.goto(server + "/login")
    await page.fill("input[name=phone]", phone)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    if lands_on is not None:
        await page.wait_for_url(server + lands_on)


async def logged_in_page(browser: Any, server: str, phone: str, *, lands_on: str | None = None, **context: Any) -> Any:
    """A new browser context (``context``: viewport, locale, …) with a page signed in as ``phone``."""
    page = await (await browser.new_context(**{"locale": "zh-CN", **context})).new_page()
    await log_in(page, server, phone, lands_on=lands_on)
    return page


async def scripts_ready(page: Any, root: str) -> None:
    """Wait until the page's script has bound its handlers: it sets ``data-ready`` on ``root`` as its init's
    last line. After ``page.click`` on a link or a form's button Playwright waits for the next page to start
    loading, not for "load", and ``wait_for_selector`` is met as soon as the element is parsed: the script at
    the end of body may not have run yet, and a tap then does what it does without JavaScript, or nothing."""
    await page.wait_for_selector(f"{root}[data-ready]", state="attached")


async def room_watching(page: Any) -> None:
    """Wait until the live room's viewer socket has been joined by the server (room.js sets ``data-live`` on
    its "hello"): what the host does from now on reaches this page. Nothing before it is replayed to a viewer."""
    await page.wait_for_selector("#live-room[data-live]", state="attached")


async def no_overflow(page: Any) -> None:
    width, inner = await page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width <= inner, f"page is {width}px wide on a {inner}px screen"


async def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    await page.screenshot(path=str(SHOTS / f"{name}-{size['width']}.png"))


async def in_first_screen(page: Any, selector: str) -> bool:
    box = await page.locator(selector).first.bounding_box()
    scrolled = await page.evaluate("scrollY")
    return (
        box is not None and scrolled == 0 and box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]
    )


@pytest.fixture
def serve(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """``serve()`` starts one more real server process on the test's own database and returns its host:port."""
    started = []

    def run() -> str:
        port = free_port()
        env = {
            "CAOYUAN_DATABASE_URL": database_url,
            "CAOYUAN_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "CAOYUAN_SECRET_KEY": "s" * 40,
            "CAOYUAN_BACKGROUND_TASKS": "0",
        }
        started.append(start_server(env, port, tmp_path / f"server-{port}.log"))
        return f"127.0.0.1:{port}"

    yield run
    for process in started:
        stop_server(process)


async def bearer_token(base: str, phone: str) -> str:
    """An API token from a served process (``base``: host:port), with the tests' password."""
    from tests.conftest import PASSWORD

    async with httpx.AsyncClient() as client:
        response = await client.post(f"http://{base}/api/auth/token", json={"phone": phone, "password": PASSWORD})
        return response.json()["access_token"]
