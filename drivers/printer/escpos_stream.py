"""An incremental ESC/POS stream parser: bytes in, commands out, never out of sync.

It knows the length of every command listed in ``_SPECS``, including the variable-length ones
(images, 2D codes, barcodes), so it can walk a stream it does not fully render. A command it does not
know is reported as ``UNKNOWN`` with its bytes; the parser then resumes after the two-byte prefix,
the same guess a real printer makes. Incomplete commands wait for more bytes; :meth:`finish` reports
whatever is still pending as truncated. Parsing always advances, so any input terminates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

ESC, FS, GS, DLE = 0x1B, 0x1C, 0x1D, 0x10
_PREFIXES = {ESC: "ESC", FS: "FS", GS: "GS", DLE: "DLE"}


@dataclass(frozen=True)
class Command:
    """One parsed command. ``args`` are the bytes after the prefix (the text for ``TEXT``)."""

    name: str
    args: bytes
    raw: bytes
    offset: int
    note: str = ""

    @property
    def known(self) -> bool:
        return self.name not in ("UNKNOWN", "TRUNCATED", "MALFORMED")


class _Malformed(Exception):
    """Parameters out of any printer's range: skip the fixed part and report it."""

    def __init__(self, skip: int, note: str) -> None:
        super().__init__(note)
        self.skip = skip
        self.note = note


# A length function gets the buffer and the index of the first argument byte and returns the
# number of argument bytes, or None when more bytes are needed to know.
LengthFn = Callable[[bytes, int], int | None]


def _fixed(count: int) -> LengthFn:
    return lambda buf, i: count


def _u16(buf: bytes, i: int) -> int:
    return buf[i] | buf[i + 1] << 8


def _block16(buf: bytes, i: int) -> int | None:
    """``pL pH`` then that many bytes (GS ( k, GS ( L, ESC ( A ...)."""
    if len(buf) < i + 2:
        return None
    return 2 + _u16(buf, i)


def _block32(buf: bytes, i: int) -> int | None:
    """``p1 p2 p3 p4`` then that many bytes (GS 8 L)."""
    if len(buf) < i + 4:
        return None
    size = int.from_bytes(buf[i : i + 4], "little")
    if size > 1 << 20:
        raise _Malformed(4, f"GS 8 L block of {size} bytes")
    return 4 + size


def _raster(buf: bytes, i: int) -> int | None:
    """``GS v 0 m xL xH yL yH`` then x*y bytes."""
    if len(buf) < i + 5:
        return None
    width_bytes, rows = _u16(buf, i + 1), _u16(buf, i + 3)
    if not (1 <= width_bytes <= 256 and 1 <= rows <= 4095) or buf[i] not in (0, 1, 2, 3, 48, 49,
                                                                              50, 51):
        raise _Malformed(5, f"GS v 0 with m={buf[i]} width={width_bytes} bytes rows={rows}")
    return 5 + width_bytes * rows


def _column_image(buf: bytes, i: int) -> int | None:
    """``ESC * m nL nH`` then n columns of 1 or 3 bytes."""
    if len(buf) < i + 3:
        return None
    per_column = {0: 1, 1: 1, 32: 3, 33: 3}.get(buf[i])
    if per_column is None:
        raise _Malformed(3, f"ESC * with mode {buf[i]}")
    return 3 + _u16(buf, i + 1) * per_column


def _nul_terminated(limit: int) -> LengthFn:
    def length(buf: bytes, i: int) -> int | None:
        end = buf.find(b"\x00", i, i + limit + 1)
        if end >= 0:
            return end - i + 1
        if len(buf) - i > limit:
            raise _Malformed(0, f"no NUL within {limit} bytes")
        return None

    return length


def _barcode(buf: bytes, i: int) -> int | None:
    """``GS k m`` data NUL (m 0..6) or ``GS k m n`` data (m 65..79)."""
    if len(buf) < i + 1:
        return None
    m = buf[i]
    if m <= 6:
        rest = _nul_terminated(255)(buf, i + 1)
        return None if rest is None else 1 + rest
    if 65 <= m <= 79:
        return None if len(buf) < i + 2 else 2 + buf[i + 1]
    raise _Malformed(1, f"GS k with barcode system {m}")


def _cut(buf: bytes, i: int) -> int | None:
    if len(buf) < i + 1:
        return None
    if buf[i] in (0, 1, 48, 49):
        return 1
    if buf[i] in (65, 66, 97, 98, 103, 104):
        return 2
    raise _Malformed(1, f"GS V with mode {buf[i]}")


def _dle_dc4(buf: bytes, i: int) -> int | None:
    if len(buf) < i + 1:
        return None
    return {7: 2, 8: 8}.get(buf[i], 3)


def _download_bitimage(buf: bytes, i: int) -> int | None:
    """``GS * x y`` then x*y*8 bytes."""
    if len(buf) < i + 2:
        return None
    return 2 + buf[i] * buf[i + 1] * 8


_SPECS: dict[bytes, tuple[str, LengthFn]] = {
    b"\x0a": ("LF", _fixed(0)),
    b"\x0d": ("CR", _fixed(0)),
    b"\x09": ("HT", _fixed(0)),
    b"\x0c": ("FF", _fixed(0)),
    b"\x18": ("CAN", _fixed(0)),
    b"\x10\x04": ("DLE EOT", _fixed(1)),
    b"\x10\x05": ("DLE ENQ", _fixed(1)),
    b"\x10\x14": ("DLE DC4", _dle_dc4),
    b"\x1b@": ("ESC @", _fixed(0)),
    b"\x1b!": ("ESC !", _fixed(1)),
    b"\x1bE": ("ESC E", _fixed(1)),
    b"\x1bG": ("ESC G", _fixed(1)),
    b"\x1b-": ("ESC -", _fixed(1)),
    b"\x1ba": ("ESC a", _fixed(1)),
    b"\x1bd": ("ESC d", _fixed(1)),
    b"\x1be": ("ESC e", _fixed(1)),
    b"\x1bJ": ("ESC J", _fixed(1)),
    b"\x1bK": ("ESC K", _fixed(1)),
    b"\x1bt": ("ESC t", _fixed(1)),
    b"\x1bR": ("ESC R", _fixed(1)),
    b"\x1bM": ("ESC M", _fixed(1)),
    b"\x1b2": ("ESC 2", _fixed(0)),
    b"\x1b3": ("ESC 3", _fixed(1)),
    b"\x1b ": ("ESC SP", _fixed(1)),
    b"\x1b$": ("ESC $", _fixed(2)),
    b"\x1b\\": ("ESC \\", _fixed(2)),
    b"\x1b{": ("ESC {", _fixed(1)),
    b"\x1bV": ("ESC V", _fixed(1)),
    b"\x1br": ("ESC r", _fixed(1)),
    b"\x1bU": ("ESC U", _fixed(1)),
    b"\x1b=": ("ESC =", _fixed(1)),
    b"\x1bp": ("ESC p", _fixed(3)),
    b"\x1bi": ("ESC i", _fixed(0)),
    b"\x1bm": ("ESC m", _fixed(0)),
    b"\x1bc3": ("ESC c 3", _fixed(1)),
    b"\x1bc4": ("ESC c 4", _fixed(1)),
    b"\x1bc5": ("ESC c 5", _fixed(1)),
    b"\x1bD": ("ESC D", _nul_terminated(33)),
    b"\x1b*": ("ESC *", _column_image),
    b"\x1b(A": ("ESC ( A", _block16),
    b"\x1c&": ("FS &", _fixed(0)),
    b"\x1c.": ("FS .", _fixed(0)),
    b"\x1c!": ("FS !", _fixed(1)),
    b"\x1c-": ("FS -", _fixed(1)),
    b"\x1cC": ("FS C", _fixed(1)),
    b"\x1cS": ("FS S", _fixed(2)),
    b"\x1cW": ("FS W", _fixed(1)),
    b"\x1cp": ("FS p", _fixed(2)),
    b"\x1d!": ("GS !", _fixed(1)),
    b"\x1dB": ("GS B", _fixed(1)),
    b"\x1db": ("GS b", _fixed(1)),
    b"\x1dV": ("GS V", _cut),
    b"\x1dL": ("GS L", _fixed(2)),
    b"\x1dW": ("GS W", _fixed(2)),
    b"\x1dh": ("GS h", _fixed(1)),
    b"\x1dw": ("GS w", _fixed(1)),
    b"\x1dH": ("GS H", _fixed(1)),
    b"\x1df": ("GS f", _fixed(1)),
    b"\x1da": ("GS a", _fixed(1)),
    b"\x1dr": ("GS r", _fixed(1)),
    b"\x1dI": ("GS I", _fixed(1)),
    b"\x1dP": ("GS P", _fixed(2)),
    b"\x1d$": ("GS $", _fixed(2)),
    b"\x1d\\": ("GS \\", _fixed(2)),
    b"\x1d/": ("GS /", _fixed(1)),
    b"\x1d*": ("GS *", _download_bitimage),
    b"\x1dk": ("GS k", _barcode),
    b"\x1dv0": ("GS v 0", _raster),
    b"\x1d(k": ("GS ( k", _block16),
    b"\x1d(L": ("GS ( L", _block16),
    b"\x1d(A": ("GS ( A", _block16),
    b"\x1d(E": ("GS ( E", _block16),
    b"\x1d(H": ("GS ( H", _block16),
    b"\x1d8L": ("GS 8 L", _block32),
}


class EscposStreamParser:
    """Feed bytes as they arrive; get back the complete commands they finish."""

    def __init__(self) -> None:
        self._buf = b""
        self._offset = 0  # stream offset of self._buf[0]

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the rest of a command."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Command]:
        self._buf += data
        commands: list[Command] = []
        pos = 0
        while pos < len(self._buf):
            parsed = self._parse_one(pos)
            if parsed is None:
                break
            commands.append(parsed)
            pos += len(parsed.raw)
        self._buf = self._buf[pos:]
        self._offset += pos
        return commands

    def take_pending(self) -> bytes:
        """Remove and return the bytes of an incomplete command (to hold them back)."""
        pending, self._buf = self._buf, b""
        self._offset += len(pending)
        return pending

    def finish(self) -> list[Command]:
        """End of stream: report a pending incomplete command as ``TRUNCATED``."""
        if not self._buf:
            return []
        command = Command("TRUNCATED", b"", self._buf, self._offset, "stream ended inside a command")
        self._offset += len(self._buf)
        self._buf = b""
        return [command]

    def _parse_one(self, pos: int) -> Command | None:
        buf = self._buf
        first = buf[pos]
        if first >= 0x20:
            end = pos
            while end < len(buf) and buf[end] >= 0x20:
                end += 1
            return self._make("TEXT", pos, pos, end)
        for size in (3, 2, 1):
            spec = _SPECS.get(buf[pos : pos + size]) if pos + size <= len(buf) else None
            if spec is not None:
                break
        else:
            if self._may_extend(pos):
                return None  # a longer, known prefix may still arrive
            if first in _PREFIXES:
                end = min(pos + 2, len(buf))
                return self._make("UNKNOWN", pos, end, end, f"unknown {_PREFIXES[first]} command")
            return self._make("UNKNOWN", pos, pos + 1, pos + 1, f"unknown control 0x{first:02x}")
        name, length = spec
        start = pos + size
        try:
            count = length(buf, start)
        except _Malformed as err:
            end = min(len(buf), start + err.skip)
            return self._make("MALFORMED", pos, end, end, f"{name}: {err.note}")
        if count is None or start + count > len(buf):
            return None
        return self._make(name, pos, start, start + count)

    def _may_extend(self, pos: int) -> bool:
        """True if the bytes from ``pos`` are a strict prefix of a known command."""
        head = self._buf[pos:]
        return any(len(key) > len(head) and key.startswith(head) for key in _SPECS)

    def _make(self, name: str, begin: int, args_start: int, end: int, note: str = "") -> Command:
        return Command(name, self._buf[args_start:end], self._buf[begin:end],
                       self._offset + begin, note)
