"""Layout elements to ESC/POS bytes, for the configured profile and Chinese mode.

python-escpos builds what it builds correctly (``set``, ASCII text, native QR, cut), on its
``Dummy`` backend so the bytes can be measured and tested before any link is touched. Three things
are written here instead, because python-escpos gets them wrong for us (docs/architecture.md §5):

* Chinese: python-escpos sends GB18030 with no mode command. ``text`` mode wraps it in
  ``FS &`` ... ``FS .``; ``raster`` mode draws it with Pillow (see :mod:`branchq.drivers.printer.raster`).
* Raster images: python-escpos ``image()`` prints to stdout for profiles without a pixel width and
  refuses images wider than the profile; we size images to the configured paper ourselves.
* No cutter: we feed instead of cutting, based on ``has_cutter``, not on whatever the profile says.

python-escpos is imported when the first slip is built, not with this module: importing it loads
its capability database (a YAML parse, 0.2-0.3 s) and qrcode, which the kiosk's start, up to its
first frame, does not need.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from branchq.drivers.printer.config import PrinterConfig
from branchq.drivers.printer.layout import DOTS_PER_COLUMN, Element, Line, QrCode, Rule
from branchq.drivers.printer.raster import RasterLine, raster_command, render_band, text_width
from branchq.drivers.printer.textwrap_cjk import cells, is_plain_ascii, wrap

if TYPE_CHECKING:
    from escpos.printer import Dummy

INIT = b"\x1b@"
KANJI_ON = b"\x1c&"  # FS &
KANJI_OFF = b"\x1c."  # FS .


class TicketEncoder:
    """Builds the complete byte stream for one slip."""

    def __init__(self, config: PrinterConfig) -> None:
        self._config = config
        self._width = config.width_dots

    def encode(self, elements: Sequence[Element]) -> bytes:
        """Bytes for ``elements``: init, content, then cut (or feed when there is no cutter)."""
        from escpos.printer import Dummy

        out = Dummy(profile=self._config.profile)
        out._raw(INIT)
        pending: list[RasterLine] = []  # consecutive raster lines go out as one image
        for element in elements:
            if isinstance(element, Line):
                element = self._fit(element)
            if isinstance(element, Line) and self._needs_raster(element):
                pending += self._raster_lines(element)
                continue
            self._flush_raster(out, pending)
            if isinstance(element, Line):
                self._text(out, element)
            elif isinstance(element, QrCode):
                self._qr(out, element)
            elif isinstance(element, Rule):
                out.set(align="left", bold=False, custom_size=True, width=1, height=1)
                out.text("-" * (self._width // DOTS_PER_COLUMN) + "\n")
        self._flush_raster(out, pending)
        out.set(align="left", bold=False, custom_size=True, width=1, height=1)
        if self._config.has_cutter:
            out.cut()
        else:
            out.print_and_feed(self._config.feed_lines)
        data: bytes = out.output  # python-escpos is untyped
        return data

    def _fits(self, text: str, scale: int, raster: bool, bold: bool = False) -> bool:
        if raster:
            return text_width(text, self._config.font_path, scale, bold) <= self._width
        return cells(text) * DOTS_PER_COLUMN * scale <= self._width

    def _fit(self, line: Line) -> Line:
        """Shrink an enlarged line until it fits on one line: a heading reads better unbroken."""
        raster = self._needs_raster(line)
        scale = line.scale
        while scale > 1 and not self._fits(line.text, scale, raster, line.bold):
            scale -= 1
        return replace(line, scale=scale)

    def _needs_raster(self, line: Line) -> bool:
        return self._config.chinese_mode == "raster" and (line.display
                                                           or not is_plain_ascii(line.text))

    def _raster_lines(self, line: Line) -> list[RasterLine]:
        pieces = wrap(line.text, lambda s: self._fits(s, line.scale, True, line.bold))
        return [RasterLine(p, line.scale, line.bold, line.align) for p in pieces]

    def _flush_raster(self, out: Dummy, pending: list[RasterLine]) -> None:
        if not pending:
            return
        # Every text line above ended with LF, so the print buffer is empty: GS v 0 is not ignored.
        out.set(align="left")
        out._raw(raster_command(render_band(pending, self._width, self._config.font_path)))
        pending.clear()

    def _text(self, out: Dummy, line: Line) -> None:
        out.set(align=line.align, bold=line.bold, custom_size=True,
                width=line.scale, height=line.scale)
        for piece in wrap(line.text, lambda s: self._fits(s, line.scale, raster=False)):
            if is_plain_ascii(piece):
                out.text(piece + "\n")
            else:
                out._raw(KANJI_ON + piece.encode("gb18030", errors="replace") + KANJI_OFF + b"\n")

    def _qr(self, out: Dummy, qr: QrCode) -> None:
        from escpos.constants import QR_ECLEVEL_M

        # python-escpos refuses center=True for native QR; ESC a at line start centres it instead.
        out.set(align="center")
        out.qr(qr.data, ec=QR_ECLEVEL_M, size=qr.module, native=True)
        out.text("\n")
        out.set(align="left")
