"""Pillow images to framebuffer pixel bytes (one row of bytes per image row)."""

from __future__ import annotations

import numpy as np
from PIL import Image


def to_rows(image: Image.Image, bits_per_pixel: int) -> np.ndarray:
    """A ``(height, width * bytes_per_pixel)`` uint8 array in the framebuffer's pixel format.

    32 bpp is XRGB8888, little-endian in memory: B, G, R, X. 16 bpp is RGB565, little-endian.
    """
    if bits_per_pixel == 32:
        data = image.convert("RGBX").tobytes("raw", "BGRX")
        return np.frombuffer(data, dtype=np.uint8).reshape(image.height, image.width * 4)
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint16)
    packed = ((rgb[..., 0] >> 3) << 11) | ((rgb[..., 1] >> 2) << 5) | (rgb[..., 2] >> 3)
    return packed.astype("<u2").view(np.uint8).reshape(image.height, image.width * 2)


def from_rows(rows: np.ndarray, width: int, bits_per_pixel: int) -> Image.Image:
    """The inverse of :func:`to_rows` (RGB565 is expanded by bit replication)."""
    height = rows.shape[0]
    if bits_per_pixel == 32:
        data = np.ascontiguousarray(rows[:, : width * 4]).tobytes()
        return Image.frombytes("RGB", (width, height), data, "raw", "BGRX")
    packed = np.ascontiguousarray(rows[:, : width * 2]).view("<u2").astype(np.uint16)
    r5, g6, b5 = packed >> 11, (packed >> 5) & 0x3F, packed & 0x1F
    rgb = np.stack([(r5 << 3) | (r5 >> 2), (g6 << 2) | (g6 >> 4), (b5 << 3) | (b5 >> 2)], axis=-1)
    return Image.fromarray(rgb.astype(np.uint8), "RGB")
