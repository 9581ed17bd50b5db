"""WAV files as the synthesiser writes them (PCM, mono): their length, and several in one."""

from __future__ import annotations

import os
import tempfile
import wave
from collections.abc import Sequence
from pathlib import Path

from .errors import PlaybackError


def seconds(path: Path) -> float:
    """How long ``path`` plays; PlaybackError when it is not a readable WAV file."""
    try:
        with wave.open(str(path), "rb") as wav:
            return wav.getnframes() / wav.getframerate()
    except (OSError, EOFError, wave.Error) as err:
        raise PlaybackError(f"{path}: not a playable WAV file ({err})") from err


def concatenate(parts: Sequence[Path], out: Path, pause_s: float = 0.25) -> Path:
    """Write ``parts`` one after another into ``out`` with ``pause_s`` of silence between them
    (atomically). They must share one format, as one synthesiser's files do."""
    if not parts:
        raise ValueError("nothing to concatenate")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(suffix=".wav.tmp", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with wave.open(str(tmp), "wb") as sink:
            params = None
            for i, part in enumerate(parts):
                try:
                    with wave.open(str(part), "rb") as source:
                        frames = source.readframes(source.getnframes())
                        these = source.getparams()
                except (OSError, EOFError, wave.Error) as err:
                    raise PlaybackError(f"{part}: not a readable WAV file ({err})") from err
                if params is None:
                    params = these
                    sink.setparams(these)
                elif these[:3] != params[:3]:
                    raise PlaybackError(f"{part}: format {these[:3]} differs from {params[:3]}")
                if i:
                    silence = round(pause_s * params.framerate)
                    sink.writeframes(b"\0" * silence * params.sampwidth * params.nchannels)
                sink.writeframes(frames)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
