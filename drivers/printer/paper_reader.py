"""Read ticket numbers off printed raster images, as the customer does: for the virtual printer.

In raster mode the kiosk draws the called number ("A023") with the TrueType font as an image, so
the printer receives dots, not characters. This reader finds lines of ink in such an image and
reads them left to right against the font's capital letters and digits drawn at the same size.
A line is read only if every character matches closely; anything else (Chinese, a QR code, a
logo) is not text to this reader and yields nothing.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from branchq.drivers.printer.raster import BASE_DOTS, bold_stroke

CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: Largest share of differing dots (per inked dot drawn) for a character to count as read.
MAX_MISMATCH = 0.2
#: Ticket numbers are short; a longer line is not one.
MAX_CHARS = 8
#: Lines smaller than this (dots) are left alone: small text is printed as text anyway.
MIN_HEIGHT = 32


def read_lines(image: Image.Image, font_path: Path) -> list[str]:
    """The lines of capital letters and digits drawn in ``image`` (mode "1", black ink)."""
    ink = ~np.asarray(image.convert("1"), dtype=bool)
    lines = []
    for top, bottom in _runs(np.asarray(ink.any(axis=1))):
        if bottom - top >= MIN_HEIGHT:
            text = _read_line(_crop(ink[top:bottom]), font_path)
            if text:
                lines.append(text)
    return lines


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Start and end of each run of True in a 1-D mask."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _read_line(line: np.ndarray, font_path: Path) -> str:
    """Try each raster size the line's height allows; the one that reads it wins."""
    for size in _sizes(line.shape[0], font_path):
        text = _read_at(line, font_path, size)
        if text:
            return text
    return ""


def _read_at(line: np.ndarray, font_path: Path, size: int) -> str:
    """Left to right: the character whose drawing, after what was read so far, matches the ink.

    Drawing the whole prefix (not glyph by glyph) keeps the font's own spacing, so glyphs that
    touch ("T0") are still read."""
    text = ""
    while len(text) < MAX_CHARS:
        done = _drawn(font_path, text, size).shape[1] if text else 0
        scores = {ch: _mismatch(line, _drawn(font_path, text + ch, size), done)
                  for ch in CHARSET}
        best = min(scores, key=scores.__getitem__)
        if scores[best] > MAX_MISMATCH:
            return ""
        text += best
        if _drawn(font_path, text, size).shape[1] >= line.shape[1] - 1:
            return text
    return ""


def _sizes(height: int, font_path: Path) -> list[int]:
    """Raster sizes (24 dots times 1..8) whose capitals are as tall as ``height`` or a little
    shorter (J and Q reach below the others), closest first."""
    caps = {BASE_DOTS * s: _drawn(font_path, "H", BASE_DOTS * s).shape[0] for s in range(1, 9)}
    fitting = [size for size, cap in caps.items() if cap - 2 <= height <= cap * 1.3 + 2]
    return sorted(fitting, key=lambda size: abs(caps[size] - height))


def _crop(ink: np.ndarray) -> np.ndarray:
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _mismatch(line: np.ndarray, drawn: np.ndarray, start: int) -> float:
    """Differing dots between the line and the drawn prefix, aligned at the top left, in the
    columns the prefix's last character added (from ``start``), per dot it inked there."""
    height = min(line.shape[0], drawn.shape[0])
    width = min(line.shape[1], drawn.shape[1])
    if drawn.shape[1] > line.shape[1] + 2:
        return 1.0
    start = max(0, start - 2)  # touching glyphs share a column or two
    a, b = line[:height, start:width], drawn[:height, start:width]
    return float(np.count_nonzero(a != b)) / max(1, int(np.count_nonzero(b)))


@lru_cache(maxsize=1024)
def _drawn(font_path: Path, text: str, size: int) -> np.ndarray:
    """``text`` drawn bold at ``size`` as render_band draws it, cropped to its ink (a copy: a
    view would keep the whole canvas alive in the cache, 35 MB after a dozen tickets)."""
    font = ImageFont.truetype(str(font_path), size)
    canvas = Image.new("L", (round(font.getlength(text)) + size, size * 2), 255)
    ImageDraw.Draw(canvas).text((size // 2, size // 2), text, font=font, fill=0,
                                stroke_width=bold_stroke(size), stroke_fill=0)
    return _crop(np.asarray(canvas) < 128).copy()
