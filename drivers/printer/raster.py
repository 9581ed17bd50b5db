"""Text rendered with Pillow and a CJK font, packed as ``GS v 0`` raster bit images.

This is the default way to print Chinese: it needs no font ROM and no Chinese mode in the printer.
Each band is exactly the printable width, so alignment is done in the image, not by ``ESC a``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

#: Base glyph height in dots, the size of an ESC/POS font A CJK character (24x24).
BASE_DOTS = 24
#: ``GS v 0`` allows up to 2303 rows; printers buffer less, so long images go in slices.
MAX_ROWS_PER_COMMAND = 960


@dataclass(frozen=True)
class RasterLine:
    """One line of text to draw: scale multiplies the 24-dot base size."""

    text: str
    scale: int = 1
    bold: bool = False
    align: str = "left"


@lru_cache(maxsize=32)
def cjk_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def text_width(text: str, font_path: Path, scale: int) -> float:
    """Width in dots of ``text`` drawn at ``scale``."""
    return cjk_font(font_path, BASE_DOTS * scale).getlength(text)


def render_band(lines: list[RasterLine], width_dots: int, font_path: Path) -> Image.Image:
    """Draw lines one under another on a white band ``width_dots`` wide (mode "1", black ink)."""
    heights = [BASE_DOTS * line.scale + 4 * line.scale for line in lines]
    band = Image.new("L", (width_dots, max(1, sum(heights))), 255)
    draw = ImageDraw.Draw(band)
    y = 0
    for line, height in zip(lines, heights, strict=True):
        font = cjk_font(font_path, BASE_DOTS * line.scale)
        width = font.getlength(line.text)
        x = {"left": 0, "center": (width_dots - width) / 2, "right": width_dots - width}[line.align]
        draw.text((max(0, x), y + 2 * line.scale), line.text, font=font, fill=0,
                  stroke_width=1 if line.bold else 0, stroke_fill=0)
        y += height
    return band.point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)


def raster_command(image: Image.Image) -> bytes:
    """``GS v 0`` commands (normal density) for a mode "1" image, sliced to printer limits."""
    ink = ~np.asarray(image.convert("1"), dtype=bool)  # True where the paper turns black
    height, width = ink.shape
    width_bytes = (width + 7) // 8
    packed = np.packbits(ink, axis=1)  # MSB = leftmost dot, rows padded to whole bytes
    out = bytearray()
    for top in range(0, height, MAX_ROWS_PER_COMMAND):
        rows = packed[top : top + MAX_ROWS_PER_COMMAND]
        out += b"\x1dv0\x00" + width_bytes.to_bytes(2, "little") + len(rows).to_bytes(2, "little")
        out += rows.tobytes()
    return bytes(out)
