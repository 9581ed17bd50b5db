"""Pillow images to framebuffer pixel bytes, and back (for the virtual twin).

numpy is imported only for RGB565 and for reading a framebuffer back: an XRGB8888 screen (the
Pi's default) is Pillow's own packing, and the kiosk's start does not wait for numpy's import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PIL import Image

if TYPE_CHECKING:
    import numpy as np


def to_pixels(image: Image.Image, bits_per_pixel: int) -> bytes:
    """The image in the framebuffer's pixel format, row after row (``width * bytes_per_pixel``
    bytes each, no padding).

    32 bpp is XRGB8888, little-endian in memory: B, G, R, X. 16 bpp is RGB565, little-endian.
    """
    if bits_per_pixel == 32:
        return image.convert("RGBX").tobytes("raw", "BGRX")
    import numpy as np

    rgb = np.asarray(image.convert("RGB"), dtype=np.uint16)
    packed = ((rgb[..., 0] >> 3) << 11) | ((rgb[..., 1] >> 2) << 5) | (rgb[..., 2] >> 3)
    return packed.astype("<u2").tobytes()


def from_rows(rows: np.ndarray, width: int, bits_per_pixel: int) -> Image.Image:
    """An image from framebuffer rows, the inverse of :func:`to_pixels` (RGB565 is expanded by
    bit replication)."""
    import numpy as np

    height = rows.shape[0]
    if bits_per_pixel == 32:
        data = np.ascontiguousarray(rows[:, : width * 4]).tobytes()
        return Image.frombytes("RGB", (width, height), data, "raw", "BGRX")
    packed = np.ascontiguousarray(rows[:, : width * 2]).view("<u2").astype(np.uint16)
    r5, g6, b5 = packed >> 11, (packed >> 5) & 0x3F, packed & 0x1F
    rgb = np.stack([(r5 << 3) | (r5 >> 2), (g6 << 2) | (g6 >> 4), (b5 << 3) | (b5 >> 2)], axis=-1)
    return Image.fromarray(rgb.astype(np.uint8), "RGB")
