"""axe-core on every page, at a 1080p screen and a phone, in every state a day's journeys reach.

Serious and critical violations fail everywhere; moderate ones fail too on the pages customers
use (hall display, status page, kiosk preview). Each state is also checked for what axe leaves
out of WCAG 3.1.2: English shown under a Chinese lang, and aria-labels in one language only.
Each test records its counts per state (``record_property("axe", ...)``, in a --junitxml
report) for the audit table in docs/web.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from branchq.host.auth import Role
from tests.host.hostproc import HostProcess
from tests.kiosk.kioskproc import KioskProcess
from tests.web.axe import VIEWPORTS, Violation, audit, blocking, by_impact, language_of_parts
from tests.web.screens import Screen, issue

OpenScreen = Callable[..., Screen]


class Audit:
    """The axe results of one page at one viewport, state by state."""

    def __init__(self, page_name: str, customer_facing: bool) -> None:
        self.page_name = page_name
        self.customer_facing = customer_facing
        self.results: dict[str, list[Violation]] = {}
        self.language: dict[str, list[str]] = {}

    def check(self, page: Page, state: str) -> None:
        self.results[state] = audit(page)
        self.language[state] = language_of_parts(page)

    def counts(self) -> dict[str, dict[str, int]]:
        return {state: by_impact(found) for state, found in self.results.items()}

    def assert_clean(self) -> None:
        failures = [f"{state}: {v}" for state, found in self.results.items()
                    for v in blocking(found, self.customer_facing)]
        failures += [f"{state}: {text}" for state, found in self.language.items() for text in found]
        assert not failures, f"{self.page_name}:\n" + "\n".join(failures)


@pytest.fixture
def axe_audit(request: pytest.FixtureRequest,
              record_property: Callable[[str, object], None]) -> Iterator[Callable[[str, bool], Audit]]:
    made: list[Audit] = []

    def make(page_name: str, customer_facing: bool) -> Audit:
        made.append(Audit(page_name, customer_facing))
        return made[-1]

    yield make
    for a in made:
        record_property("axe", {a.page_name: a.counts()})
        record_property("language", {a.page_name: {state: len(found) for state, found in a.language.items()}})
        record_property("axe_rules", {a.page_name: {state: sorted(f"{v.impact}:{v.rule}" for v in found)
                                                    for state, found in a.results.items()}})


def _text_has(page: Page, selector: str, text: str, timeout_ms: float = 3000) -> None:
    page.wait_for_function(
        "([sel, text]) => (document.querySelector(sel)?.textContent || '').includes(text)",
        arg=[selector, text], timeout=timeout_ms)


def _open(open_screen: OpenScreen, path: str, viewport: str) -> Screen:
    return open_screen(path, *VIEWPORTS[viewport])


# ------------------------------------------------------------------------------------- hall
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_hall_display_passes_axe_in_every_state(
    viewport: str, host: HostProcess, open_screen: OpenScreen, axe_audit: Callable[[str, bool], Audit]
) -> None:
    result = axe_audit("hall", True)
    setup = _open(open_screen, "/hall", viewport)
    setup.page.wait_for_selector("#setup", state="visible", timeout=3000)
    result.check(setup.page, "signed out")

    hall = _open(open_screen, f"/hall#token={host.token(Role.DISPLAY)}", viewport)
    page = hall.page
    hall.wait_online()
    page.wait_for_selector("#queues li", timeout=3000)
    result.check(page, "idle")

    manager = host.token(Role.MANAGER)
    with host.client(manager) as client:
        notice = client.post("/api/v1/notices", json={"text_zh": "今日养老金发放", "text_en": "Pension day"})
        client.put("/api/v1/equipment/atm-2", json={"status": "out_of_service", "note": "repair 14:00"})
        _text_has(page, "#ticker", "ATM 2 out of service")
        result.check(page, "notices in the ticker")

        ticket = issue(host, "noncash")
        with host.client(host.token(Role.TELLER, 3)) as teller:
            assert teller.post("/api/v1/counters/3/call", json={"ticket_id": ticket["id"]}).status_code == 200
            _text_has(page, "#current-number", str(ticket["number"]))
            result.check(page, "after a call")
            assert teller.post("/api/v1/counters/3/recall").status_code == 200
            page.wait_for_function(  # the recall queued for speaking: call and recall, 2 languages each
                "(n) => [...window.branchqVoice.pending, ...window.branchqVoice.played]"
                ".filter((p) => p.number === n).length >= 3", arg=ticket["number"], timeout=5000)
            result.check(page, "after a recall")
            teller.post("/api/v1/counters/3/done")
        client.delete(f"/api/v1/notices/{notice.json()['id']}")
        client.put("/api/v1/equipment/atm-2", json={"status": "in_service"})
    assert hall.real_errors() == []
    result.assert_clean()


# ---------------------------------------------------------------------------------- counter
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_counter_console_passes_axe_in_every_state(
    viewport: str, host: HostProcess, open_screen: OpenScreen, axe_audit: Callable[[str, bool], Audit]
) -> None:
    result = axe_audit("counter", False)
    counter = 1 if viewport == "1080p" else 2
    console = _open(open_screen, "/counter", viewport)
    page = console.page
    page.wait_for_selector("#signin", state="visible", timeout=3000)
    result.check(page, "signed out")

    page.fill("#token-input", host.token(Role.TELLER, counter))
    page.fill("#counter-input", str(counter))
    page.click("#signin-btn")
    console.wait_online()
    page.wait_for_selector("#btn-done:disabled", timeout=3000)
    result.check(page, "idle")

    issue(host, "cash")
    page.click("#btn-next")
    page.wait_for_selector("#btn-done:enabled", timeout=3000)
    result.check(page, "after a call")
    page.click("#btn-recall")
    _text_has(page, "#serving-meta", "recalled")
    result.check(page, "after a recall")

    page.click("#btn-transfer")
    page.wait_for_selector("#transfer-dialog[open]", timeout=2000)
    result.check(page, "transfer dialog")
    page.click("#transfer-cancel")
    page.click("#btn-call")
    page.wait_for_selector("#call-dialog[open]", timeout=2000)
    result.check(page, "call-a-number dialog")
    page.click("#call-cancel")

    page.click("#btn-done")
    page.wait_for_selector("#btn-done:disabled", timeout=3000)
    result.check(page, "after done")
    page.click("#btn-pause")
    page.wait_for_selector("#paused", state="visible", timeout=3000)
    result.check(page, "paused")
    page.click("#btn-pause")
    page.wait_for_selector("#paused", state="hidden", timeout=3000)
    assert console.real_errors() == []
    result.assert_clean()


# ------------------------------------------------------------------------------------ lobby
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_lobby_dashboard_passes_axe_in_every_state(
    viewport: str, host: HostProcess, open_screen: OpenScreen, axe_audit: Callable[[str, bool], Audit]
) -> None:
    result = axe_audit("lobby", False)
    signin = _open(open_screen, "/lobby", viewport)
    signin.page.wait_for_selector("#signin", state="visible", timeout=3000)
    result.check(signin.page, "signed out")
    wrong = _open(open_screen, f"/lobby#token={host.token(Role.DISPLAY)}", viewport)
    _text_has(wrong.page, "#signin-error", "manager token")
    result.check(wrong.page, "wrong token")

    lobby = _open(open_screen, f"/lobby#token={host.token(Role.MANAGER)}", viewport)
    page = lobby.page
    lobby.wait_online()
    page.wait_for_selector("#devices tr[data-equipment]", timeout=3000)
    result.check(page, "idle")

    noshow = issue(host, "wealth")
    with host.client(host.token(Role.MANAGER)) as client:
        client.post("/api/v1/counters/6/call", json={"ticket_id": noshow["id"]})
        client.post("/api/v1/counters/6/no-show")
        client.put("/api/v1/equipment/atm-1", json={"status": "out_of_service", "note": "cash jam"})
        notice = client.post("/api/v1/notices", json={"text_zh": "午间暂停", "text_en": "Lunch break"})
        with host.client(host.token(Role.KIOSK)) as kiosk:
            kiosk.post("/api/v1/devices/heartbeat", json={"kiosk": "entrance", "devices": [
                {"device": "printer", "status": "fault", "detail": "paper out"},
                {"device": "touch", "status": "ok"}]})
        page.click("#issue-btn")
        page.wait_for_selector("#issued .num", timeout=3000)
        _text_has(page, "#devices", "paper out")
        _text_has(page, "#noshows", str(noshow["number"]))
        _text_has(page, "#notices", "Lunch break")
        result.check(page, "with a fault")
        client.put("/api/v1/equipment/atm-1", json={"status": "in_service"})
        client.delete(f"/api/v1/notices/{notice.json()['id']}")
        with host.client(host.token(Role.KIOSK)) as kiosk:
            kiosk.post("/api/v1/devices/heartbeat", json={"kiosk": "entrance", "devices": [
                {"device": "printer", "status": "ok"}, {"device": "touch", "status": "ok"}]})
    assert lobby.real_errors() == []
    result.assert_clean()


# ------------------------------------------------------------------------ customer status
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_status_page_passes_axe_in_every_state(
    viewport: str, host: HostProcess, open_screen: OpenScreen, axe_audit: Callable[[str, bool], Audit]
) -> None:
    result = axe_audit("status", True)
    ticket = issue(host, "vip", "vip")
    status = _open(open_screen, f"/t/{ticket['id']}", viewport)
    page = status.page
    page.wait_for_selector("#state[data-status=waiting]", timeout=3000)
    result.check(page, "waiting")
    with host.client(host.token(Role.TELLER, 5)) as teller:
        assert teller.post("/api/v1/counters/5/call", json={"ticket_id": ticket["id"]}).status_code == 200
        page.wait_for_selector("#state[data-status=called]", timeout=3000)
        result.check(page, "called")
        teller.post("/api/v1/counters/5/recall")
        page.wait_for_function("() => window.branchqStatus.beeps >= 2", timeout=3000)
        result.check(page, "recalled")
        teller.post("/api/v1/counters/5/done")
        page.wait_for_selector("#state[data-status=done]", timeout=3000)
        result.check(page, "done")

        missed = issue(host, "vip", "vip")
        teller.post("/api/v1/counters/5/call", json={"ticket_id": missed["id"]})
        teller.post("/api/v1/counters/5/no-show")
    gone = _open(open_screen, f"/t/{missed['id']}", viewport)
    gone.page.wait_for_selector("#state[data-status=no_show]", timeout=3000)
    result.check(gone.page, "no-show")
    unknown = _open(open_screen, "/t/no-such-ticket-0000", viewport)
    _text_has(unknown.page, "#state", "No such ticket")
    result.check(unknown.page, "unknown ticket")
    assert status.real_errors() == []
    result.assert_clean()


# ------------------------------------------------------------------------------ kiosk preview
@pytest.fixture(scope="module")
def kiosk(host: HostProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KioskProcess]:
    tmp: Path = tmp_path_factory.mktemp("kiosk")
    token_file = tmp / "kiosk.token"
    token_file.write_text(host.token(Role.KIOSK, name="preview kiosk"))
    process = KioskProcess(host.base, token_file, tmp / "state", tmp / "kiosk.log").start()
    yield process
    process.kill()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_kiosk_preview_passes_axe(
    viewport: str, kiosk: KioskProcess, browser: Browser, axe_audit: Callable[[str, bool], Audit]
) -> None:
    result = axe_audit("kiosk preview", True)
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.goto(kiosk.preview + "/")
        page.wait_for_function("() => document.querySelector('#screen').naturalWidth > 0", timeout=5000)
        result.check(page, "home")
        page.get_by_role("button", name="service:cash").focus()  # the screen's buttons, by keyboard
        page.keyboard.press("Enter")
        kiosk.wait_for(lambda s: s["screen"] == "ticket", 15, "no ticket screen")
        _text_has(page, "#paper", "A0")
        result.check(page, "ticket printed")
        kiosk.tap_button("home")
    finally:
        context.close()
    result.assert_clean()
