"""The card reader / QR scanner driver: grabbed keyboard wedge -> keyed card digests or text."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import evdev
from evdev import InputDevice, InputEvent
from pydantic import Field

from ..evdev_records import DeviceEventSource, EvdevSourceError, EventSource
from ..platform.config import StrictModel
from .errors import CardDataError, CardReaderConfigError, CardReaderDeviceError
from .keystrokes import KeystrokeDecoder
from .track2 import card_number, looks_like_magstripe

log = logging.getLogger(__name__)
wire = logging.getLogger("branchq.wire.cardreader")

MIN_KEY_BYTES = 16


@dataclass(frozen=True)
class CardRead:
    """One completed read. ``digest`` (cards) = HMAC-SHA256(branch key, card number), hex;
    ``text`` (QR codes and barcodes) = what was scanned. The card number itself is never here."""

    kind: Literal["card", "text"]
    digest: str | None = None
    text: str | None = None


class CardReaderConfig(StrictModel):
    """``device``: udev's stable name; ``name``: else the first input device with this name.
    ``timeout_s``: the longest gap between two keys of one read (scanners type in a few ms);
    ``max_length``: at least a track 2 (20 characters)."""

    device: str = "/dev/input/branchq-cardreader"
    name: str | None = None
    timeout_s: Annotated[float, Field(gt=0, le=10)] = 0.5
    max_length: Annotated[int, Field(ge=20)] = 512

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> CardReaderConfig:
        return cls.from_section(data, CardReaderConfigError, "card reader settings")


class CardReader:
    """Feed key events (from any EventSource), get :class:`CardRead` results."""

    def __init__(
        self,
        branch_key: bytes,
        config: CardReaderConfig | None = None,
        held_keys: Callable[[], set[int]] | None = None,
    ) -> None:
        if not isinstance(branch_key, bytes) or len(branch_key) < MIN_KEY_BYTES:
            raise CardReaderConfigError(f"the branch key must be at least {MIN_KEY_BYTES} bytes")
        self.config = config or CardReaderConfig()
        self._key = branch_key
        self._keys = KeystrokeDecoder(self.config.timeout_s, self.config.max_length, held_keys)
        self._clock_offset: float | None = None

    def __repr__(self) -> str:
        return "<CardReader>"

    @classmethod
    def open(
        cls, branch_key: bytes, config: CardReaderConfig | None = None
    ) -> tuple[CardReader, DeviceEventSource]:
        """Open and grab the reader so its keystrokes reach no console or other program."""
        config = config or CardReaderConfig()
        device = find_card_reader(config)
        try:
            reader = cls(branch_key, config, lambda: set(device.active_keys()))
            return reader, DeviceEventSource(device, grab=True)
        except EvdevSourceError as err:
            device.close()
            raise CardReaderDeviceError(str(err)) from err

    def feed(self, event: InputEvent) -> CardRead | None:
        self._clock_offset = event.timestamp() - time.monotonic()
        line = self._keys.feed(event)
        if line is None:
            return None
        try:
            return self._classify(line)
        except CardDataError as err:
            log.warning("card reader: %s", err)
            return None

    def feed_all(self, events: Iterable[InputEvent]) -> list[CardRead]:
        return [read for event in events if (read := self.feed(event)) is not None]

    def tick(self) -> None:
        """Time out a partial read while the reader is silent."""
        if self._clock_offset is not None:
            self._keys.tick(time.monotonic() + self._clock_offset)

    def poll(self, source: EventSource, timeout: float) -> list[CardRead]:
        try:
            events = source.read(timeout)
        except EvdevSourceError as err:
            self._keys.discard("reader gone")
            raise CardReaderDeviceError(f"card reader: {err}") from err
        reads = self.feed_all(events)
        self.tick()
        return reads

    def _classify(self, line: str) -> CardRead:
        if looks_like_magstripe(line):
            digest = card_digest(self._key, card_number(line))
            wire.debug("card reader: card swipe, %d characters", len(line))
            return CardRead("card", digest=digest)
        wire.debug("card reader: text scan, %d characters", len(line))
        return CardRead("text", text=line)


def card_digest(branch_key: bytes, number: str) -> str:
    """HMAC-SHA256 of a card number with the branch key: what leaves the kiosk instead of it."""
    return hmac.new(branch_key, number.encode(), hashlib.sha256).hexdigest()


def find_card_reader(config: CardReaderConfig) -> InputDevice[str]:
    """The udev-named node, else (when ``name`` is set) the first device with that name."""
    try:
        if os.path.exists(config.device):
            return InputDevice(config.device)
        if config.name:
            for path in evdev.list_devices():
                device = InputDevice(path)
                if device.name == config.name:
                    return device
                device.close()
    except OSError as err:
        raise CardReaderDeviceError(
            f"cannot open the card reader: {err} (is the service user in group 'input'?)"
        ) from err
    raise CardReaderDeviceError(
        f"no card reader: {config.device} does not exist (see udev/README.md)"
        + (f" and no input device is named {config.name!r}" if config.name else "")
    )
