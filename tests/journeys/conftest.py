"""One branch per test module for the journeys: the real host (SQLite), the real simulated kiosk
with its keypad gateway and a VIP card key, and the session's headless chromium with the hall,
the lobby, the counter consoles and a phone's status page kept open all along, as in a branch.

Between journeys the branch is put back as a lobby manager finds it in the morning: nobody
waiting, every counter open and idle, ATMs in service, no notice, paper loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from branchq.host.auth import Role
from branchq.host.config import load_config
from branchq.kiosk.config import example_kiosk_config_text
from tests.host.hostproc import HostAccess, HostProcess
from tests.journeys.surfaces import CARD_KEY, Auditor, Journey, Screens, reset_branch
from tests.kiosk.conftest import Branch
from tests.kiosk.kioskproc import KioskProcess
from tests.web.conftest import browser  # noqa: F401  (chromium for the module, a fixture)


def _kiosk_config(tmp: Path) -> Path:
    """The bundled example kiosk, with a journey's pace allowed: a real kiosk takes at most 12
    tickets a minute, a module of journeys takes about thirty in one; the heartbeat every second
    so the lobby sees a printer fault as soon as a person would; the voice awake."""
    text = example_kiosk_config_text()
    # The night's quiet period (no Voice key) hours away from now, in branch time.
    now = datetime.now(load_config(None).branch.tz)
    for key, value in (("tickets_per_minute", "120"), ("heartbeat_s", "1"),
                       ("quiet_from", f'"{now + timedelta(hours=6):%H:%M}"'),
                       ("quiet_until", f'"{now + timedelta(hours=7):%H:%M}"')):
        line = next(line for line in text.splitlines() if line.startswith(f"{key} ="))
        text = text.replace(line, f"{key} = {value}")
    path = tmp / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def branch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Branch]:
    tmp = tmp_path_factory.mktemp("branch")
    host = HostProcess(f"sqlite:///{tmp / 'branchq.db'}", tmp / "host.log",
                       env={"BRANCHQ_VAR_DIR": str(tmp / "var")}).start()
    b = start_kiosk(host, tmp)
    yield b
    b.kiosk.kill()
    b.host.kill()


def start_kiosk(host: HostAccess, tmp: Path) -> Branch:
    """The journeys' kiosk (keypads, card key, a journey's pace) started against ``host``."""
    token_file, keypad_file, card_key = tmp / "kiosk.token", tmp / "keypad.token", tmp / "card.key"
    token_file.write_text(host.token(Role.KIOSK, name="entrance kiosk"))
    keypad_file.write_text(host.token(Role.KEYPAD_GATEWAY, name="entrance keypads",
                                      counters=(1, 2, 3)))
    card_key.write_bytes(CARD_KEY)
    kiosk = KioskProcess(host.base, token_file, tmp / "state", tmp / "kiosk.log", keypad_file,
                         card_key_file=card_key,
                         env={"BRANCHQ_KIOSK_CONFIG": str(_kiosk_config(tmp))}).start()
    return Branch(host, kiosk, tmp)  # type: ignore[arg-type]  # an in-process host too


@pytest.fixture(scope="module")
def screens(browser: Browser, branch: Branch) -> Iterator[Screens]:  # noqa: F811
    opened = Screens(browser, branch.host)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def auditor() -> Auditor:
    return Auditor()


@pytest.fixture
def journey(branch: Branch, screens: Screens, auditor: Auditor, tmp_path: Path,
            record_property: Callable[[str, object], None]) -> Iterator[Journey]:
    """A journey on a branch reset to its morning state; screenshots go to ``tmp_path``. What it
    compared is recorded as the test property ``journey`` (``pytest --junitxml=...``)."""
    reset_branch(branch, screens)
    j = Journey(branch, screens, auditor, tmp_path)
    yield j
    j.close()
    record_property("journey", {"surfaces": len(j.seen), "screenshots": len(j.screenshots),
                                "axe_states": len(auditor.done)})
    screens.assert_no_console_errors()
