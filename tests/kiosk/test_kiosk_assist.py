"""The customer's aids through the real kiosk process (virtual devices, a real host): the Voice
key, a long press and the ticket read aloud, rendered to WAV by the virtual speaker and listened
to with SoX; the night's quiet period; large text."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from branchq.host.config import load_config
from branchq.kiosk.config import example_kiosk_config_text
from tests.drivers.audio_helpers import assert_audible
from tests.kiosk.conftest import Branch
from tests.kiosk.test_kiosk_e2e import host_tickets


@pytest.fixture
def kiosk_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """A kiosk.toml whose quiet period is now ("quiet") or hours away ("speaking"), in the
    demo branch's time zone."""
    now = datetime.now(load_config(None).branch.tz)
    start, end = {"quiet": (now - timedelta(hours=1), now + timedelta(hours=1)),
                  "speaking": (now + timedelta(hours=6), now + timedelta(hours=7))}[
        getattr(request, "param", "speaking")]
    text, count = re.subn(r'quiet_from = "[0-9:]+"(.*)\nquiet_until = "[0-9:]+"',
                          f'quiet_from = "{start:%H:%M}"\\1\nquiet_until = "{end:%H:%M}"',
                          example_kiosk_config_text())
    assert count == 1
    path = tmp_path / "kiosk.toml"
    path.write_text(text)
    return {"BRANCHQ_KIOSK_CONFIG": str(path)}


def played(state: dict[str, Any]) -> list[dict[str, Any]]:
    return state["voice"]["played"]  # type: ignore[no-any-return]


def test_the_voice_key_a_long_press_and_the_ticket_are_spoken(branch: Branch) -> None:
    kiosk = branch.kiosk
    state = kiosk.state()
    assert state["voice"]["available"] and any(b["key"] == "voice" for b in state["buttons"])
    assert played(state) == []  # nobody asked yet

    kiosk.tap_button("voice")
    state = kiosk.wait_for(lambda s: len(played(s)) == 1, 20, "the Voice key said nothing")
    assert state["screen"] == "home" and state["voice"]["on"]
    for words in ("示例银行", "现金业务", "非现金业务", "绿色通道"):
        assert words in state["voice"]["said"][-1]
    assert_audible(Path(played(state)[0]["path"]), min_seconds=5.0)

    kiosk.tap_button("service:noncash", long=True)  # says the button; never takes a ticket
    state = kiosk.wait_for(lambda s: len(played(s)) == 2, 20, "the long press said nothing")
    assert state["voice"]["said"][-1].startswith("非现金业务")
    assert_audible(Path(played(state)[1]["path"]), min_seconds=5.0)
    assert state["screen"] == "home" and host_tickets(branch.host) == []

    kiosk.tap_button("service:cash")
    kiosk.wait_for(lambda s: s["screen"] == "ticket" and "A001" in s["paper"], 20, "no ticket")
    # (Read while the ticket screen shows, but it may be home again by the time the test looks.)
    state = kiosk.wait_for(lambda s: any("您的号码是 A 零零一 号" in said
                                         for said in s["voice"]["said"]), 20, "ticket not read")
    assert_audible(Path(played(state)[-1]["path"]), min_seconds=3.0)
    assert [t["number"] for t in host_tickets(branch.host)] == ["A001"]


@pytest.mark.parametrize("kiosk_env", ["quiet"], indirect=True)
def test_in_the_quiet_period_there_is_no_voice(branch: Branch) -> None:
    kiosk = branch.kiosk
    state = kiosk.state()
    assert not state["voice"]["available"]
    assert "voice" not in {b["key"] for b in state["buttons"]}
    kiosk.tap_button("service:cash", long=True)
    kiosk.tap_button("lang")  # handled after the long press: taps are taken in order
    kiosk.wait_for(lambda s: "English" not in s["texts"] and "中文" in s["texts"], 10)
    kiosk.tap_button("service:cash")
    state = kiosk.wait_for(lambda s: s["screen"] == "ticket", 20, "no ticket")
    assert played(state) == [] and state["voice"]["said"] == []
    assert len(host_tickets(branch.host)) == 1  # the long press took none


def test_large_text_halves_the_choices_and_still_issues(branch: Branch) -> None:
    kiosk = branch.kiosk

    def services(s: dict[str, Any]) -> list[str]:
        return [b["key"] for b in s["buttons"] if b["key"].startswith("service:")]

    normal = kiosk.state()
    assert not normal["large_text"] and normal["page"] == [1, 1]
    kiosk.tap_button("large")
    state = kiosk.wait_for(lambda s: s["large_text"], 10, "large text not shown")
    assert 1 <= len(services(state)) <= len(services(normal)) // 2
    assert "标准字" in state["texts"]  # the same key brings normal text back
    seen = services(state)
    while state["page"][0] < state["page"][1]:
        page = state["page"][0]
        kiosk.tap_button("page:next")
        state = kiosk.wait_for(lambda s, page=page: s["page"][0] == page + 1, 10)
        assert len(services(state)) <= len(services(normal)) // 2
        seen += services(state)
    assert sorted(seen) == sorted(services(normal))  # every service can be reached

    kiosk.tap_button(next(k for k in services(state) if k != "service:atm_small"))
    state = kiosk.wait_for(lambda s: s["screen"] == "ticket", 20, "no ticket")
    assert state["large_text"] and len(host_tickets(branch.host)) == 1
    kiosk.tap_button("home")  # Done: the next customer starts in normal text
    state = kiosk.wait_for(lambda s: s["screen"] == "home", 10)
    assert not state["large_text"] and "大字" in state["texts"]
