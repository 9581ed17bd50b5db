"""Printer configuration, validated at start-up.

Units are in the field names (``_ms``, ``_s``, ``_mm``). Unknown keys are rejected, so a typo in the
kiosk's config file fails loudly instead of silently using a default.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from PIL import ImageFont
from pydantic import Field, field_validator, model_validator

from branchq.drivers.platform.config import StrictModel
from branchq.drivers.printer.errors import PrinterConfigError

DEFAULT_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

#: Printable width in dots (203 dpi heads) for each paper width we support.
DOTS_FOR_PAPER_MM = {58: 384, 80: 576}

#: A profile's own paper width may differ from ours by this much (it often states the printable
#: width, 72 mm for 80 mm paper) before we call the pair inconsistent.
_PROFILE_WIDTH_TOLERANCE_MM = 10.0

@lru_cache(maxsize=1)
def escpos_profiles() -> dict[str, dict[str, Any]]:
    """python-escpos's printer profiles by name, from its ``capabilities.json``.

    Read with the json module rather than by importing ``escpos.capabilities``, which parses the
    file with PyYAML on every import (its pickle cache sits in a new temporary folder for each
    process): 0.2-0.3 s on a PC and several times that on a Pi, at every kiosk start, against
    about a millisecond. Same file, found the same way (``$ESCPOS_CAPABILITIES_FILE`` first), so
    the validation and the encoder see the same profiles. Without python-escpos this raises
    ModuleNotFoundError naming ``escpos``, which ``branchq`` words as the missing kiosk extra.
    """
    override = os.environ.get("ESCPOS_CAPABILITIES_FILE")
    source = Path(override) if override else resources.files("escpos") / "capabilities.json"
    profiles: dict[str, dict[str, Any]] = json.loads(source.read_text(encoding="utf-8"))["profiles"]
    return profiles


def _usb_id(value: Any) -> Any:
    """Accept USB ids the way ``lsusb`` prints them ("0416") or as "0x0416" or an int."""
    if isinstance(value, str):
        return int(value, 16)
    return value


def serial_seconds(nbytes: int, baudrate: int, bits_per_char: int = 10) -> float:
    """Seconds to send ``nbytes`` at ``baudrate`` (8N1 = 10 bits a character with start/stop)."""
    return nbytes * bits_per_char / baudrate


class UsbBackend(StrictModel):
    """A USB printer found by vendor/product id (python-escpos ``Usb`` over pyusb)."""

    kind: Literal["usb"]
    vendor_id: Annotated[int, Field(ge=0, le=0xFFFF)]
    product_id: Annotated[int, Field(ge=0, le=0xFFFF)]
    in_ep: Annotated[int, Field(ge=0x81, le=0x8F)] = 0x82
    out_ep: Annotated[int, Field(ge=0x01, le=0x0F)] = 0x01
    #: pyusb treats 0 as "wait forever": a write then blocks for good when the cover is open.
    timeout_ms: Annotated[int, Field(gt=0, le=60_000)] = 5000

    _parse_ids = field_validator("vendor_id", "product_id", mode="before")(_usb_id)


class SerialBackend(StrictModel):
    """A serial (RS-232 or USB-serial) printer."""

    kind: Literal["serial"]
    path: str
    baudrate: Literal[2400, 4800, 9600, 19200, 38400, 57600, 115200] = 9600
    bytesize: Literal[7, 8] = 8
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1
    xonxoff: bool = False
    dsrdtr: bool = False
    write_timeout_s: Annotated[float, Field(gt=0, le=600)] = 60.0


def _bits_per_char(cfg: SerialBackend) -> int:
    return 1 + cfg.bytesize + (cfg.parity != "N") + cfg.stopbits


class NetworkBackend(StrictModel):
    """An Ethernet printer speaking raw ESC/POS on a TCP port (9100, "JetDirect")."""

    kind: Literal["network"]
    host: Annotated[str, Field(min_length=1)]
    port: Annotated[int, Field(ge=1, le=65535)] = 9100
    timeout_s: Annotated[float, Field(gt=0, le=600)] = 10.0


class FileBackend(StrictModel):
    """A printer device file such as ``/dev/usb/lp0`` (kernel usblp driver).

    ``read_status`` is true for a bidirectional device file. Set it false for a plain file or a
    write-only port: status is then reported as not verifiable instead of "offline".
    """

    kind: Literal["file"]
    path: str
    read_status: bool = True


Backend = Annotated[
    UsbBackend | SerialBackend | NetworkBackend | FileBackend, Field(discriminator="kind")
]


class PrinterConfig(StrictModel):
    """Everything the driver needs to know about one ticket printer."""

    backend: Backend
    #: A python-escpos capability profile name (``python-escpos`` ``capabilities.json``).
    profile: str = "default"
    paper_width_mm: Literal[58, 80] = 80
    has_cutter: bool = True
    chinese_mode: Literal["raster", "text"] = "raster"
    font_path: Path = DEFAULT_FONT
    #: How long to wait for the answer to one real-time status request.
    status_timeout_s: Annotated[float, Field(gt=0, le=10)] = 0.5
    #: After the bytes are sent, how long the printer may take to print them (plus, on a serial
    #: link, the time the bytes need on the wire) before the ticket counts as not printed.
    print_timeout_s: Annotated[float, Field(gt=0, le=120)] = 5.0
    #: Confirm printing with ``GS r 1``, answered only after everything before it was printed.
    #: Set false only for a printer that does not implement ``GS r``.
    confirm_printed: bool = True
    #: Blank lines fed after the last printed line, so the tear bar or cutter clears the text.
    feed_lines: Annotated[int, Field(ge=0, le=20)] = 4

    @field_validator("profile")
    @classmethod
    def _profile_known(cls, name: str) -> str:
        if name not in escpos_profiles():
            known = ", ".join(sorted(escpos_profiles()))
            raise ValueError(f"unknown python-escpos profile {name!r}; known profiles: {known}")
        return name

    @field_validator("font_path")
    @classmethod
    def _font_loads(cls, path: Path) -> Path:
        try:
            ImageFont.truetype(str(path), 24)
        except OSError as err:
            raise ValueError(
                f"cannot load font {path} ({err}); install fonts-wqy-microhei or set font_path"
            ) from err
        return path

    @model_validator(mode="after")
    def _profile_matches(self) -> PrinterConfig:
        media = self._profile_data().get("media", {}).get("width", {})
        profile_mm = media.get("mm")
        if isinstance(profile_mm, int | float) and (
            abs(profile_mm - self.paper_width_mm) > _PROFILE_WIDTH_TOLERANCE_MM
        ):
            raise ValueError(
                f"profile {self.profile!r} is for {profile_mm} mm paper but paper_width_mm is "
                f"{self.paper_width_mm}"
            )
        features = self._profile_data().get("features", {})
        if self.has_cutter and not (
            features.get("paperFullCut") or features.get("paperPartCut")
        ):
            raise ValueError(
                f"has_cutter is true but profile {self.profile!r} declares no cutter, so no cut "
                "command would be sent; pick a profile with a cutter or set has_cutter: false"
            )
        return self

    def _profile_data(self) -> dict[str, Any]:
        return escpos_profiles()[self.profile]

    @property
    def width_dots(self) -> int:
        """Printable width in dots: the paper's nominal width, narrowed if the profile says so."""
        nominal = DOTS_FOR_PAPER_MM[self.paper_width_mm]
        pixels = self._profile_data().get("media", {}).get("width", {}).get("pixels")
        if isinstance(pixels, int) and 0 < pixels < nominal:
            return pixels
        return nominal

    def wire_seconds(self, nbytes: int) -> float:
        """Time ``nbytes`` need on the link: only a serial line is slow enough to matter."""
        if isinstance(self.backend, SerialBackend):
            return serial_seconds(nbytes, self.backend.baudrate, _bits_per_char(self.backend))
        return 0.0

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> PrinterConfig:
        """Validate a config mapping (e.g. read from TOML); errors name the offending key."""
        return cls.from_section(data, PrinterConfigError, "printer config")
