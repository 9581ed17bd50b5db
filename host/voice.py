"""Call announcements rendered to speech on the host, offline, with ``espeak-ng``.

A hall screen must speak on a branch LAN with no internet, so speech is synthesised locally and
never by a cloud service. Rendering takes tens of milliseconds but a hall repeats the same few
hundred phrases all day, so each WAV is cached on disk under the host's var directory, keyed by
the exact text and voice. Only validated ticket numbers and counter numbers reach the text, and
``espeak-ng`` is run with an argument list (no shell), so nothing a caller sends is interpreted.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

log = logging.getLogger("branchq.voice")

Lang = Literal["zh", "en"]
NUMBER_PATTERN = r"^[A-Z][0-9]{3,4}$"
COUNTER_MIN, COUNTER_MAX = 1, 999
# espeak-ng 1.51's plain ``cmn`` voice reads Chinese characters as English-spoken pinyin with
# tone digits ("ni three"); the pinyin variant pronounces them as Mandarin.
VOICES: dict[Lang, str] = {"zh": "cmn-latn-pinyin", "en": "en"}
_ZH_DIGITS = "零一二三四五六七八九"
_RENDER_TIMEOUT_S = 10.0
_CACHE_LIMIT = 4000  # files; a branch day uses a few hundred


class VoiceError(Exception):
    """Speech could not be rendered (synthesiser missing, failed or timed out)."""


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
        letter, digits = self.number[0], self.number[1:]
        if lang == "zh":
            spoken = "".join(_ZH_DIGITS[int(d)] for d in digits)
            return f"请 {letter} {spoken} 号，到 {self.counter} 号窗口"
        return f"Number {letter}, {' '.join(digits)}. Please go to counter {self.counter}."


class VoiceRenderer:
    """Renders announcements to WAV files in ``cache_dir`` (created on first use)."""

    def __init__(self, cache_dir: Path, program: str = "espeak-ng") -> None:
        self.cache_dir = cache_dir
        self.program = program

    def render(self, announcement: Announcement, lang: Lang) -> Path:
        """The WAV file speaking ``announcement`` in ``lang`` (blocking; run it in a thread)."""
        voice, text = VOICES[lang], announcement.text(lang)
        key = hashlib.sha256(f"{voice}\0{text}".encode()).hexdigest()[:32]
        path = self.cache_dir / f"{key}.wav"
        if path.exists():
            return path
        executable = shutil.which(self.program)
        if executable is None:
            raise VoiceError(f"{self.program} is not installed (apt-get install espeak-ng)")
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(suffix=".wav.tmp", dir=self.cache_dir)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            subprocess.run(
                [executable, "-v", voice, "-s", "150", "-w", str(tmp), "--", text],
                check=True, capture_output=True, timeout=_RENDER_TIMEOUT_S,
            )
            if tmp.stat().st_size <= 44:  # a bare RIFF header: nothing was spoken
                raise VoiceError(f"{self.program} produced no audio for voice {voice}")
            tmp.replace(path)  # atomic: a concurrent reader sees the whole file or none
        except subprocess.CalledProcessError as err:
            raise VoiceError(f"{self.program} failed: {err.stderr.decode(errors='replace')[:200]}") from err
        except subprocess.TimeoutExpired as err:
            raise VoiceError(f"{self.program} timed out") from err
        finally:
            tmp.unlink(missing_ok=True)
        self._prune()
        return path

    def _prune(self) -> None:
        """Keep the cache bounded: drop the oldest files beyond the limit."""
        files = list(self.cache_dir.glob("*.wav"))
        if len(files) <= _CACHE_LIMIT:
            return
        try:
            files.sort(key=lambda f: f.stat().st_mtime)
        except FileNotFoundError:
            return  # another request is pruning at the same moment
        for old in files[: len(files) - _CACHE_LIMIT]:
            old.unlink(missing_ok=True)
        log.info("voice cache pruned to %d files", _CACHE_LIMIT)


def default_cache_dir() -> Path:
    """``$BRANCHQ_VAR_DIR/voice`` (default ``./var/voice``, beside the default SQLite file)."""
    return Path(os.environ.get("BRANCHQ_VAR_DIR", "var")) / "voice"
