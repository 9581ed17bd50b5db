"""The framebuffer's shape as the kernel describes it in sysfs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import FramebufferConfigError

SUPPORTED_BPP = (16, 32)


@dataclass(frozen=True)
class Geometry:
    """``width``/``height`` from ``virtual_size``; ``stride`` = bytes per line (may include
    padding past ``width * bytes_per_pixel``)."""

    width: int
    height: int
    bits_per_pixel: int
    stride: int

    @property
    def bytes_per_pixel(self) -> int:
        return self.bits_per_pixel // 8

    def __post_init__(self) -> None:
        if self.bits_per_pixel not in SUPPORTED_BPP:
            raise FramebufferConfigError(
                f"{self.bits_per_pixel} bits per pixel is not supported (only 16 = RGB565 and"
                " 32 = XRGB8888); set framebuffer_depth in config.txt or the KMS mode"
            )
        if self.width <= 0 or self.height <= 0:
            raise FramebufferConfigError(f"empty framebuffer {self.width}x{self.height}")
        if self.stride < self.width * self.bytes_per_pixel:
            raise FramebufferConfigError(
                f"stride {self.stride} is shorter than a line of {self.width} pixels"
            )

    @property
    def size(self) -> int:
        return self.stride * self.height

    @classmethod
    def from_sysfs(cls, sysfs: str | Path) -> Geometry:
        folder = Path(sysfs)
        try:
            width, height = (int(v) for v in _read(folder / "virtual_size").split(","))
            bpp = int(_read(folder / "bits_per_pixel"))
            stride = int(_read(folder / "stride"))
        except OSError as err:
            raise FramebufferConfigError(f"cannot read framebuffer description: {err}") from err
        except ValueError as err:
            raise FramebufferConfigError(f"unreadable framebuffer description in {folder}") from err
        return cls(width, height, bpp, stride)


def _read(path: Path) -> str:
    return path.read_text(encoding="ascii").strip()
