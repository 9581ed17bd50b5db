"""The audio driver: speech rendered with the real espeak-ng and listened to with SoX; WAV files
joined; the virtual speaker and the ALSA player refusing what they cannot play."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from branchq.drivers.audio import (
    AlsaPlayer,
    PlaybackError,
    SpeechCache,
    SpeechError,
    VirtualSpeaker,
    spoken_number,
)
from branchq.drivers.audio.wav import concatenate, seconds
from tests.drivers.audio_helpers import assert_audible, sox_stat, write_silence


@pytest.mark.parametrize(("lang", "text"), [("zh", "请取票，您的号码是 A 零二三"),
                                            ("en", "Please take your ticket")])
def test_speech_is_rendered_once_and_is_audible(tmp_path: Path, lang: str, text: str) -> None:
    cache = SpeechCache(tmp_path)
    path = cache.render(text, lang)  # type: ignore[arg-type]
    assert_audible(path, 1.0, 10.0)
    mtime = path.stat().st_mtime_ns
    assert cache.render(text, lang) == path and path.stat().st_mtime_ns == mtime  # type: ignore[arg-type]


def test_the_amplitude_makes_it_louder(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path)
    quiet = sox_stat(cache.render("Counter three", "en", amplitude=40))["RMS amplitude"]
    loud = sox_stat(cache.render("Counter three", "en", amplitude=160))["RMS amplitude"]
    assert loud > 2 * quiet > 0
    with pytest.raises(ValueError, match="amplitude"):
        cache.render("Counter three", "en", amplitude=300)


def test_a_missing_synthesiser_is_named(tmp_path: Path) -> None:
    with pytest.raises(SpeechError, match="apt-get install espeak-ng"):
        SpeechCache(tmp_path, program="espeak-ng-not-installed").render("hello", "en")
    assert list(tmp_path.iterdir()) == []


def test_the_cache_keeps_its_newest_files(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path, limit=2)
    for word in ("one", "two", "three"):
        cache.render(word, "en")
    assert sorted(tmp_path.glob("*.wav")) == sorted(cache.path_for(w, "en") for w in ("two", "three"))


def test_numbers_are_read_digit_by_digit() -> None:
    assert spoken_number("A023", "zh") == "A 零二三"
    assert spoken_number("B1005", "en") == "B, 1 0 0 5"


def test_joined_files_last_as_long_as_their_parts_and_the_pauses(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path / "cache")
    parts = [cache.render("English", "en"), cache.render("Please take your ticket", "en")]
    out = concatenate(parts, tmp_path / "both.wav", pause_s=0.5)
    assert seconds(out) == pytest.approx(seconds(parts[0]) + 0.5 + seconds(parts[1]), abs=0.001)
    assert_audible(out, 1.0)


def test_files_of_different_formats_are_not_joined(tmp_path: Path) -> None:
    speech = SpeechCache(tmp_path / "cache").render("hello", "en")
    other = write_silence(tmp_path / "8k.wav", 8000, 800)
    with pytest.raises(PlaybackError, match="differs"):
        concatenate([speech, other], tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()


def test_the_virtual_speaker_keeps_what_it_played(tmp_path: Path) -> None:
    speech = SpeechCache(tmp_path / "cache").render("Counter three", "en")
    speaker = VirtualSpeaker(tmp_path / "played")
    speaker.play(speech)
    speaker.play(speech)
    assert [p.path.name for p in speaker.played] == ["0001.wav", "0002.wav"]
    assert speaker.played[0].seconds == pytest.approx(seconds(speech))
    assert speaker.played[1].path.read_bytes() == speech.read_bytes()


@pytest.mark.parametrize("make", [lambda d: VirtualSpeaker(d / "played"), lambda d: AlsaPlayer()])
def test_a_file_that_is_not_a_wav_is_refused(tmp_path: Path, make: object) -> None:
    bad = tmp_path / "ticket.wav"
    bad.write_bytes(b"not a wav file at all")
    with pytest.raises(PlaybackError, match="not a playable WAV"):
        make(tmp_path).play(bad)  # type: ignore[operator]


def test_the_alsa_player_names_what_is_missing(tmp_path: Path) -> None:
    speech = SpeechCache(tmp_path).render("hello", "en")
    with pytest.raises(PlaybackError, match="apt-get install alsa-utils"):
        AlsaPlayer(program="aplay-not-installed").play(speech)
    for bad in ("", "hw:0 -D other", "--help", "default;reboot"):
        with pytest.raises(ValueError, match="ALSA PCM"):
            AlsaPlayer(bad)


needs_aplay = pytest.mark.skipif(shutil.which("aplay") is None, reason="alsa-utils not installed")


@needs_aplay
def test_the_alsa_player_plays_through_aplay(tmp_path: Path) -> None:
    """ALSA's "null" device takes the sound like a card would; aplay is really run."""
    speech = SpeechCache(tmp_path).render("hello", "en")
    player = AlsaPlayer("null")
    for _ in range(3):
        player.play(speech)  # the last sound ended well: nothing to report
        time.sleep(0.05)
    player.close()


@needs_aplay
def test_a_sound_that_failed_is_reported_by_the_next_play(tmp_path: Path) -> None:
    speech = SpeechCache(tmp_path).render("hello", "en")
    player = AlsaPlayer("nosuchcard")
    deadline = time.monotonic() + 10
    with pytest.raises(PlaybackError, match="aplay -D nosuchcard: .*nosuchcard"):
        while time.monotonic() < deadline:  # until aplay has given up on the device
            player.play(speech)
            time.sleep(0.05)
    player.close()
