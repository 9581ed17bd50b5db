"""Voice guidance: what the kiosk says on a screen, spoken offline through its speaker.

What is said comes from the very layout on the screen (each button's and each text's ``say``,
:mod:`branchq.kiosk.layout`), so the voice never tells of a button that is not there. A long press
says the pressed button first, then the screen; the "语音 / Voice" key says the screen: its words,
then each of its choices, top to bottom as they are read, the page keys last. The kiosk's own
controls (language, Voice, large text) are not read as choices. Speech is rendered with the hall
display's voices (``branchq.drivers.audio.speech``) and kept in a cache under the kiosk's state
folder: a kiosk says the same few hundred sentences. docs/kiosk-voice.md
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from branchq.drivers.audio.player import Speaker
from branchq.drivers.audio.speech import Lang, SpeechCache
from branchq.drivers.audio.wav import concatenate
from branchq.kiosk.config import VoiceSettings
from branchq.kiosk.layout import CONTROLS, Layout

log = logging.getLogger("branchq.kiosk.voice")

Clip = tuple[str, str]  # (text, "zh" | "en")
_PAUSE = {"zh": "。", "en": ". "}
# Signs the synthesiser would read out by name ("slash", "middle dot"): a short pause instead.
_SPOKEN_AS_PAUSE = str.maketrans({"·": ",", "/": ",", "…": ","})


def screen_speech(layout: Layout, pressed: str | None = None) -> list[Clip]:
    """What the voice says for ``layout``: the ``pressed`` button's words (a long press), then
    the screen's words and choices. Consecutive words in one language form one clip."""
    clips: list[Clip] = []
    target = next((t for t in layout.targets if t.key == pressed), None)
    if target is not None and target.say:
        clips.append((target.say, target.say_lang or layout.lang))
    # (page key last, top, left, words); sorted() keeps the order of words with the same place.
    placed = [(False, top, 0, words) for top, words in layout.said]
    placed += [(t.key.startswith("page:"), t.box[1], t.box[0], t.say) for t in layout.targets
               if t.key not in CONTROLS and t.say]
    screen = [words for *_, words in sorted(placed, key=lambda p: p[:3])]
    if screen:
        clips.append((_PAUSE[layout.lang].join(screen), layout.lang))
    merged: list[Clip] = []
    for text, lang in clips:
        text = text.translate(_SPOKEN_AS_PAUSE)
        if merged and merged[-1][1] == lang:
            merged[-1] = (merged[-1][0] + _PAUSE[lang] + text, lang)
        else:
            merged.append((text, lang))
    return merged


@dataclass(frozen=True)
class Utterance:
    clips: tuple[Clip, ...]
    path: Path


class KioskVoice:
    """Renders clips (blocking: call :meth:`say` from a thread) and plays them; the newest request
    wins, so a customer moving on quickly hears the screen they are on."""

    def __init__(self, settings: VoiceSettings, speaker: Speaker, cache_dir: Path,
                 program: str = "espeak-ng") -> None:
        self.settings = settings
        self.speaker = speaker
        self.cache = SpeechCache(cache_dir, program)
        self.said: deque[Utterance] = deque(maxlen=20)  # the latest, for the simulation preview
        self.fault = ""  # the last failure to speak, for the kiosk's health report
        self._lock = threading.Lock()
        self._generation = 0

    def speaks_now(self, timezone: str | None, now: datetime | None = None) -> bool:
        """Enabled and outside the quiet period, in branch time (``timezone``; the machine's own
        until the kiosk has learnt the branch's)."""
        zone = ZoneInfo(timezone) if timezone else None
        local = (now or datetime.now(zone)).astimezone(zone)
        return self.settings.speaks_at(local.time())

    def render(self, clips: list[Clip]) -> Path:
        """One WAV file of ``clips``, one after another (cached like each clip)."""
        amplitude = self.settings.amplitude
        parts = [self.cache.render(text, cast(Lang, lang), amplitude) for text, lang in clips]
        if len(parts) == 1:
            return parts[0]
        key = hashlib.sha256("\0".join(p.name for p in parts).encode()).hexdigest()[:32]
        joined = self.cache.cache_dir / f"{key}.wav"
        if not joined.exists():
            concatenate(parts, joined)
        return joined

    def say(self, clips: list[Clip]) -> Path | None:
        """Render and play ``clips``; None when a newer request came in while rendering (that
        one plays instead). Raises AudioError when speech cannot be rendered or played."""
        with self._lock:
            self._generation += 1
            mine = self._generation
        try:
            path = self.render(clips)
            with self._lock:
                if mine != self._generation:
                    return None
                self.speaker.play(path)
                self.said.append(Utterance(tuple(clips), path))
        except Exception as err:
            self.fault = str(err)
            raise
        self.fault = ""
        return path

    def stop(self) -> None:
        with self._lock:
            self._generation += 1
            self.speaker.stop()

    def close(self) -> None:
        self.stop()
        self.speaker.close()
