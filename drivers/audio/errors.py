"""Exceptions of the audio driver, one per layer."""

from __future__ import annotations


class AudioError(Exception):
    """Base class: anything the audio driver raises."""


class SpeechError(AudioError):
    """Speech could not be rendered (synthesiser missing, failed or timed out)."""


class PlaybackError(AudioError):
    """A WAV file could not be played (player missing, no such ALSA device, not a WAV)."""
