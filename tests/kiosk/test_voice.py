"""Voice guidance: every kiosk screen, in both languages, rendered to WAV with the real espeak-ng
and listened to with SoX; what is said follows the screen; the quiet period; the [voice] section."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from branchq.drivers.audio import VirtualSpeaker
from branchq.kiosk.config import KioskConfigError, VoiceSettings, parse_kiosk_config
from branchq.kiosk.layout import SUPPORTED_PANELS, Layout
from branchq.kiosk.messages import message
from branchq.kiosk.screens import ScreenRenderer
from branchq.kiosk.views import (
    Assist,
    GreenView,
    HomeView,
    TicketView,
    View,
    closed_view,
    guidance_view,
    notice_view,
    out_of_service_view,
    printing_view,
)
from branchq.kiosk.voice import KioskVoice, screen_speech
from tests.drivers.audio_helpers import assert_audible
from tests.kiosk.test_layout import FONT, services

RENDERER = ScreenRenderer(SUPPORTED_PANELS["800x480"], FONT)
SCREENS: dict[str, View] = {
    "home": HomeView("示例银行 人民路支行", "Example Bank, Renmin Road Branch", services(4, 1)),
    "green_confirm": GreenView(services(4, 1)),
    "printing": printing_view(),
    "ticket": TicketView("A023", "现金业务", "Cash", "前面 2 人，约 4 分钟",
                         "2 people ahead, about 4 min", "normal", False),
    "guidance": guidance_view("请到自助服务区使用自动柜员机", "Please use the ATMs"),
    "out_of_service": out_of_service_view(message("P01")),
    "message": notice_view(message("K01")),
    "closed": closed_view("09:00-17:00"),
}


def layout(name: str, lang: str) -> Layout:
    return RENDERER.layout(SCREENS[name], lang, 0, Assist(voice=True))


@pytest.fixture(scope="module")
def voice(tmp_path_factory: pytest.TempPathFactory) -> KioskVoice:
    folder = tmp_path_factory.mktemp("voice")
    return KioskVoice(VoiceSettings(), VirtualSpeaker(folder / "played"), folder / "cache")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", list(SCREENS))
def test_every_screen_is_spoken_audibly(voice: KioskVoice, name: str, lang: str) -> None:
    path = voice.say(screen_speech(layout(name, lang)))
    assert path is not None
    played = voice.speaker.played[-1]  # type: ignore[attr-defined]
    assert played.path.read_bytes() == path.read_bytes()
    assert_audible(played.path, min_seconds=1.0)


def test_the_ticket_is_read_with_its_number_digit_by_digit() -> None:
    [(zh, lang)] = screen_speech(layout("ticket", "zh"))
    assert lang == "zh"
    assert "您的号码是 A 零二三 号" in zh and "现金业务" in zh and "前面 2 人" in zh
    [(en, lang)] = screen_speech(layout("ticket", "en"))
    assert lang == "en"
    assert "Your number is A, 0 2 3" in en and "Cash" in en


def test_a_long_press_says_the_button_then_the_choices_not_the_controls() -> None:
    home = layout("home", "zh")
    [(text, lang)] = screen_speech(home, "service:noncash")
    assert lang == "zh"
    assert text.startswith("非现金业务，您是下一位")
    for choice in ("现金业务", "理财业务", "绿色通道", "贵宾客户请刷卡"):
        assert choice in text
    assert "English" not in text and "语音朗读" not in text and "大字" not in text
    # The language key speaks in the language it offers, then the screen in its own.
    clips = screen_speech(home, "lang")
    assert [lang for _, lang in clips] == ["en", "zh"] and clips[0][0] == "Press for English"


def test_a_long_press_on_the_voice_key_says_what_it_is_and_the_screen() -> None:
    [(text, lang)] = screen_speech(layout("green_confirm", "en"), "voice")
    assert lang == "en"
    assert text.startswith("Voice guidance. Green channel") and "Back" in text


def test_two_languages_are_joined_into_one_audible_file(voice: KioskVoice) -> None:
    path = voice.render(screen_speech(layout("home", "zh"), "lang"))
    first = voice.render([("Press for English", "en")])
    assert_audible(path, min_seconds=assert_audible(first, 0.5)["Length (seconds)"] + 1.0)


def test_the_newest_request_wins(voice: KioskVoice) -> None:
    before = len(voice.speaker.played)  # type: ignore[attr-defined]
    voice.stop()
    assert voice.say([("请取票", "zh")]) is not None
    assert len(voice.speaker.played) == before + 1  # type: ignore[attr-defined]


def test_a_missing_synthesiser_is_a_fault_for_the_health_report(tmp_path: Path) -> None:
    from branchq.drivers.audio import SpeechError

    broken = KioskVoice(VoiceSettings(), VirtualSpeaker(tmp_path / "played"), tmp_path / "cache",
                        program="espeak-ng-not-installed")
    with pytest.raises(SpeechError):
        broken.say([("请取票", "zh")])
    assert "espeak-ng" in broken.fault and broken.speaker.played == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(("quiet", "at", "speaks"), [
    (("20:00", "08:00"), "07:59", False), (("20:00", "08:00"), "08:00", True),
    (("20:00", "08:00"), "19:59", True), (("20:00", "08:00"), "20:00", False),
    (("20:00", "08:00"), "00:00", False), (("12:00", "13:30"), "12:45", False),
    (("12:00", "13:30"), "13:30", True),
])
def test_the_quiet_period_in_branch_time(quiet: tuple[str, str], at: str, speaks: bool) -> None:
    settings = VoiceSettings(quiet_from=quiet[0], quiet_until=quiet[1])
    assert settings.speaks_at(time.fromisoformat(at)) is speaks
    assert VoiceSettings(enabled=False).speaks_at(time.fromisoformat("10:00")) is False


def test_the_quiet_period_follows_the_branch_time_zone(tmp_path: Path) -> None:
    voice = KioskVoice(VoiceSettings(), VirtualSpeaker(tmp_path), tmp_path)
    noon_utc = datetime(2026, 12, 8, 12, 0, tzinfo=ZoneInfo("UTC"))  # 20:00 in Shanghai
    assert voice.speaks_now("Europe/London", noon_utc)
    assert not voice.speaks_now("Asia/Shanghai", noon_utc)


BASE = '[printer]\nbackend = { kind = "serial", path = "/dev/x" }\n[touch]\n'


@pytest.mark.parametrize(("section", "says"), [
    ("volume = 0", "[voice] invalid voice settings: volume: Input should be greater than or equal to 1"),
    ("volum = 60", "volum: unknown key (check the spelling)"),
    ('quiet_from = "8pm"', "quiet_from: String should match pattern"),
    ('quiet_from = "08:00"\nquiet_until = "08:00"', "are the same time"),
    ('device = "hw:0 --help"', "device: String should match pattern"),
])
def test_bad_voice_settings_are_named(section: str, says: str) -> None:
    with pytest.raises(KioskConfigError) as err:
        parse_kiosk_config(f"{BASE}[voice]\n{section}\n")
    assert says in str(err.value)


def test_the_voice_section_is_optional_and_read() -> None:
    assert parse_kiosk_config(BASE).voice == VoiceSettings()
    voice = parse_kiosk_config(f'{BASE}[voice]\nvolume = 80\ndevice = "plughw:1,0"\n').voice
    assert (voice.amplitude, voice.device) == (160, "plughw:1,0")
