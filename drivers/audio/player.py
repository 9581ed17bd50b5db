"""Playing WAV files through ALSA with ``aplay`` (Debian's alsa-utils).

One sound at a time: a new one stops the one still playing, as a customer who presses the next
button wants to hear that button, not the end of the last sentence. Playback runs in its own
process, so ``play`` returns at once and the kiosk's loop never waits for a sentence to end; a
sound that failed (no such device, device busy) is reported by the next ``play``.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Protocol

from .errors import PlaybackError
from .wav import seconds

log = logging.getLogger("branchq.drivers.audio")

#: An ALSA PCM name as aplay -D takes it: "default", "plughw:1,0", "sysdefault:CARD=Headphones".
PCM_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_:,.=-]{0,63}$"
_STOP_TIMEOUT_S = 2.0


class Speaker(Protocol):
    """What plays sound: the ALSA player, or its virtual twin in simulation and tests."""

    def play(self, path: Path) -> None:
        """Start playing ``path`` (a WAV file), stopping whatever still plays."""

    def stop(self) -> None:
        """Stop the sound now (nothing happens when none plays)."""

    def close(self) -> None:
        """Stop and release the device."""


class AlsaPlayer:
    """Plays through ``aplay -D <device>``; PlaybackError names what is missing."""

    def __init__(self, device: str = "default", program: str = "aplay") -> None:
        if not re.fullmatch(PCM_PATTERN, device):
            raise ValueError(f"not an ALSA PCM name: {device!r}")
        self.device = device
        self.program = program
        self._lock = threading.Lock()
        self._playing: subprocess.Popen[bytes] | None = None

    def play(self, path: Path) -> None:
        """Start ``path``; PlaybackError if it cannot start, or if the last sound failed."""
        seconds(path)  # a file that is not a WAV is refused here, not garbled on the speaker
        executable = shutil.which(self.program)
        if executable is None:
            raise PlaybackError(f"{self.program} is not installed (apt-get install alsa-utils)")
        with self._lock:
            failure = self._stop_locked()
            if failure:
                raise PlaybackError(failure)
            try:
                self._playing = subprocess.Popen(
                    [executable, "-q", "-D", self.device, "--", str(path)],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            except OSError as err:
                raise PlaybackError(f"{self.program} could not start: {err}") from err

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    def close(self) -> None:
        self.stop()

    def _stop_locked(self) -> str:
        """Stop the sound playing; returns why the last one failed if it ended with an error."""
        proc, self._playing = self._playing, None
        if proc is None:
            return ""
        failure = ""
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        elif proc.returncode != 0 and proc.stderr is not None:
            detail = proc.stderr.read().decode(errors="replace").strip().splitlines()
            failure = f"{self.program} -D {self.device}: {' '.join(detail)[:200]}"
            log.warning("%s", failure)
        if proc.stderr is not None:
            proc.stderr.close()
        return failure
