"""Kiosk configuration: ``/etc/branchq/kiosk.toml``, validated at start.

The kiosk's own settings (``[kiosk]``, ``[screen]``, ``[voice]``) are checked here; each device
section (``[printer]``, ``[touch]``, ``[ledsign]``, ``[keypads]``, ``[cardreader]``) is handed to
its driver's own validator, so a technician gets one message naming the section and key that is
wrong.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import time
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import Field, ValidationError, model_validator

from branchq.drivers.audio.player import PCM_PATTERN
from branchq.drivers.cardreader.reader import CardReaderConfig
from branchq.drivers.keypad.config import KeypadBusConfig
from branchq.drivers.ledsign.config import SignConfig
from branchq.drivers.platform.config import StrictModel
from branchq.drivers.printer.config import PrinterConfig
from branchq.drivers.touch.config import TouchConfig

DEFAULT_PATH = Path("/etc/branchq/kiosk.toml")


class KioskConfigError(Exception):
    """The kiosk configuration is missing or invalid; the message names section and key."""


class KioskSettings(StrictModel):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,31}$")] = "entrance"
    host_url: str = "http://127.0.0.1:8000"
    # The kiosk's credential (role "kiosk"), one line in a root-only file; never in this file.
    token_file: Path = Path("/etc/branchq/kiosk.token")
    # A keypad-gateway credential acting for the counters on the keypad bus (optional).
    keypad_token_file: Path | None = None
    # Key for hashing VIP card numbers (HMAC); raw bytes in a root-only file.
    card_key_file: Path | None = None
    state_dir: Path = Path("/var/lib/branchq")
    language: Literal["zh", "en"] = "zh"
    idle_timeout_s: Annotated[float, Field(ge=5, le=600)] = 30
    tickets_per_minute: Annotated[int, Field(ge=1, le=120)] = 12
    heartbeat_s: Annotated[float, Field(ge=1, le=300)] = 10
    http_timeout_s: Annotated[float, Field(gt=0, le=30)] = 3
    offline_lease_size: Annotated[int, Field(ge=0, le=500)] = 50


class ScreenSettings(StrictModel):
    width: Annotated[int, Field(ge=320, le=3840)] = 800
    height: Annotated[int, Field(ge=240, le=3840)] = 480
    # Physical width of the visible area, for touch targets of at least 15 mm.
    width_mm: Annotated[float, Field(gt=30, le=1000)] = 154
    framebuffer: Path = Path("/dev/fb0")
    sysfs: Path = Path("/sys/class/graphics/fb0")
    font_path: Path = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


_CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class VoiceSettings(StrictModel):
    """``[voice]``: spoken guidance through the kiosk's speaker (docs/kiosk-voice.md).

    Silent from ``quiet_from`` to ``quiet_until`` (branch time; the period may cross midnight):
    a kiosk left on at night does not talk to an empty lobby or to the cleaners."""

    enabled: bool = True
    # Percent of the synthesiser's range; 50 is espeak-ng's own loudness, above it loud vowels
    # clip (turn the speaker's own volume up instead).
    volume: Annotated[int, Field(ge=1, le=100)] = 50
    # The ALSA PCM for aplay -D: "default", or "plughw:1,0" for a USB speaker.
    device: Annotated[str, Field(pattern=PCM_PATTERN)] = "default"
    quiet_from: Annotated[str, Field(pattern=_CLOCK)] = "20:00"
    quiet_until: Annotated[str, Field(pattern=_CLOCK)] = "08:00"

    @model_validator(mode="after")
    def _a_real_period(self) -> Self:
        if self.quiet_from == self.quiet_until:
            raise ValueError("quiet_from and quiet_until are the same time: give the night's "
                             "quiet period, or enabled = false for no voice at all")
        return self

    @property
    def amplitude(self) -> int:
        """espeak-ng's ``-a`` (0-200)."""
        return 2 * self.volume

    def speaks_at(self, local: time) -> bool:
        """Whether the kiosk speaks at ``local`` (branch time)."""
        if not self.enabled:
            return False
        start, end = time.fromisoformat(self.quiet_from), time.fromisoformat(self.quiet_until)
        quiet = start <= local < end if start < end else (local >= start or local < end)
        return not quiet


@dataclass(frozen=True)
class KioskConfig:
    kiosk: KioskSettings
    screen: ScreenSettings
    printer: PrinterConfig
    touch: TouchConfig
    ledsign: SignConfig | None
    keypads: KeypadBusConfig | None
    cardreader: CardReaderConfig | None
    voice: VoiceSettings = VoiceSettings()

    def read_secret(self, path: Path | None, what: str) -> bytes | None:
        """Read a credential or key file; a clear error when it is missing or unreadable."""
        if path is None:
            return None
        try:
            value = path.read_bytes().strip()
        except OSError as err:
            raise KioskConfigError(f"{what} file {path}: {err.strerror}") from err
        if not value:
            raise KioskConfigError(f"{what} file {path} is empty")
        return value


_SECTIONS = {"kiosk", "screen", "printer", "touch", "ledsign", "keypads", "cardreader", "voice"}


def _section(name: str, build: Any, raw: dict[str, Any]) -> Any:
    try:
        return build(raw)
    except (ValueError, TypeError) as err:  # each driver's config error derives from these
        raise KioskConfigError(f"[{name}] {err}") from err
    except Exception as err:  # a driver-specific config error type
        if type(err).__name__.endswith("ConfigError"):
            raise KioskConfigError(f"[{name}] {err}") from err
        raise


def parse_kiosk_config(text: str, source: str = "kiosk.toml") -> KioskConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise KioskConfigError(f"{source}: not valid TOML: {err}") from err
    unknown = set(data) - _SECTIONS
    if unknown:
        raise KioskConfigError(f"{source}: unknown section(s) {sorted(unknown)}")
    for required in ("printer", "touch"):
        if required not in data:
            raise KioskConfigError(f"{source}: missing section [{required}]")
    try:
        kiosk = KioskSettings.model_validate(data.get("kiosk", {}))
        screen = ScreenSettings.model_validate(data.get("screen", {}))
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        section = "kiosk" if err.title == "KioskSettings" else "screen"
        raise KioskConfigError(f"{source}: [{section}] {where}: {first['msg']}") from err
    touch_raw = {"width": screen.width, "height": screen.height, **data["touch"]}
    try:
        return KioskConfig(
            kiosk=kiosk,
            screen=screen,
            printer=_section("printer", PrinterConfig.from_mapping, data["printer"]),
            touch=_section("touch", TouchConfig.from_mapping, touch_raw),
            ledsign=_section("ledsign", SignConfig.from_mapping, data["ledsign"])
            if "ledsign" in data else None,
            keypads=_section("keypads", KeypadBusConfig.from_mapping, data["keypads"])
            if "keypads" in data else None,
            cardreader=_section("cardreader", CardReaderConfig.from_mapping, data["cardreader"])
            if "cardreader" in data else None,
            voice=_section("voice", _voice_settings, data.get("voice", {})),
        )
    except KioskConfigError as err:
        raise KioskConfigError(f"{source}: {err}") from err


def _voice_settings(raw: dict[str, Any]) -> VoiceSettings:
    return VoiceSettings.from_section(raw, KioskConfigError, "voice settings")


def example_kiosk_config_text() -> str:
    return resources.files("branchq.kiosk").joinpath("example-kiosk.toml").read_text(encoding="utf-8")


def load_kiosk_config(path: str | Path | None) -> KioskConfig:
    """Load ``path``, or the bundled example (simulation) when ``path`` is None."""
    if path is None:
        return parse_kiosk_config(example_kiosk_config_text(), "bundled example kiosk")
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as err:
        raise KioskConfigError(f"{file}: cannot read: {err.strerror}") from err
    return parse_kiosk_config(text, str(file))
