"""The lobby dashboard shows the host's own database fault, and clears it when it is fixed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from branchq.host.auth import Role
from branchq.host.storage import Store
from tests.host.hostproc import DEMO_BRANCH, HostProcess
from tests.web.screens import Screen

REFRESH_MS = 20_000  # the dashboard refreshes every 15 s when no event comes


@pytest.mark.slow
def test_lobby_shows_a_deleted_database_and_its_recovery(browser: Browser, tmp_path: Path) -> None:
    folder = tmp_path / "var"
    folder.mkdir()
    url = f"sqlite:///{folder / 'branchq.db'}"
    store = Store(url, DEMO_BRANCH)
    store.migrate()
    store.close()
    host = HostProcess(url, tmp_path / "host.log").start()
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        lobby = Screen(context.new_page(), host.base)
        lobby.page.goto(f"{host.base}/lobby#token={host.token(Role.MANAGER)}")
        lobby.wait_online()
        assert lobby.page.locator("#devices tr[data-storage]").count() == 0

        shutil.rmtree(folder)
        row = lobby.page.locator("#devices tr.bad[data-storage='missing']")
        row.wait_for(timeout=REFRESH_MS)
        assert "数据库文件丢失" in row.inner_text() and "database file missing" in row.inner_text()
        assert "1 alert" in lobby.text("#alerts")

        folder.mkdir()  # the host writes its data back, and the row goes away
        row.wait_for(state="detached", timeout=REFRESH_MS)
        assert lobby.real_errors() == []
    finally:
        context.close()
        host.kill()
