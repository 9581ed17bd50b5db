"""Sound: speech rendered offline with espeak-ng (shared by the host's hall voice and the
kiosk's voice guidance), WAV files played through ALSA, and a virtual twin that keeps them."""

from .errors import AudioError, PlaybackError, SpeechError
from .player import AlsaPlayer, Speaker
from .speech import VOICES, Lang, SpeechCache, spoken_number
from .virtual import Played, VirtualSpeaker

__all__ = [
    "VOICES",
    "AlsaPlayer",
    "AudioError",
    "Lang",
    "Played",
    "PlaybackError",
    "Speaker",
    "SpeechCache",
    "SpeechError",
    "VirtualSpeaker",
    "spoken_number",
]
