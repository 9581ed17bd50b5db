"""Regenerate the web pages' screenshots in docs/screenshots/ on purpose (``make screenshots``).

A real host on a throwaway SQLite database, the busy mid-morning branch the layout test uses
(tests/web/screens.py), headless Debian chromium: {hall,counter,lobby,status}-{phone,tablet,1080p}.png.
Tests never write here. Look at every image before committing it.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script from the Makefile: the repository's packages

from playwright.sync_api import sync_playwright  # noqa: E402

from branchq.host.storage import Store  # noqa: E402
from tests.host.hostproc import DEMO_BRANCH, HostProcess  # noqa: E402
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.web.screens import PAGES, SIZES, STEADY, Screen, busy_branch, wait_loaded  # noqa: E402

SHOTS = ROOT / "docs" / "screenshots"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="branchq-shots-") as tmp:
        url = f"sqlite:///{tmp}/branchq.db"
        Store(url, DEMO_BRANCH).migrate()
        os.environ["BRANCHQ_VAR_DIR"] = f"{tmp}/var"
        host = HostProcess(url, Path(tmp) / "host.log").start()
        try:
            pages = busy_branch(host)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for size, (width, height) in SIZES.items():
                    for name in PAGES:
                        context = browser.new_context(viewport={"width": width, "height": height})
                        screen = Screen(context.new_page(), host.base)
                        screen.page.goto(host.base + pages[name])
                        wait_loaded(screen, name)
                        screen.page.evaluate(STEADY)
                        out = SHOTS / f"{name}-{size}.png"
                        screen.page.screenshot(path=str(out), full_page=name in ("counter", "lobby"))
                        sys.stdout.write(f"{out.relative_to(ROOT)}\n")
                        context.close()
                browser.close()
        finally:
            host.kill()


if __name__ == "__main__":
    main()
