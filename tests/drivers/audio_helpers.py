"""Listening to WAV files with SoX (``sox FILE -n stat``), as a technician would."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

#: Quieter than this at its loudest sample is silence (full scale is 1.0).
AUDIBLE_PEAK = 0.05


def sox_stat(path: Path) -> dict[str, float]:
    """SoX's statistics of ``path``: "Length (seconds)", "Maximum amplitude", "RMS amplitude"..."""
    result = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True,
                            check=True, timeout=30)
    stats: dict[str, float] = {}
    for line in result.stderr.splitlines():  # sox writes its statistics to stderr
        name, _, value = line.partition(":")
        try:
            stats[" ".join(name.split())] = float(value)
        except ValueError:
            continue
    return stats


def assert_audible(path: Path, min_seconds: float, max_seconds: float = 60.0) -> dict[str, float]:
    stats = sox_stat(path)
    assert min_seconds <= stats["Length (seconds)"] <= max_seconds, (path, stats)
    assert stats["Maximum amplitude"] >= AUDIBLE_PEAK, (path, "silent", stats)
    return stats


def write_silence(path: Path, rate: int, frames: int) -> Path:
    """A mono 16-bit WAV of ``frames`` silent samples at ``rate`` Hz."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * frames)
    return path
