"""The speaker's virtual twin: every sound it is asked to play is kept as a numbered WAV file,
with its length, for the simulated kiosk's preview and the tests (this machine has no sound
card). It reads the file as the ALSA player would, so a file aplay would refuse is refused here."""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from .wav import seconds


@dataclass(frozen=True)
class Played:
    path: Path  # the copy in the twin's folder, kept after the cache is pruned
    seconds: float


class VirtualSpeaker:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.played: list[Played] = []
        self.stops = 0
        self._lock = threading.Lock()

    def play(self, path: Path) -> None:
        length = seconds(path)
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            copy = self.folder / f"{len(self.played) + 1:04d}.wav"
            shutil.copyfile(path, copy)
            self.played.append(Played(copy, length))

    def stop(self) -> None:
        with self._lock:
            self.stops += 1

    def close(self) -> None:
        self.stop()
