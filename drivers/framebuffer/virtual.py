"""A framebuffer in a file plus a fake sysfs folder: the twin the kiosk's simulation draws into."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from .device import Framebuffer
from .geometry import Geometry
from .pixels import from_rows

if TYPE_CHECKING:
    import numpy as np

PADDING_BYTE = 0xA5  # fills line padding so a test can see it was left alone


class VirtualFramebuffer:
    """Creates ``<folder>/fb0`` and ``<folder>/sysfs/{virtual_size,bits_per_pixel,stride}``."""

    def __init__(
        self, folder: str | Path, width: int, height: int, bits_per_pixel: int = 32,
        stride: int | None = None,
    ) -> None:
        self.geometry = Geometry(width, height, bits_per_pixel,
                                 stride or width * bits_per_pixel // 8)
        root = Path(folder)
        self.device = root / "fb0"
        self.sysfs = root / "sysfs"
        self.sysfs.mkdir(parents=True, exist_ok=True)
        (self.sysfs / "virtual_size").write_text(f"{width},{height}\n")
        (self.sysfs / "bits_per_pixel").write_text(f"{bits_per_pixel}\n")
        (self.sysfs / "stride").write_text(f"{self.geometry.stride}\n")
        self.device.write_bytes(bytes([PADDING_BYTE]) * self.geometry.size)

    def framebuffer(self) -> Framebuffer:
        return Framebuffer(self.device, self.sysfs)

    def rows(self) -> np.ndarray:
        import numpy as np  # the package's __init__ imports this module: numpy only when read

        geo = self.geometry
        data = np.frombuffer(self.device.read_bytes(), dtype=np.uint8)
        return data[: geo.size].reshape(geo.height, geo.stride)

    def snapshot(self) -> Image.Image:
        """What the screen shows now, as an RGB image."""
        geo = self.geometry
        return from_rows(self.rows(), geo.width, geo.bits_per_pixel)

    def padding(self) -> bytes:
        """The bytes past each line's pixels, all lines concatenated."""
        geo = self.geometry
        return self.rows()[:, geo.width * geo.bytes_per_pixel :].tobytes()
