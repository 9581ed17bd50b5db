"""Text to speech, offline, with ``espeak-ng``: the voices, the call, and a cache of WAV files.

Shared by the host (the hall's call announcements) and the kiosk (voice guidance), so both speak
with the same Mandarin voice. A branch LAN has no internet, so speech is synthesised locally and
never by a cloud service. Rendering takes tens of milliseconds, but a hall or a kiosk repeats the
same few hundred phrases all day, so each WAV is kept on disk, keyed by its exact text, voice and
amplitude. ``espeak-ng`` is run with an argument list (no shell) and the text after ``--``, so
nothing in the text is interpreted as an option or a command.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

from .errors import SpeechError

log = logging.getLogger("branchq.voice")

Lang = Literal["zh", "en"]
# espeak-ng 1.51's plain ``cmn`` voice reads Chinese characters as English-spoken pinyin with
# tone digits ("ni three"); the pinyin variant pronounces them as Mandarin.
VOICES: dict[Lang, str] = {"zh": "cmn-latn-pinyin", "en": "en"}
#: espeak-ng's own default amplitude (its scale is 0-200; above about 150 loud vowels clip).
DEFAULT_AMPLITUDE = 100
_ZH_DIGITS = "零一二三四五六七八九"
_WORDS_PER_MINUTE = 150
_RENDER_TIMEOUT_S = 10.0
_CACHE_LIMIT = 4000  # files; a branch day uses a few hundred
_EMPTY_WAV_BYTES = 44  # a bare RIFF header: nothing was spoken


def spoken_number(number: str, lang: Lang) -> str:
    """A ticket number as it is read out: its letter, then the digits one by one, as printed
    on the ticket ("A023" -> "A 零二三" / "A, 0 2 3"), never as a quantity ("twenty-three")."""
    letter, digits = number[0], number[1:]
    if lang == "zh":
        return f"{letter} {''.join(_ZH_DIGITS[int(d)] for d in digits)}"
    return f"{letter}, {' '.join(digits)}"


class SpeechCache:
    """Renders text to WAV files in ``cache_dir`` (created on first use), each kept for reuse."""

    def __init__(self, cache_dir: Path, program: str = "espeak-ng", limit: int = _CACHE_LIMIT
                 ) -> None:
        self.cache_dir = cache_dir
        self.program = program
        self.limit = limit

    def path_for(self, text: str, lang: Lang, amplitude: int = DEFAULT_AMPLITUDE) -> Path:
        """Where the WAV of ``text`` is (or will be) kept."""
        key = hashlib.sha256(f"{VOICES[lang]}\0{amplitude}\0{text}".encode()).hexdigest()[:32]
        return self.cache_dir / f"{key}.wav"

    def render(self, text: str, lang: Lang, amplitude: int = DEFAULT_AMPLITUDE) -> Path:
        """The WAV file speaking ``text`` in ``lang`` (blocking; run it in a thread)."""
        if not 0 <= amplitude <= 200:
            raise ValueError(f"amplitude must be 0..200, got {amplitude}")
        path = self.path_for(text, lang, amplitude)
        if path.exists():
            return path
        executable = shutil.which(self.program)
        if executable is None:
            raise SpeechError(f"{self.program} is not installed (apt-get install espeak-ng)")
        voice = VOICES[lang]
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(suffix=".wav.tmp", dir=self.cache_dir)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            subprocess.run(
                [executable, "-v", voice, "-s", str(_WORDS_PER_MINUTE), "-a", str(amplitude),
                 "-w", str(tmp), "--", text],
                check=True, capture_output=True, timeout=_RENDER_TIMEOUT_S,
            )
            if tmp.stat().st_size <= _EMPTY_WAV_BYTES:
                raise SpeechError(f"{self.program} produced no audio for voice {voice}")
            tmp.replace(path)  # atomic: a concurrent reader sees the whole file or none
        except subprocess.CalledProcessError as err:
            raise SpeechError(
                f"{self.program} failed: {err.stderr.decode(errors='replace')[:200]}") from err
        except subprocess.TimeoutExpired as err:
            raise SpeechError(f"{self.program} timed out") from err
        finally:
            tmp.unlink(missing_ok=True)
        self.prune()
        return path

    def prune(self) -> None:
        """Keep the cache bounded: drop the oldest files beyond the limit."""
        files = list(self.cache_dir.glob("*.wav"))
        if len(files) <= self.limit:
            return
        try:
            files.sort(key=lambda f: f.stat().st_mtime)
        except FileNotFoundError:
            return  # another request is pruning at the same moment
        for old in files[: len(files) - self.limit]:
            old.unlink(missing_ok=True)
        log.info("voice cache pruned to %d files", self.limit)
