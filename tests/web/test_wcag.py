"""What axe cannot see: motion (WCAG 2.2.2, 2.3.3), the hall's 7:1 contrast (1.4.6), the
counter's single-key shortcuts (2.1.4), live regions that speak only on change (4.1.3) and focus
that never drops to the page when a control disables or leaves (2.4.3)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page

from branchq.host.auth import Role
from tests.host.hostproc import HostProcess
from tests.web.screens import Screen, issue

ACCENT = "rgb(255, 210, 0)"
# Every number and counter name on the hall display: read from across the hall, 7:1 at least.
HALL_TEXT = "#current-number, #current-zh, #current-en, #recent .num, #recent .bi span, #queues .q-waiting"
_CONTRAST = """(sel) => {
  const channels = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = (c) => {
    const [r, g, b] = channels(c).slice(0, 3).map((v) => v / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor;
      const alpha = channels(c)[3];
      if (alpha === undefined || alpha > 0) return c;
    }
    return "rgb(255, 255, 255)";
  };
  return [...document.querySelectorAll(sel)]
    .filter((el) => el.getClientRects().length && el.textContent.trim())
    .map((el) => {
      const [f, b] = [lum(getComputedStyle(el).color), lum(background(el))];
      return [el.textContent.trim().slice(0, 24), (Math.max(f, b) + 0.05) / (Math.min(f, b) + 0.05)];
    });
}"""
# Animations other than the notice ticker (which has its own pause control).
_OTHER_ANIMATIONS = "document.getAnimations().filter((a) => a.effect.target.id !== 'ticker')"


@pytest.fixture
def context_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """A page in a fresh context with options (reduced motion, size); closed after the test."""
    contexts = []

    def make(**options: object) -> Page:
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, **options)  # type: ignore[arg-type]
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def _lowest_contrast(page: Page) -> tuple[str, float]:
    measured = page.evaluate(_CONTRAST, HALL_TEXT)
    assert measured, "no hall text measured"
    text, ratio = min(measured, key=lambda m: m[1])
    return text, ratio


def _call_on_hall(host: HostProcess, page: Page, counter: int = 4) -> str:
    ticket = issue(host, "noncash")
    with host.client(host.token(Role.TELLER, counter)) as teller:
        called = teller.post(f"/api/v1/counters/{counter}/call", json={"ticket_id": ticket["id"]})
        assert called.status_code == 200, called.text
        teller.post(f"/api/v1/counters/{counter}/done")
    page.wait_for_function("(n) => document.querySelector('#current-number').textContent === n",
                           arg=ticket["number"], timeout=3000)
    return str(ticket["number"])


def _open_hall_with_a_notice(host: HostProcess, page: Page) -> str:
    page.goto(f"{host.base}/hall#token={host.token(Role.DISPLAY)}")
    page.wait_for_selector("#conn.online", timeout=10_000)
    with host.client(host.token(Role.MANAGER)) as client:
        notice = client.post("/api/v1/notices", json={"text_zh": "今日养老金发放", "text_en": "Pension day"})
    page.wait_for_function("() => document.querySelector('#ticker').textContent.includes('Pension day')",
                           timeout=3000)
    return str(notice.json()["id"])


def _clear_notice(host: HostProcess, notice_id: str) -> None:
    with host.client(host.token(Role.MANAGER)) as client:
        client.delete(f"/api/v1/notices/{notice_id}")


# ----------------------------------------------------------------------------------- motion
def test_reduced_motion_stops_the_ticker_and_shows_a_call_without_flashing(
    host: HostProcess, context_page: Callable[..., Page]
) -> None:
    page = context_page(reduced_motion="reduce")
    notice = _open_hall_with_a_notice(host, page)
    assert page.evaluate("getComputedStyle(document.querySelector('#ticker')).animationName") == "none"
    assert page.evaluate("document.getAnimations().length") == 0, "the ticker moves under reduced motion"
    assert page.locator("#ticker-pause").is_hidden()  # nothing to pause

    _call_on_hall(host, page)
    assert page.locator("#current.fresh").count() == 1
    running = page.evaluate("document.getAnimations().map((a) => a.animationName)")
    assert running == [], f"animations under reduced motion: {running}"
    # The call still stands out: a static yellow frame instead of the flips.
    assert page.evaluate("getComputedStyle(document.querySelector('#current')).borderTopColor") == ACCENT
    text, ratio = _lowest_contrast(page)
    assert ratio >= 7, f"hall text {text!r} at {ratio:.2f}:1"
    _clear_notice(host, notice)


def test_a_call_flashes_under_5_s_and_the_ticker_can_be_paused(
    host: HostProcess, context_page: Callable[..., Page]
) -> None:
    page = context_page()
    notice = _open_hall_with_a_notice(host, page)
    pause = page.locator("#ticker-pause")
    assert page.evaluate("document.querySelector('#ticker').getAnimations()[0].playState") == "running"
    pause.click()
    assert pause.get_attribute("aria-pressed") == "true"
    assert page.evaluate("document.querySelector('#ticker').getAnimations()[0].playState") == "paused"
    pause.click()
    assert page.evaluate("document.querySelector('#ticker').getAnimations()[0].playState") == "running"

    _call_on_hall(host, page)
    ends = page.evaluate(f"{_OTHER_ANIMATIONS}.map((a) => a.effect.getComputedTiming().endTime)")
    assert ends, "a fresh call shows no flips where motion is welcome"
    assert max(ends) <= 5000, f"a call flashes for {max(ends)} ms"
    # 7:1 in both frames of a flip: as shown, and flipped (the panel yellow, text dark).
    for at_ms in (0, 500):
        page.evaluate(f"{_OTHER_ANIMATIONS}.forEach((a) => {{ a.pause(); a.currentTime = {at_ms}; }})")
        text, ratio = _lowest_contrast(page)
        assert ratio >= 7, f"hall text {text!r} at {ratio:.2f}:1, {at_ms} ms into a flip"
    _clear_notice(host, notice)


# --------------------------------------------------------------------------------- keyboard
def _console(host: HostProcess, open_screen: Callable[..., Screen], counter: int) -> Screen:
    console = open_screen(f"/counter#token={host.token(Role.TELLER, counter)}&counter={counter}", 1024, 768)
    console.wait_online()
    return console


def _paused(host: HostProcess, counter: int) -> bool:
    with host.client(host.token(Role.MANAGER)) as client:
        counters = client.get("/api/v1/counters").json()
    return bool(next(c for c in counters if c["number"] == counter)["paused"])


def _press_with_nothing_focused(page: Page, key: str) -> None:
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press(key)


def test_counter_shortcuts_never_act_on_a_focused_control_and_can_be_switched_off(
    host: HostProcess, open_screen: Callable[..., Screen]
) -> None:
    console = _console(host, open_screen, 4)
    page = console.page
    assert page.get_attribute("#btn-pause", "aria-keyshortcuts") == "P"
    # "p" typed on a button does nothing; with no control focused it pauses. Had the first press
    # acted, the second would have resumed: so the counter ends paused only if it did not.
    page.focus("#btn-next")
    page.keyboard.press("p")
    _press_with_nothing_focused(page, "p")
    page.wait_for_selector("#paused", state="visible", timeout=3000)
    assert _paused(host, 4)
    page.click("#btn-pause")
    page.wait_for_selector("#paused", state="hidden", timeout=3000)

    page.click("#shortcuts")  # off: keys do nothing, and their hints go
    assert not page.is_checked("#shortcuts")
    assert page.get_attribute("#btn-pause", "aria-keyshortcuts") is None
    assert page.locator("#btn-pause kbd").is_hidden()
    _press_with_nothing_focused(page, "p")
    page.reload()  # the choice is kept on this PC
    console.wait_online()
    assert not page.is_checked("#shortcuts")
    page.click("#shortcuts")
    _press_with_nothing_focused(page, "p")
    page.wait_for_selector("#paused", state="visible", timeout=3000)
    assert _paused(host, 4), "the key pressed while shortcuts were off acted"
    page.click("#btn-pause")
    page.wait_for_selector("#paused", state="hidden", timeout=3000)
    assert console.real_errors() == []


# ------------------------------------------------------------------------------------ focus
def test_focus_moves_to_call_next_when_done_disables_itself(
    host: HostProcess, open_screen: Callable[..., Screen]
) -> None:
    console = _console(host, open_screen, 3)
    page = console.page
    issue(host, "noncash")
    page.focus("#btn-next")
    page.keyboard.press("Enter")
    page.wait_for_selector("#btn-done:enabled", timeout=3000)
    page.focus("#btn-done")
    page.keyboard.press("Enter")
    page.wait_for_selector("#btn-done:disabled", timeout=3000)
    focused = page.evaluate("document.activeElement.id || document.activeElement.tagName")
    assert focused == "btn-next", f"focus fell to {focused}"


def test_lobby_keeps_focus_on_a_row_button_through_its_refresh(
    host: HostProcess, open_screen: Callable[..., Screen]
) -> None:
    lobby = open_screen(f"/lobby#token={host.token(Role.MANAGER)}", 1024, 768)
    page = lobby.page
    lobby.wait_online()
    toggle = "#devices tr[data-equipment='atm-1'] button"
    page.focus(toggle)
    page.keyboard.press("Enter")
    page.wait_for_selector("#devices tr.bad[data-equipment='atm-1']", timeout=3000)
    assert page.evaluate("document.activeElement.dataset.focusKey") == "equipment:atm-1"
    name = page.evaluate("document.activeElement.textContent")
    assert "自动柜员机 1" in name and "ATM 1" in name  # the button names its ATM
    page.keyboard.press("Enter")
    page.wait_for_selector("#devices tr.bad[data-equipment='atm-1']", state="detached", timeout=3000)
    assert page.evaluate("document.activeElement.dataset.focusKey") == "equipment:atm-1"

    ticket = issue(host, "wealth")  # a no-show reinstated: its row goes, focus goes to its table
    with host.client(host.token(Role.MANAGER)) as client:
        client.post("/api/v1/counters/6/call", json={"ticket_id": ticket["id"]})
        client.post("/api/v1/counters/6/no-show")
    button = f"#noshows tr[data-ticket='{ticket['number']}'] button"
    page.wait_for_selector(button, timeout=3000)
    page.focus(button)
    page.keyboard.press("Enter")
    page.wait_for_selector(button, state="detached", timeout=3000)
    focused = page.evaluate("document.activeElement.id || document.activeElement.tagName")
    assert focused == "noshows-h", f"focus fell to {focused}"
    with host.client(host.token(Role.TELLER, 6)) as teller:
        teller.post("/api/v1/counters/6/call-next")
        teller.post("/api/v1/counters/6/done")


# ------------------------------------------------------------------------ customer status
_POLLS = "performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/tickets/')).length"


def _polls(page: Page) -> int:
    """The status page's polls of its ticket so far (the browser's resource timing)."""
    return int(page.evaluate(_POLLS))


def _wait_for_polls(page: Page, count: int) -> None:
    page.wait_for_function(f"(n) => {_POLLS} >= n", arg=count, timeout=15_000)


def test_status_page_speaks_only_on_change_and_keeps_focus_on_its_sound_button(
    host: HostProcess, open_screen: Callable[..., Screen]
) -> None:
    ticket = issue(host, "vip", "vip")
    status = open_screen(f"/t/{ticket['id']}", 390, 844)
    page = status.page
    page.wait_for_selector("#state[data-status=waiting]", timeout=3000)
    page.evaluate("""() => {
      window.stateMutations = 0;
      new MutationObserver((records) => { window.stateMutations += records.length; })
        .observe(document.querySelector('#state'), { childList: true, subtree: true, characterData: true });
    }""")
    seen = _polls(page)
    _wait_for_polls(page, seen + 5)  # five polls with nothing new
    assert page.evaluate("window.stateMutations") == 0, (
        f"#state re-rendered {page.evaluate('window.stateMutations')} times over {_polls(page) - seen} polls")
    assert page.get_attribute("#state", "aria-live") == "polite"

    page.focus("#sound")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "sound"
    assert "Turn off the alert sound" in status.text("#sound")
    page.keyboard.press("Enter")
    assert "Turn on the alert sound" in status.text("#sound")

    with host.client(host.token(Role.TELLER, 5)) as teller:
        teller.post("/api/v1/counters/5/call", json={"ticket_id": ticket["id"]})
        page.wait_for_selector("#state[data-status=called]", timeout=3000)
        assert page.get_attribute("#state", "aria-live") == "assertive"  # the customer's own call
        changes = page.evaluate("window.stateMutations")
        _wait_for_polls(page, _polls(page) + 3)
        assert page.evaluate("window.stateMutations") == changes
        teller.post("/api/v1/counters/5/done")
    page.wait_for_selector("#state[data-status=done]", timeout=3000)
    assert page.get_attribute("#state", "aria-live") == "polite"
    assert status.real_errors() == []
