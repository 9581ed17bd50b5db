"""Browser fixtures: one real host and one headless Debian chromium per test module (SQLite)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from branchq.host.storage import Store
from tests.host.hostproc import DEMO_BRANCH, HostProcess
from tests.web.screens import Screen

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
    # A hall TV runs its browser in kiosk mode with this flag, so calls are spoken unattended.
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module. Not for the session: Playwright's sync API keeps an asyncio
    loop running in the main thread while it is open, and a later module's ``asyncio.run`` (the
    kiosk flow and host service tests) would then refuse to start."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium not installed (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    tmp = tmp_path_factory.mktemp("host")
    url = f"sqlite:///{tmp / 'branchq.db'}"
    Store(url, DEMO_BRANCH).migrate()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BRANCHQ_VAR_DIR", str(tmp / "var"))  # the voice cache, private to this host
        process = HostProcess(url, tmp / "host.log").start()
    yield process
    process.kill()


@pytest.fixture
def open_screen(browser: Browser, host: HostProcess) -> Iterator[Callable[..., Screen]]:
    """Open a page of the host in a fresh browser context (own localStorage), watching its
    console; every context is closed after the test. Extra arguments go to the context, e.g.
    ``timezone_id`` for a browser in another time zone."""
    opened: list[Screen] = []

    def open_(path: str, width: int = 1920, height: int = 1080, **context_options: object) -> Screen:
        context = browser.new_context(viewport={"width": width, "height": height},
                                      **context_options)  # type: ignore[arg-type]
        page: Page = context.new_page()
        screen = Screen(page, host.base)
        page.goto(host.base + path)
        opened.append(screen)
        return screen

    yield open_
    for screen in opened:
        screen.page.context.close()
