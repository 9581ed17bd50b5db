"""A virtual ESC/POS thermal printer: decodes the byte stream the way a printer would.

It answers real-time status requests (``DLE EOT n``) wherever they occur in the stream, inside image
or QR data too, as real printers do; it prints text (code pages via ``ESC t``, GB18030 between
``FS &`` and ``FS .``), character size, bold, alignment, ``GS v 0`` and ``GS ( L`` raster images,
``GS ( k`` QR codes (drawn as real, decodable QR symbols), feeds and cuts; and it renders the
paper to a PNG and to text lines. Faults can be injected: paper out, near end, cover open, error,
silent. Commands it cannot print are reported in :attr:`VirtualPrinter.unknown` and logged.
Numbers drawn as raster images are read back into the text lines (:mod:`.paper_reader`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from branchq.drivers.printer.config import DEFAULT_FONT, DOTS_FOR_PAPER_MM
from branchq.drivers.printer.escpos_stream import Command, EscposStreamParser
from branchq.drivers.printer.raster import cjk_font
from branchq.drivers.printer.textwrap_cjk import cells

log = logging.getLogger(__name__)

#: ESC t n -> Python codec, for the code pages Epson printers number the same way.
CODE_PAGES = {0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 13: "cp857",
              14: "cp737", 15: "iso8859_7", 16: "cp1252", 17: "cp866", 18: "cp852", 19: "cp858",
              45: "cp1250", 46: "cp1251", 47: "cp1253", 48: "cp1254", 49: "cp1255", 50: "cp1256",
              51: "cp1257", 52: "cp1258"}
#: GS ( k function 69's error correction levels, 48..51 = L, M, Q, H.
_QR_EC_LEVELS = "LMQH"
_DEFAULT_LINE_SPACING = 30  # dots (1/6 inch at 180 dpi, close enough at 203 dpi)
# Commands a real printer accepts that change nothing on our paper model.
_NO_VISIBLE_EFFECT = {"DLE EOT", "DLE ENQ", "DLE DC4", "CR", "HT", "ESC G", "ESC -", "ESC R",
                      "ESC SP", "ESC $", "ESC \\", "ESC {", "ESC V", "ESC r", "ESC U", "ESC =",
                      "ESC p", "ESC c 3", "ESC c 4", "ESC c 5", "ESC ( A", "ESC D", "FS !",
                      "FS -", "FS C", "FS S", "FS W", "GS B", "GS b", "GS h", "GS w", "GS H",
                      "GS f", "GS a", "GS I", "GS P", "GS $", "GS \\", "GS ( A", "GS ( E",
                      "GS ( H", "ESC e", "ESC K", "FF", "CAN", "ESC 2", "ESC 3"}


@dataclass(frozen=True)
class Reported:
    """A command the virtual printer could not print, with the reason."""

    offset: int
    raw: bytes
    reason: str


@dataclass
class _QrSettings:
    """What GS ( k stored before the print function: module size, error level (48..51), data."""

    module: int = 3
    ec: int = 48
    data: bytes = b""


@dataclass
class _Glyphs:
    text: str
    width: int
    height: int
    bold: bool


class VirtualPrinter:
    """The printer's side of the link. :meth:`feed` takes bytes and returns the reply bytes."""

    def __init__(self, paper_width_mm: int = 80, font_path: Path = DEFAULT_FONT) -> None:
        self.width_dots = DOTS_FOR_PAPER_MM[paper_width_mm]
        self.font_path = font_path
        self.paper_out = False
        self.paper_near_end = False
        self.cover_open = False
        self.error = False
        self.silent = False
        self.unknown: list[Reported] = []
        self.qr_codes: list[bytes] = []
        self.images: list[Image.Image] = []
        self.cuts = 0
        self._lock = threading.RLock()
        self._parser = EscposStreamParser()
        self._tail = b""  # last bytes of the previous chunk, for DLE EOT split across chunks
        self._held = b""
        self._bands: list[Image.Image] = []
        self._lines: list[str] = []
        #: Commands with a method of their own. Bound methods, so a subclass's override (a fault
        #: injected at the cut, say) is the one called.
        self._handlers: dict[str, Callable[[Command], None]] = {
            "TEXT": self._text,
            "LF": self._line_feed,
            "ESC d": self._feed_lines,
            "ESC J": self._feed_dots,
            "ESC @": self._init,
            "GS v 0": self._raster,
            "GS ( L": self._graphics_command,
            "GS ( k": self._qr_command,
            "GS k": self._barcode,
            "GS V": self._cut,
        }
        self._reset_modes()

    # ----- fault injection ---------------------------------------------------------------------
    @property
    def blocked(self) -> bool:
        """True while the printer cannot print (it holds incoming data until recovery)."""
        return self.paper_out or self.cover_open or self.error

    def recover(self) -> bytes:
        """Clear every fault (roll loaded, cover closed) and print what was held meanwhile."""
        with self._lock:
            self.paper_out = self.cover_open = self.error = self.silent = False
            held, self._held = self._held, b""
            return self._process(held) if held else b""

    # ----- input ------------------------------------------------------------------------------
    def feed(self, data: bytes) -> bytes:
        """Consume bytes from the host; return what the printer sends back."""
        with self._lock:
            replies = self._realtime(data)
            if self.blocked:
                self._held += data
                return replies
            return replies + self._process(data)

    def finish(self) -> None:
        """End of stream (file closed): report an incomplete trailing command, print the line."""
        with self._lock:
            for command in self._parser.finish():
                self._report(command, command.note)
            self._print_line()

    def feed_file(self, path: Path | str) -> None:
        """Print everything written to a file (the file backend's far side)."""
        self.feed(Path(path).read_bytes())
        self.finish()

    def status_byte(self, n: int) -> int:
        """The reply to ``DLE EOT n`` for the current state (bits 1 and 4 always set)."""
        value = 0x12
        if n == 1:
            value |= 0x04  # drawer-kick pin 3 level: real Epson printers answer 0x16
            value |= 0x08 if self.blocked else 0
        elif n == 2:
            value |= (0x04 if self.cover_open else 0) | (0x20 if self.paper_out else 0)
            value |= 0x40 if self.error else 0
        elif n == 3:
            value |= 0x08 if self.error else 0
        elif n == 4:
            value |= (0x0C if self.paper_near_end else 0) | (0x60 if self.paper_out else 0)
        return value

    def _realtime(self, data: bytes) -> bytes:
        """Answer every ``DLE EOT n`` in the raw stream, before and regardless of parsing."""
        window = self._tail + data
        replies = bytearray()
        start = 0
        while (hit := window.find(b"\x10\x04", start)) >= 0 and hit + 2 < len(window):
            n = window[hit + 2]
            if 1 <= n <= 4 and hit + 3 > len(self._tail) and not self.silent:
                replies.append(self.status_byte(n))
            start = hit + 1
        self._tail = window[-2:]
        return bytes(replies)

    # ----- command interpretation -------------------------------------------------------------
    def _reset_modes(self) -> None:
        self._code_page = 0
        self._kanji = False
        self._size = (1, 1)
        self._bold = False
        self._align = 0
        self._line_spacing = _DEFAULT_LINE_SPACING
        self._left_margin = 0
        self._area_width = self.width_dots
        self._glyphs: list[_Glyphs] = []
        self._qr = _QrSettings()
        self._graphics: Image.Image | None = None

    def _process(self, data: bytes) -> bytes:
        replies = bytearray()
        commands = self._parser.feed(data)
        for index, command in enumerate(commands):
            if self.blocked:  # a fault mid-job: the rest waits in the buffer until recovery
                rest = b"".join(c.raw for c in commands[index:])
                self._held += rest + self._parser.take_pending()
                break
            reply = self._execute(command)
            if reply and not self.silent:
                replies += reply
        return bytes(replies)

    def _report(self, command: Command, reason: str) -> None:
        self.unknown.append(Reported(command.offset, command.raw[:64], reason))
        log.warning("virtual printer: %s at offset %d: %s", reason, command.offset,
                    command.raw[:16].hex(" "))

    def _execute(self, command: Command) -> bytes:
        name, args = command.name, command.args
        handler = self._handlers.get(name)
        if handler is not None:
            handler(command)
            return b""
        if name in _NO_VISIBLE_EFFECT:
            return b""
        if name == "ESC !":
            self._bold = bool(args[0] & 0x08)
            self._size = (2 if args[0] & 0x20 else 1, 2 if args[0] & 0x10 else 1)
        elif name == "GS !":
            self._size = ((args[0] >> 4) + 1, (args[0] & 0x0F) + 1)
            if max(self._size) > 8:
                self._report(command, "GS ! size out of range")
                self._size = (1, 1)
        elif name == "ESC E":
            self._bold = bool(args[0] & 1)
        elif name == "ESC a":
            self._set_align(command)
        elif name == "ESC t":
            self._set_code_page(command)
        elif name == "ESC M":
            pass  # font B is not modelled: text keeps font A metrics
        elif name in ("FS &", "FS ."):
            self._kanji = name == "FS &"
        elif name == "GS L":
            self._left_margin = min(args[0] | args[1] << 8, self.width_dots - 12)
        elif name == "GS W":
            self._area_width = max(12, args[0] | args[1] << 8)
        elif name == "GS r":
            return bytes((0x00,)) if args[0] in (2, 50) else bytes((self._paper_sensor(),))
        else:
            self._report(command, command.note or f"{name} is not supported by the virtual printer")
        return b""

    def _paper_sensor(self) -> int:
        """``GS r 1`` reply: bits 0-1 near end, bits 2-3 paper end; bits 4 and 7 clear."""
        return (0x03 if self.paper_near_end else 0) | (0x0C if self.paper_out else 0)

    def _set_align(self, command: Command) -> None:
        if self._glyphs:
            log.warning("virtual printer: ESC a ignored, not at the start of a line")
            return
        self._align = {0: 0, 48: 0, 1: 1, 49: 1, 2: 2, 50: 2}.get(command.args[0], 0)

    def _set_code_page(self, command: Command) -> None:
        page = command.args[0]
        if page not in CODE_PAGES:
            self._report(command, f"code page {page} not modelled; printing as PC437")
            page = 0
        self._code_page = page

    # ----- text -------------------------------------------------------------------------------
    def _text(self, command: Command) -> None:
        raw = command.args
        if self._kanji:
            text = raw.decode("gb18030", errors="replace")
        else:
            text = raw.decode(CODE_PAGES[self._code_page], errors="replace")
        width, height = self._size
        for ch in text:
            used = sum(cells(g.text) * 12 * g.width for g in self._glyphs)
            if used + cells(ch) * 12 * width > self._area_width - self._left_margin:
                self._print_line()  # the printer wraps a line that reaches the right edge
            if (self._glyphs and self._glyphs[-1].width == width
                    and self._glyphs[-1].height == height and self._glyphs[-1].bold == self._bold):
                self._glyphs[-1].text += ch
            else:
                self._glyphs.append(_Glyphs(ch, width, height, self._bold))

    def _print_line(self, empty_height: int | None = None) -> None:
        """Print the line buffer (or feed one empty line)."""
        if not self._glyphs:
            if empty_height is not None:
                self._bands.append(Image.new("1", (self.width_dots, empty_height), 1))
            return
        height = max(max(24 * g.height for g in self._glyphs), self._line_spacing)
        width = sum(cells(g.text) * 12 * g.width for g in self._glyphs)
        band = Image.new("L", (self.width_dots, height + 6), 255)
        x = self._left_margin + self._align_offset(width)
        for glyphs in self._glyphs:
            piece = self._draw_glyphs(glyphs)
            band.paste(piece, (x, height - piece.height))
            x += piece.width
        self._bands.append(band.convert("1", dither=Image.Dither.NONE))
        self._lines.append("".join(g.text for g in self._glyphs))
        self._glyphs = []

    def _draw_glyphs(self, glyphs: _Glyphs) -> Image.Image:
        """Draw at the 24-dot base size, then scale dot by dot as the printer does (``GS !``)."""
        font = fixed_pitch_font(self.font_path, 20)  # 20 px: room for descenders in 24 dots
        natural = Image.new("L", (cells(glyphs.text) * 12, 24), 255)
        draw = ImageDraw.Draw(natural)
        x = 0
        for ch in glyphs.text:
            # Centred in its cell, from a fixed-pitch face as a printer's font A is: a narrow
            # proportional "i" at the left of its cell left a gap after it ("deposi t").
            draw.text((x + cells(ch) * 6, 19), ch, font=font, fill=0, anchor="ms",
                      stroke_width=1 if glyphs.bold else 0, stroke_fill=0)
            x += cells(ch) * 12
        dots = natural.point(lambda v: 255 if v >= 128 else 0)
        return dots.resize((natural.width * glyphs.width, 24 * glyphs.height),
                           Image.Resampling.NEAREST)

    def _align_offset(self, width: int) -> int:
        room = max(0, self._area_width - self._left_margin - width)
        return (0, room // 2, room)[self._align]

    def _feed(self, dots: int) -> None:
        self._print_line()
        if dots > 0:
            self._bands.append(Image.new("1", (self.width_dots, dots), 1))

    def _line_feed(self, command: Command) -> None:
        self._print_line(empty_height=self._line_spacing)

    def _feed_lines(self, command: Command) -> None:
        self._feed(command.args[0] * self._line_spacing)

    def _feed_dots(self, command: Command) -> None:
        self._feed(command.args[0])

    # ----- images, codes, cut -----------------------------------------------------------------
    def _paste(self, image: Image.Image, command: Command) -> None:
        if image.width > self.width_dots:
            self._report(command, f"image {image.width} dots wide is clipped to {self.width_dots}")
            image = image.crop((0, 0, self.width_dots, image.height))
        band = Image.new("1", (self.width_dots, image.height), 1)
        band.paste(image, (self._align_offset(image.width), 0))
        self._bands.append(band)

    def _raster(self, command: Command) -> None:
        if self._glyphs:
            # docs/architecture.md §5: GS v 0 is ignored while text waits in the print buffer.
            self._report(command, "GS v 0 ignored: text is waiting in the print buffer")
            return
        args = command.args
        mode, width_bytes, rows = args[0] % 48, args[1] | args[2] << 8, args[3] | args[4] << 8
        image = _unpack(args[5:], width_bytes, rows)
        self.images.append(image)
        scale = (2 if mode & 1 else 1, 2 if mode & 2 else 1)
        self._paste(image.resize((image.width * scale[0], image.height * scale[1])), command)
        # numpy (the reader) and qrcode load with the first image or QR code, not with the
        # simulated kiosk's start.
        from branchq.drivers.printer.paper_reader import read_lines

        self._lines += read_lines(image, self.font_path)  # a number drawn as an image

    def _graphics_command(self, command: Command) -> None:
        args = command.args[2:]  # after pL pH
        if len(args) >= 2 and args[1] in (2, 50) and self._graphics is not None:
            self._print_line()
            self.images.append(self._graphics)
            self._paste(self._graphics, command)
        elif len(args) >= 10 and args[1] in (112, 113):
            width, rows = args[6] | args[7] << 8, args[8] | args[9] << 8
            self._graphics = _unpack(args[10:], (width + 7) // 8, rows).crop((0, 0, width, rows))
        else:
            self._report(command, "GS ( L function not modelled")

    def _qr_command(self, command: Command) -> None:
        args = command.args[2:]
        if len(args) < 2 or args[0] != 49:  # cn 49 = QR; other symbologies not modelled
            self._report(command, "GS ( k: only QR codes are modelled")
            return
        fn, params = args[1], args[2:]
        if fn == 67 and params:
            self._qr.module = max(1, min(16, params[0]))
        elif fn == 69 and params:
            self._qr.ec = params[0] if 48 <= params[0] <= 51 else 48
        elif fn == 80:
            self._qr.data = bytes(params[1:])
        elif fn == 81:
            self._print_qr(command)
        elif fn not in (65, 82):
            self._report(command, f"GS ( k QR function {fn} not modelled")

    def _print_qr(self, command: Command) -> None:
        data = self._qr.data
        if not data:
            self._report(command, "QR print without stored data")
            return
        import qrcode

        self._print_line()
        level = _QR_EC_LEVELS[self._qr.ec - 48]
        code = qrcode.QRCode(box_size=self._qr.module, border=0,
                             error_correction=getattr(qrcode.constants, f"ERROR_CORRECT_{level}"))
        code.add_data(data)
        code.make(fit=True)
        image = code.make_image().get_image().convert("1")
        self.qr_codes.append(data)
        self._paste(image, command)
        self._bands.append(Image.new("1", (self.width_dots, 8), 1))

    def _barcode(self, command: Command) -> None:
        # Barcodes are not drawn; a labelled placeholder keeps the receipt readable.
        args = command.args
        payload = args[1:-1] if args[0] <= 6 else args[2:]
        saved = (self._size, self._bold, self._kanji, self._code_page)
        self._size, self._bold, self._kanji, self._code_page = (1, 1), False, False, 0
        self._print_line()
        self._text(Command("TEXT", b"[barcode " + payload + b"]", b"", command.offset))
        self._print_line()
        self._size, self._bold, self._kanji, self._code_page = saved

    def _cut(self, command: Command) -> None:
        if self._glyphs:
            self._report(command, "GS V ignored: not at the start of a line")
            return
        if command.args[0] in (65, 66, 97, 98, 103, 104):
            self._feed(command.args[1])
        self.cuts += 1
        band = Image.new("1", (self.width_dots, 9), 1)
        draw = ImageDraw.Draw(band)
        for x in range(0, self.width_dots, 12):
            draw.line((x, 4, x + 6, 4), fill=0)
        self._bands.append(band)

    def _init(self, command: Command) -> None:
        self._glyphs = []  # ESC @ clears the print buffer
        self._reset_modes()

    # ----- output -----------------------------------------------------------------------------
    @property
    def text_lines(self) -> list[str]:
        """The printed text, one string per printed line (images and QR codes excluded)."""
        with self._lock:
            return list(self._lines)

    def render(self) -> Image.Image:
        """The paper so far, as a white strip with a grey border."""
        with self._lock:
            height = sum(b.height for b in self._bands) or 1
            paper = Image.new("L", (self.width_dots, height), 255)
            y = 0
            for band in self._bands:
                paper.paste(band.convert("L"), (0, y))
                y += band.height
        framed = Image.new("L", (paper.width + 32, paper.height + 32), 200)
        framed.paste(paper, (16, 16))
        return framed

    def save_png(self, path: Path | str) -> None:
        self.render().save(path)

    def tear_off(self) -> None:
        """Remove the printed paper (keep modes and faults), as a customer taking the ticket."""
        with self._lock:
            self._bands, self._lines = [], []
            self.images, self.qr_codes, self.cuts = [], [], 0


@lru_cache(maxsize=8)
def fixed_pitch_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    """The collection's fixed-pitch face (WenQuanYi Micro Hei *Mono* is face 1 of the .ttc);
    the proportional face when the font file has only one."""
    try:
        return ImageFont.truetype(str(path), size, index=1)
    except OSError:
        return cjk_font(path, size)


def _unpack(data: bytes, width_bytes: int, rows: int) -> Image.Image:
    """Raster bytes (MSB = leftmost dot, 1 = black) to a mode "1" image; missing bytes are white."""
    packed = data[: width_bytes * rows].ljust(width_bytes * rows, b"\0")
    return Image.frombytes("1", (width_bytes * 8, rows), packed, "raw", "1;I")


