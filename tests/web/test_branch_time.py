"""Branch time everywhere (issue 12 item 4): the hall clock and the lobby's "Since" column show
``[branch] timezone`` (Asia/Shanghai in the demo branch), whatever the zone of the machine
running the host or of the browser showing the page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from branchq.host.auth import Role
from branchq.host.config import load_config
from branchq.host.storage import Store
from tests.host.hostproc import DEMO_BRANCH, HostProcess
from tests.web.screens import Screen, call_next, issue

BRANCH_ZONE = ZoneInfo(load_config(None).branch.timezone)
BROWSER_ZONE = "America/New_York"  # 12 or 13 hours from the branch: no minute can look alike


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    """The host on a machine whose own zone is neither the branch's nor the browser's."""
    tmp: Path = tmp_path_factory.mktemp("branch-time")
    url = f"sqlite:///{tmp / 'b.db'}"
    Store(url, DEMO_BRANCH).migrate()
    proc = HostProcess(url, tmp / "host.log", env={"TZ": "Europe/Lisbon"}).start()
    yield proc
    proc.kill()


def _hhmm(at: datetime) -> str:
    return at.astimezone(BRANCH_ZONE).strftime("%H:%M")


def test_the_branch_zone_is_not_the_browsers() -> None:
    now = datetime.now(UTC)
    assert _hhmm(now) != now.astimezone(ZoneInfo(BROWSER_ZONE)).strftime("%H:%M")
    assert str(BRANCH_ZONE) == "Asia/Shanghai"


def test_hall_clock_shows_branch_time_in_a_browser_elsewhere(
    host: HostProcess, open_screen: Callable[..., Screen]
) -> None:
    hall = open_screen(f"/hall#token={host.token(Role.DISPLAY)}", timezone_id=BROWSER_ZONE)
    hall.wait_online()
    before = datetime.now(UTC)
    hall.page.wait_for_function("() => document.querySelector('#clock').textContent !== ''",
                                timeout=3000)
    shown = hall.text("#clock").strip()
    after = datetime.now(UTC)
    assert hall.page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == BROWSER_ZONE
    # The clock ticks on its own timer, so across a minute boundary it may still show the
    # minute before; what matters is the zone (hours apart), not that minute.
    assert shown in {_hhmm(before - timedelta(minutes=1)), _hhmm(before), _hhmm(after)}, shown
    assert hall.real_errors() == []


def test_lobby_since_column_shows_branch_time(
    host: HostProcess, open_screen: Callable[..., Screen]
) -> None:
    issue(host, "noncash")
    called = call_next(host, 4).json()["ticket"]
    at = datetime.fromisoformat(called["called_at"])
    lobby = open_screen(f"/lobby#token={host.token(Role.MANAGER)}", timezone_id=BROWSER_ZONE)
    lobby.wait_online()
    since = "#counters tr[data-counter='4'] td.since"
    lobby.page.wait_for_function(f"() => document.querySelector(\"{since}\")?.textContent !== ''",
                                 timeout=3000)
    text = lobby.text(since)
    assert text.startswith(_hhmm(at)), text
    elsewhere = at.astimezone(ZoneInfo(BROWSER_ZONE))
    assert not text.startswith(elsewhere.strftime("%H:%M"))
    assert lobby.real_errors() == []
