"""Text rendered with Pillow and a CJK font, packed as ``GS v 0`` raster bit images.

This is the default way to print Chinese: it needs no font ROM and no Chinese mode in the printer.
Each band is exactly the printable width, so alignment is done in the image, not by ``ESC a``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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


def bold_stroke(size: int) -> int:
    """Outline width that makes text of ``size`` dots look bold (the font has no bold face)."""
    return max(1, size // 48)


def _extent(text: str, font: ImageFont.FreeTypeFont, stroke: int) -> tuple[float, float]:
    """Leftmost and rightmost dot of ``text`` drawn from x = 0: ink may start left of the pen
    (the hook of a large "J") or end right of the advance, and must stay on the paper."""
    left, _, right, _ = font.getbbox(text, anchor="la", stroke_width=stroke)
    return min(0.0, float(left)), max(float(right), font.getlength(text))


def text_width(text: str, font_path: Path, scale: int, bold: bool = False) -> float:
    """Width in dots of ``text`` drawn at ``scale``, from its leftmost to its rightmost dot."""
    size = BASE_DOTS * scale
    left, right = _extent(text, cjk_font(font_path, size), bold_stroke(size) if bold else 0)
    return right - left


def render_band(lines: list[RasterLine], width_dots: int, font_path: Path) -> Image.Image:
    """Draw lines one under another on a white band ``width_dots`` wide (mode "1", black ink)."""
    heights = [_line_height(line, font_path) for line in lines]
    band = Image.new("L", (width_dots, max(1, sum(heights))), 255)
    draw = ImageDraw.Draw(band)
    y = 0
    for line, height in zip(lines, heights, strict=True):
        font = cjk_font(font_path, BASE_DOTS * line.scale)
        stroke = bold_stroke(BASE_DOTS * line.scale) if line.bold else 0
        left, right = _extent(line.text, font, stroke)
        room = width_dots - (right - left)
        x = {"left": 0, "center": room / 2, "right": room}[line.align] - left
        draw.text((max(-left, x), y + 2 * line.scale), line.text, font=font, fill=0,
                  stroke_width=stroke, stroke_fill=0)
        y += height
    return band.point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)


def _line_height(line: RasterLine, font_path: Path) -> int:
    """Room for the line with its deepest descenders ("J", "g", "y"): they must not run into the
    line below, which on paper merges the two."""
    _, _, _, bottom = cjk_font(font_path, BASE_DOTS * line.scale).getbbox("国Jgy|", anchor="la")
    return max(BASE_DOTS * line.scale + 4 * line.scale, int(bottom) + 3 * line.scale)


def raster_command(image: Image.Image) -> bytes:
    """``GS v 0`` commands (normal density) for a mode "1" image, sliced to printer limits."""
    # Pillow's inverted 1-bit packing is GS v 0's: a set bit where the paper turns black, MSB the
    # leftmost dot, each row padded to whole bytes.
    packed = image.convert("1").tobytes("raw", "1;I")
    width_bytes = (image.width + 7) // 8
    out = bytearray()
    for top in range(0, image.height, MAX_ROWS_PER_COMMAND):
        rows = min(MAX_ROWS_PER_COMMAND, image.height - top)
        out += b"\x1dv0\x00" + width_bytes.to_bytes(2, "little") + rows.to_bytes(2, "little")
        out += packed[top * width_bytes : (top + rows) * width_bytes]
    return bytes(out)
