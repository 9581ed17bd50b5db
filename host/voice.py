"""Call announcements rendered to speech on the host, offline, with ``espeak-ng``.

The synthesiser, its voices and the WAV cache are shared with the kiosk's voice guidance
(``branchq.drivers.audio.speech``); this module says what a call sounds like. Only validated
ticket numbers and counter numbers reach the text.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from branchq.drivers.audio.errors import SpeechError as VoiceError
from branchq.drivers.audio.speech import Lang, SpeechCache, spoken_number

__all__ = ["COUNTER_MAX", "COUNTER_MIN", "NUMBER_PATTERN", "Announcement", "Lang", "VoiceError",
           "VoiceRenderer", "default_cache_dir"]

NUMBER_PATTERN = r"^[A-Z][0-9]{3,4}$"
COUNTER_MIN, COUNTER_MAX = 1, 999


@dataclass(frozen=True)
class Announcement:
    """A call: ticket number and counter, validated on construction."""

    number: str
    counter: int

    def __post_init__(self) -> None:
        if not re.fullmatch(NUMBER_PATTERN, self.number):
            raise ValueError("number must be a capital letter and 3-4 digits, like A023")
        if not COUNTER_MIN <= self.counter <= COUNTER_MAX:
            raise ValueError(f"counter must be {COUNTER_MIN}..{COUNTER_MAX}")

    def text(self, lang: Lang) -> str:
        """Digits are spoken one by one, as numbers are printed on the ticket."""
        if lang == "zh":
            return f"请 {spoken_number(self.number, 'zh')} 号，到 {self.counter} 号窗口"
        return f"Number {spoken_number(self.number, 'en')}. Please go to counter {self.counter}."


class VoiceRenderer:
    """Renders announcements to WAV files in ``cache_dir`` (created on first use)."""

    def __init__(self, cache_dir: Path, program: str = "espeak-ng") -> None:
        self.cache = SpeechCache(cache_dir, program)

    def render(self, announcement: Announcement, lang: Lang) -> Path:
        """The WAV file speaking ``announcement`` in ``lang`` (blocking; run it in a thread)."""
        return self.cache.render(announcement.text(lang), lang)


def default_cache_dir() -> Path:
    """``$BRANCHQ_VAR_DIR/voice`` (default ``./var/voice``, beside the default SQLite file)."""
    return Path(os.environ.get("BRANCHQ_VAR_DIR", "var")) / "voice"
