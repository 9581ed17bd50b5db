"""The hall's voice: WAV rendered on the host in both languages, strict inputs, played in order."""

from __future__ import annotations

import io
import wave
from collections.abc import Callable

import pytest

from branchq.host.auth import Role
from tests.host.hostproc import HostProcess
from tests.web.screens import Screen, call_next, issue, wait_until


def _seconds(wav: bytes) -> float:
    with wave.open(io.BytesIO(wav)) as w:
        assert w.getnchannels() == 1 and w.getframerate() >= 16000
        return w.getnframes() / w.getframerate()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_announcing_a023_at_counter_3_gives_speech(host: HostProcess, lang: str) -> None:
    with host.client(host.token(Role.DISPLAY)) as client:
        response = client.get("/api/v1/voice/call", params={"number": "A023", "counter": 3, "lang": lang})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "audio/wav"
        assert 1.5 < _seconds(response.content) < 10
        again = client.get("/api/v1/voice/call", params={"number": "A023", "counter": 3, "lang": lang})
        assert again.content == response.content  # from the cache


def test_languages_and_counters_sound_different(host: HostProcess) -> None:
    with host.client(host.token(Role.TELLER, 3)) as client:
        clips = {(lang, c): client.get("/api/v1/voice/call",
                                       params={"number": "A023", "counter": c, "lang": lang}).content
                 for lang in ("zh", "en") for c in (3, 12)}
    assert len(set(clips.values())) == 4


@pytest.mark.parametrize("params", [
    {"number": "a023", "counter": 3}, {"number": "A02", "counter": 3}, {"number": "A02345", "counter": 3},
    {"number": "A023; rm -rf /", "counter": 3}, {"number": "A023", "counter": 0},
    {"number": "A023", "counter": 1000}, {"number": "A023", "counter": "3 4"},
    {"number": "A023", "counter": 3, "lang": "fr"}, {"counter": 3},
])
def test_bad_inputs_are_refused(host: HostProcess, params: dict[str, object]) -> None:
    with host.client(host.token(Role.DISPLAY)) as client:
        response = client.get("/api/v1/voice/call", params=params)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(("role", "status"), [(None, 401), (Role.KIOSK, 403), (Role.TECHNICIAN, 403)])
def test_voice_needs_a_screen_or_staff_credential(host: HostProcess, role: Role | None, status: int) -> None:
    token = host.token(role) if role else None
    with host.client(token) as client:
        response = client.get("/api/v1/voice/call", params={"number": "A023", "counter": 3})
    assert response.status_code == status


def test_two_calls_in_a_row_are_both_spoken_in_order_and_a_recall_repeats(
    host: HostProcess, open_screen: Callable[..., Screen]
) -> None:
    hall = open_screen(f"/hall#token={host.token(Role.DISPLAY)}")
    hall.wait_online()
    hall.page.evaluate("window.branchqVoice.rate = 4")  # same clips, played faster
    first, second = issue(host)["number"], issue(host)["number"]
    assert call_next(host, 1).status_code == 200
    assert call_next(host, 2).status_code == 200  # while the first is still being spoken
    with host.client(host.token(Role.TELLER, 2)) as client:
        assert client.post("/api/v1/counters/2/recall").status_code == 200

    def played() -> list[tuple[str, int, str]]:
        return [(p["number"], p["counter"], p["lang"])
                for p in hall.page.evaluate("window.branchqVoice.played")]

    wait_until(lambda: len(played()) >= 6, timeout=20)
    assert played() == [(first, 1, "zh"), (first, 1, "en"), (second, 2, "zh"), (second, 2, "en"),
                        (second, 2, "zh"), (second, 2, "en")]
    durations = [p["duration"] for p in hall.page.evaluate("window.branchqVoice.played")]
    assert all(d > 1.0 for d in durations)
    assert hall.real_errors() == []
