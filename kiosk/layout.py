"""Where everything goes on every kiosk screen: one pure function from (view, language, panel,
page) to touch targets and labels with their rectangles.

The renderer (:mod:`branchq.kiosk.screens`) draws exactly this :class:`Layout` and the tap handler hits
exactly its targets, so what the customer sees is what a tap does. Text is measured with the
real font and shrunk or wrapped to fit its box; touch targets are at least 15 mm on the panel;
when the services do not fit, the grid shows pages with "previous" and "next" buttons. Every
screen that takes taps carries the customer's aids (:class:`~branchq.kiosk.views.Assist`): the
"语音 / Voice" key and the large-text key, which doubles the text and halves the choices per page.
Each target and text also says what is spoken for it (``say``, :mod:`branchq.kiosk.voice`). The
property test (tests/kiosk/test_layout.py) checks every screen at every supported panel, in
normal and large text.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from branchq.drivers.audio.speech import spoken_number
from branchq.drivers.printer.textwrap_cjk import wrap
from branchq.kiosk import messages
from branchq.kiosk.views import (
    Assist,
    CodeView,
    GreenView,
    HomeView,
    MessageView,
    ServiceTile,
    TicketView,
    View,
)

log = logging.getLogger("branchq.kiosk.layout")

Box = tuple[int, int, int, int]
Color = tuple[int, int, int]
Row = tuple[str, float, Color]  # a piece of text, its size in px, its colour
Tile = tuple[str, Color, list[tuple[str, float]]]  # a button: key, colour, (text, size) lines
AidKey = tuple[str, int, Color, list[tuple[str, float]], str]  # key, width, colour, lines, say

NAVY = (11, 31, 58)
HEADER = (6, 18, 36)
WHITE = (255, 255, 255)
BLUE = (21, 101, 192)
GREEN = (27, 127, 59)
DARK_GREEN = (20, 90, 40)
GOLD = (255, 214, 0)
RED = (183, 28, 28)
GREY = (90, 100, 115)
BLACK = (0, 0, 0)
DIM = (150, 150, 150)
PURPLE = (106, 27, 154)
HELP_ORANGE = (191, 54, 12)  # the call for help: seen at once, white text on it is 5.6:1

#: The keys that are the kiosk's own controls, not choices of the screen: their text keeps its
#: size in large text (the customer finds them where they were) and the screen's speech skips them.
CONTROLS = frozenset({"lang", "voice", "large", "help"})
LARGE_SCALE = 2

MIN_TARGET_MM = 15.0
#: Smallest text, in mm of font size on the panel (about 14 px on the 7" 800x480 display).
MIN_TEXT_MM = 2.7
ELLIPSIS = "…"


@dataclass(frozen=True)
class Panel:
    """A screen: pixels and the physical width of its visible area (square pixels)."""

    width: int
    height: int
    width_mm: float

    @property
    def px_per_mm(self) -> float:
        return self.width / self.width_mm

    @property
    def height_mm(self) -> float:
        return self.height / self.px_per_mm

    @property
    def min_target(self) -> int:
        return math.ceil(MIN_TARGET_MM * self.px_per_mm)

    @property
    def unit(self) -> float:
        """Type scale: 1.0 on the 800x480 panel, growing with the shorter side."""
        return min(self.width, self.height) / 480

    @property
    def portrait(self) -> bool:
        return self.height > self.width


#: The panels the kiosk is built and tested for, with the size of their visible area.
SUPPORTED_PANELS = {
    # Official Raspberry Pi 7" Touch Display: 154.08 x 85.92 mm, 5.19 px/mm (132 dpi).
    "800x480": Panel(800, 480, 154.08),
    # 7" 1024x600 HDMI panels (e.g. Waveshare 7inch HDMI LCD (C)): 154.21 x 85.92 mm, 6.64 px/mm.
    "1024x600": Panel(1024, 600, 154.21),
    # 10.1" 1280x800 IPS panels: 216.96 x 135.6 mm, 5.90 px/mm (150 dpi).
    "1280x800": Panel(1280, 800, 216.96),
    # The official 7" display turned to portrait: 85.92 x 154.08 mm.
    "480x800": Panel(480, 800, 85.92),
}


@dataclass(frozen=True)
class Label:
    """One line of text drawn centred in ``box`` at ``size`` px; its ink stays inside ``box``."""

    text: str
    box: Box
    size: int
    color: Color = WHITE
    cut: bool = False  # the text did not fit even at the smallest size: it ends with "…"


@dataclass(frozen=True)
class Target:
    key: str
    box: Box
    color: Color
    labels: tuple[Label, ...]
    say: str = ""  # what the voice says for this button (its words, unwrapped)
    say_lang: str = ""  # the language of ``say`` when it is not the screen's (the language key)

    def hit(self, x: int, y: int) -> bool:
        x0, y0, x1, y1 = self.box
        return x0 <= x < x1 and y0 <= y < y1


@dataclass(frozen=True)
class Layout:
    name: str
    width: int
    height: int
    background: Color
    bands: tuple[tuple[Box, Color], ...]  # plain filled rectangles (header bar, notice band)
    labels: tuple[Label, ...]  # text outside any target
    targets: tuple[Target, ...]
    page: int = 0
    pages: int = 1
    lang: str = "zh"
    said: tuple[tuple[int, str], ...] = ()  # the voice's words for text outside buttons: (top, words)
    large: bool = False

    def target_at(self, x: int, y: int) -> str | None:
        return next((t.key for t in self.targets if t.hit(x, y)), None)

    def choices(self) -> list[Target]:
        """The list's choices on this page: the service buttons (home or green channel)."""
        return [t for t in self.targets if t.key.startswith(("service:", "green:"))]

    def texts(self) -> list[str]:
        """Every line of text on the screen, top to bottom (what a person reads)."""
        labels = [*self.labels, *(label for t in self.targets for label in t.labels)]
        return [label.text for label in sorted(labels, key=lambda lb: (lb.box[1], lb.box[0]))]


class Typesetter:
    """Measures text with the real font the screen is drawn with."""

    def __init__(self, font_path: Path) -> None:
        self.font_path = font_path

    def font(self, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        return load_font(str(self.font_path), size)

    def ink(self, text: str, size: int) -> tuple[float, float, float, float]:
        """Ink box of ``text`` relative to its centre anchor ("mm"), as it will be drawn."""
        return _ink(str(self.font_path), text, size)

    def fits(self, text: str, size: int, width: int, height: int) -> bool:
        left, top, right, bottom = self.ink(text, size)
        cx, cy = width / 2, height / 2
        return cx + left >= 0 and cx + right <= width and cy + top >= 0 and cy + bottom <= height

    def fits_width(self, text: str, size: int, width: int) -> bool:
        left, _, right, _ = self.ink(text, size)
        return right - left <= width and -left <= width / 2 and right <= width / 2

    def line_height(self, size: int) -> int:
        """Height a centred line needs so that tall and deep glyphs stay inside it."""
        _, top, _, bottom = self.ink("国Ágjy|", size)
        return math.ceil(2 * max(-top, bottom)) + 2

    def fit(self, rows: Sequence[Row], box: Box, min_size: int, max_lines: int = 2
            ) -> tuple[Label, ...]:
        """Labels for ``rows`` (text, size, colour) one under another in ``box``.

        All rows shrink by the same factor until they fit: first each on one line (down to 3/4
        of its size), then wrapped into up to ``max_lines`` lines (down to ``min_size``). Height
        to spare is shared between the rows. As a last resort a row is cut with an ellipsis and
        marked ``cut`` (it never spills over its neighbours)."""
        rows = [row for row in rows if row[0]]
        if not rows:
            return ()
        width, height = box[2] - box[0], box[3] - box[1]
        for lines_allowed, floor in ((1, 0.75), (max_lines, 0.0)):
            for factor in _factors(floor):
                plan = self._plan(rows, factor, min_size, width, lines_allowed)
                if plan is not None and sum(h for _, _, _, h in plan) <= height:
                    labels = self._place(plan, box)
                    if all(self.fits(lb.text, lb.size, lb.box[2] - lb.box[0],
                                     lb.box[3] - lb.box[1]) for lb in labels):
                        return labels
        log.warning("text cut to fit %dx%d px: %r", width, height, [r[0] for r in rows])
        share = height // len(rows)
        cut_labels: list[Label] = []
        for i, (text, _, color) in enumerate(rows):
            y0 = box[1] + i * share
            cut = self._ellipsize(text, min_size, width)
            cut_labels.append(Label(cut, (box[0], y0, box[2], y0 + share), min_size, color, True))
        return tuple(cut_labels)

    def needed_height(self, rows: Sequence[Row], width: int, min_size: int, max_lines: int = 2
                      ) -> int:
        """The height ``rows`` need at their smallest (every row at ``min_size``)."""
        plan = self._plan([row for row in rows if row[0]], 0.0, min_size, width, max_lines)
        if plan is None:  # too long even so: it will be cut, give it all lines allowed
            return sum(max_lines * self.line_height(min_size) for row in rows if row[0])
        return sum(h for *_, h in plan)

    def _plan(self, rows: Sequence[Row], factor: float, min_size: int, width: int,
              max_lines: int) -> list[tuple[list[str], int, Color, int]] | None:
        plan = []
        for text, size, color in rows:
            s = max(min_size, int(size * factor))
            lines = wrap(text, lambda line, s=s: self.fits_width(line, s, width))  # type: ignore[misc]
            if len(lines) > max_lines:
                return None
            plan.append((lines, s, color, len(lines) * self.line_height(s)))
        return plan

    @staticmethod
    def _place(plan: list[tuple[list[str], int, Color, int]], box: Box) -> tuple[Label, ...]:
        spare = (box[3] - box[1] - sum(h for *_, h in plan)) // len(plan)
        labels: list[Label] = []
        y = box[1]
        for lines, size, color, needed in plan:
            step = (needed + spare) // len(lines)
            for line in lines:
                labels.append(Label(line, (box[0], y, box[2], y + step), size, color))
                y += step
        return tuple(labels)

    def _ellipsize(self, text: str, size: int, width: int) -> str:
        while text and not self.fits_width(text + ELLIPSIS, size, width):
            text = text[:-1]
        return text + ELLIPSIS


def _factors(floor: float) -> list[float]:
    factors, f = [], 1.0
    while f > floor and f > 0.05:
        factors.append(f)
        f *= 0.92
    return factors


@lru_cache(maxsize=65536)
def _ink(font_path: str, text: str, size: int) -> tuple[float, float, float, float]:
    """Measuring is most of a layout's time, and a kiosk measures the same few thousand pieces
    of text (in trial sizes) at every redraw: each is measured once."""
    left, top, right, bottom = load_font(font_path, size).getbbox(text, anchor="mm")
    return float(left), float(top), float(right), float(bottom)


@lru_cache(maxsize=128)
def load_font(path: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        log.warning("font %s not found: Chinese text cannot be shown (install fonts-wqy-microhei)",
                    path)
        return ImageFont.load_default(size)


# -- building blocks -----------------------------------------------------------------------------


def _t(lang: str, text: tuple[str, str]) -> str:
    return text[0] if lang == "zh" else text[1]


def _inset(box: Box, dx: int, dy: int | None = None) -> Box:
    dy = dx if dy is None else dy
    return box[0] + dx, box[1] + dy, box[2] - dx, box[3] - dy


class _Builder:
    """Collects one screen's pieces; sizes in px derived from the panel. Text sizes are given at
    unit scale and doubled in large text, except on the kiosk's own controls."""

    def __init__(self, panel: Panel, ts: Typesetter, lang: str, assist: Assist) -> None:
        self.panel, self.ts, self.lang, self.assist = panel, ts, lang, assist
        self.u = panel.unit
        self.scale = LARGE_SCALE if assist.large else 1
        self.gap = max(6, round(10 * self.u))
        self.control_min_text = max(12, round(MIN_TEXT_MM * panel.px_per_mm))
        self.min_text = self.control_min_text * self.scale
        self.max_lines = 3 if assist.large else 2  # of one row of words on a button
        self.choice_cap: int | None = None  # most choices on a page (large text: set by layout_screen)
        self.bands: list[tuple[Box, Color]] = []
        self.labels: list[Label] = []
        self.targets: list[Target] = []
        self.said: list[tuple[int, str]] = []

    def px(self, value: float) -> int:
        return round(value * self.u)

    def text(self, rows: Sequence[Row], box: Box, max_lines: int | None = None,
             say: Sequence[str] | None = None) -> None:
        """Free text (outside any button): rows one under another in ``box``; ``say`` replaces
        the rows' words in speech (a ticket number is read digit by digit)."""
        rows = [(text, self.px(size * self.scale), color) for text, size, color in rows]
        self.labels += self.ts.fit(rows, _inset(box, self.px(6), 0), self.min_text,
                                   max_lines or self.max_lines)
        words = say if say is not None else [r[0] for r in rows]
        self.said += [(box[1], text) for text in words if text]

    def target(self, key: str, box: Box, color: Color, lines: Sequence[tuple[str, float]],
               say: str | None = None, say_lang: str = "") -> None:
        """A button with lines of text (text, size at unit scale) inside it."""
        rows = self._rows(key, lines)
        control = key in CONTROLS
        labels = self.ts.fit(rows, _inset(box, self.px(8), self.px(4)),
                             self.control_min_text if control else self.min_text,
                             2 if control else self.max_lines)
        words = say if say is not None else _t(self.lang, ("，", ", ")).join(
            text for text, _ in lines if text)
        self.targets.append(Target(key, box, color, labels, words, say_lang))

    def _rows(self, key: str, lines: Sequence[tuple[str, float]]) -> list[Row]:
        scale = 1 if key in CONTROLS else self.scale
        return [(text, self.px(size * scale), WHITE) for text, size in lines]

    def key_width(self, texts: Sequence[str], size: float) -> int:
        """A control key wide enough for the widest of ``texts`` at ``size``."""
        widest = max(math.ceil(self.ts.ink(text, self.px(size))[2] * 2) for text in texts)
        return max(self.panel.min_target, widest + self.px(32))

    def assist_keys(self) -> list[AidKey]:
        """The aids to draw: (key, width, colour, lines, what it says), Voice first."""
        lang = self.lang
        keys: list[AidKey] = []
        if not self.assist.keys:
            return keys
        if self.assist.voice:
            other = "en" if lang == "zh" else "zh"  # for those who cannot read this language
            lines = [(_t(lang, messages.VOICE_KEY), 22.0), (_t(other, messages.VOICE_KEY), 16.0)]
            keys.append(("voice", self.key_width([t for t, _ in lines], 22), PURPLE, lines,
                         _t(lang, messages.VOICE_SAYS)))
        word = _t(lang, messages.NORMAL_TEXT_KEY if self.assist.large else messages.LARGE_TEXT_KEY)
        mark = "A-" if self.assist.large else "A+"
        keys.append(("large", self.key_width([word], 22), GREY, [(word, 22.0), (mark, 16.0)],
                     word))
        return keys

    def help_key(self) -> AidKey | None:
        """The "需要帮助 / I need help" key, in both languages (whoever cannot read this one
        finds it too); on every screen that takes taps, in its top-left corner (a screen with a
        title bar) or bottom-left corner (a screen of text)."""
        if not self.assist.keys:
            return None
        other = "en" if self.lang == "zh" else "zh"
        lines = [(_t(self.lang, messages.HELP_KEY), 22.0), (_t(other, messages.HELP_KEY), 16.0)]
        return ("help", self.key_width([t for t, _ in lines], 22), HELP_ORANGE, lines,
                _t(self.lang, messages.HELP_SAYS))

    def header(self, title: str, title_optional: bool = False) -> int:
        """Title bar with the help key at the left, the customer's aids and the language button
        at the right; returns its height. The help key takes a row of its own under the others
        when they leave it no room (a portrait panel in English). When the keys leave the title
        less than a third of the width, the title gets a row of its own under them, or, if
        ``title_optional``, in large text, none (the branch's name is what a customer inside it
        needs least)."""
        p, lang = self.panel, self.lang
        bar = row = max(self.px(64), p.min_target + 2 * self.px(5))
        toggle = _t(lang, ("English", "中文"))
        right = p.width - self.px(8)
        keys = self.assist_keys()
        lang_key: AidKey = ("lang", self.key_width([toggle], 22), GREY, [(toggle, 22.0)],
                            _t(lang, messages.LANGUAGE_SAYS))
        for key, width, color, lines, say in [lang_key, *reversed(keys)]:
            box = (right - width, self.px(5), right, bar - self.px(5))
            self.target(key, box, color, lines, say, _t(lang, ("en", "zh")) if key == "lang" else "")
            right = box[0] - self.gap
        left, top = self.px(10), 0
        help_key = self.help_key()
        if help_key is not None:
            key, width, color, lines, say = help_key
            # Narrower, its words smaller, beside the others; a row below them if even so
            # there is no room (it keeps the size of a finger).
            width = max(p.min_target, min(width, right - self.px(8)))
            if self.px(8) + width > right:
                top, bar, right = bar, bar + row, p.width - self.px(8)
            box = (self.px(8), top + self.px(5), self.px(8) + width, bar - self.px(5))
            self.target(key, box, color, lines, say)
            left = box[2] + self.gap
        title_box: Box | None = (left, top, right, bar)
        if right - left < p.width // 3 and title_optional and self.scale > 1:
            title_box = None
        elif right - left < p.width // 3:
            width = p.width - 2 * self.px(10)
            needed = self.ts.needed_height([(title, self.px(26 * self.scale), WHITE)],
                                           width - 2 * self.px(6), self.min_text)
            title_box = (self.px(10), bar, self.px(10) + width, bar + needed + self.px(4))
            bar = title_box[3]
        self.bands.insert(0, ((0, 0, p.width, bar), HEADER))
        if title_box is not None:
            self.text([(title, 26, WHITE)], title_box)
        return bar

    def bottom_bar(self, home: str | None) -> int:
        """The bottom of a screen of text: the help key in the bottom-left corner, the Voice
        key beside it, the large-text key at the right, the home button (if ``home``, its
        words) between them, or, when that leaves it less than a third of the width (a portrait
        panel), in a row of its own under the keys. Returns the top edge of what it drew (the
        screen's bottom when there is nothing to draw)."""
        p, gap = self.panel, self.gap
        help_key = self.help_key()
        keys = [*([help_key] if help_key else []), *self.assist_keys()]
        if home is None and not keys:
            return p.height
        w = max(p.min_target, p.width // 2)
        lines = [(home, 26)] if home else []
        h = max(p.min_target, self.px(70), self.button_height(lines, w) if lines else 0)
        y0, y1 = p.height - h - gap, p.height - gap
        # The keys keep their widths while they fit in a row, else share it alike.
        widths = [width for _, width, *_ in keys]
        room = p.width - gap * (len(keys) + 1)
        if sum(widths) > room:
            widths = [max(p.min_target, room * width // sum(widths)) for width in widths]
        left = [i for i, k in enumerate(keys) if k[0] != "large"]
        span = (gap + sum(widths[i] for i in left) + gap * len(left),
                p.width - gap - sum(wd for i, wd in enumerate(widths) if i not in left) - gap)
        if home and span[1] - span[0] < max(p.min_target, p.width // 3):
            self.target("home", ((p.width - w) // 2, y0, (p.width + w) // 2, y1), GREY, lines)
            y0, y1 = y0 - h - gap, y0 - gap
        elif home:
            hw = min(w, span[1] - span[0])
            x0 = (span[0] + span[1] - hw) // 2
            self.target("home", (x0, y0, x0 + hw, y1), GREY, lines)
        x = gap
        for (key, _, color, key_lines, say), width in zip(keys, widths, strict=True):
            x0 = x if key != "large" else p.width - gap - width
            self.target(key, (x0, y0, x0 + width, y1), color, key_lines, say)
            x = x0 + width + gap if key != "large" else x
        return y0

    def button_height(self, lines: Sequence[tuple[str, float]], width: int,
                      max_lines: int | None = None) -> int:
        """The least height of a button ``width`` wide holding ``lines`` (at the smallest text)
        and at least the minimum touch target."""
        rows = [(text, self.px(size * self.scale), WHITE) for text, size in lines]
        inner = self.ts.needed_height(rows, width - 2 * self.px(8), self.min_text,
                                      max_lines or self.max_lines)
        return max(self.panel.min_target, inner + 2 * self.px(4))

    def grid(self, region: Box, tiles: Sequence[Tile], page: int, max_cols: int, lang: str,
             max_h: int) -> tuple[int, int]:
        """Place buttons in ``region``, in one column or ``max_cols``; pages when they do not
        fit. Every row is tall enough for the wordiest button. Returns (page, pages).

        Large text halves the choices a page holds: one column where normal text has two (and
        rows as tall as the doubled text needs), and never more than :attr:`choice_cap`, half
        of what the screen holds in normal text."""
        p, gap = self.panel, self.gap
        x0, y0, x1, y1 = region
        cap = self.choice_cap
        if self.scale > 1:
            max_cols = 1

        def arrange(box: Box, cols: int) -> tuple[int, int]:
            """(rows that fit in ``box``, row height) with ``cols`` columns."""
            cell_w = (box[2] - box[0] - gap * (cols - 1)) // cols
            min_h = min(box[3] - box[1], max(self.button_height(lines, cell_w)
                                             for _, _, lines in tiles))
            rows = max(1, (box[3] - box[1] + gap) // (min_h + gap))
            return (rows if cap is None else max(1, min(rows, cap // cols))), min_h

        n = len(tiles)
        if n == 0:
            return 0, 1
        for cols in sorted({1, max_cols}):
            rows, min_h = arrange(region, cols)
            if n <= cols * rows:
                self._cells(region, tiles, cols, min_h, max_h)
                return 0, 1
        # Paging: landscape puts the page buttons at the sides, portrait in a row below.
        pw = p.min_target
        if p.portrait:
            grid_box = (x0, y0, x1, y1 - pw - gap)
            mid = (x0 + x1) // 2
            prev_box, next_box = (x0, y1 - pw, mid - gap // 2, y1), (mid + gap // 2, y1 - pw, x1, y1)
        else:
            grid_box = (x0 + pw + gap, y0, x1 - pw - gap, y1)
            prev_box, next_box = (x0, y0, x0 + pw, y1), (x1 - pw, y0, x1, y1)
        rows, min_h = arrange(grid_box, max_cols)
        per_page = max_cols * rows
        pages = math.ceil(n / per_page)
        page %= pages
        self._cells(grid_box, tiles[page * per_page:(page + 1) * per_page], max_cols, min_h, max_h)
        where = f"{page + 1}/{pages}"

        def page_lines(arrow: str, word: str) -> list[tuple[str, float]]:
            # A doubled word does not fit a page button: large text shows the arrow and the
            # page (the voice says the word).
            if self.scale > 1:
                return [(arrow, 30), (where, 16)]
            return [(arrow, 30), (word, 18), (where, 16)]

        self.target("page:prev", prev_box, GREY, page_lines("◀", _t(lang, ("上一页", "Back"))),
                    _t(lang, ("上一页", "Previous page")))
        self.target("page:next", next_box, GREY, page_lines("▶", _t(lang, ("下一页", "More"))),
                    _t(lang, (f"下一页，第 {page + 1} 页，共 {pages} 页",
                              f"More choices: page {page + 1} of {pages}")))
        return page, pages

    def _cells(self, region: Box, tiles: Sequence[Tile], cols: int, min_h: int, max_h: int
               ) -> None:
        x0, y0, x1, y1 = region
        gap = self.gap
        rows = max(1, math.ceil(len(tiles) / cols))
        cell_w = (x1 - x0 - gap * (cols - 1)) // cols
        cell_h = max(min_h, min(max_h, (y1 - y0 - gap * (rows - 1)) // rows))
        for i, (key, color, lines) in enumerate(tiles):
            r, c = divmod(i, cols)
            cx, cy = x0 + c * (cell_w + gap), y0 + r * (cell_h + gap)
            self.target(key, (cx, cy, cx + cell_w, cy + cell_h), color, lines)

    def build(self, name: str, background: Color, page: int = 0, pages: int = 1) -> Layout:
        return Layout(name, self.panel.width, self.panel.height, background, tuple(self.bands),
                      tuple(self.labels), tuple(self.targets), page, pages, self.lang,
                      tuple(self.said), self.assist.large)


# -- screens -------------------------------------------------------------------------------------


def layout_screen(view: View, lang: str, panel: Panel, ts: Typesetter, page: int = 0,
                  assist: Assist | None = None) -> Layout:
    """The layout of ``view`` in ``lang`` ("zh" or "en") on ``panel``; ``page`` for long lists
    (any integer: it wraps around); ``assist``: the customer's aids (default: the large-text
    key, normal text, no Voice key)."""
    assist = assist or Assist()
    b = _Builder(panel, ts, lang, assist)
    if assist.large and isinstance(view, HomeView | GreenView):
        normal = layout_screen(view, lang, panel, ts, 0, replace(assist, large=False))
        b.choice_cap = max(1, len(normal.choices()) // 2)
    if isinstance(view, HomeView):
        return _home(b, view, lang, page)
    if isinstance(view, GreenView):
        return _green(b, view, lang, page)
    if isinstance(view, TicketView):
        return _ticket(b, view, lang)
    if isinstance(view, CodeView):
        return _code(b, view, lang)
    return _message(b, view, lang)


def _home(b: _Builder, view: HomeView, lang: str, page: int) -> Layout:
    p, gap = b.panel, b.gap
    top = b.header(_t(lang, (view.branch_zh, view.branch_en)), title_optional=True) + gap
    notices = list(view.notices)
    if view.offline:
        notices.insert(0, _t(lang, ("网络中断：仍可取号", "Network down: tickets still issued")))
    if notices:
        text = "  ·  ".join(notices)
        lines = 3 * b.scale  # doubled words take twice the lines
        needed = b.ts.needed_height([(text, b.px(20 * b.scale), BLACK)],
                                    p.width - 2 * gap - b.px(12), b.min_text, max_lines=lines)
        band = max(b.px(44), needed + b.px(8))
        b.bands.append(((0, top, p.width, top + band), GOLD))
        b.text([(text, 20, BLACK)], (gap, top, p.width - gap, top + band), max_lines=lines)
        top += band + gap
    green_words = _t(lang, ("绿色通道 · 老年人及需要帮助的客户",
                            "Green channel · seniors and customers needing help"))
    green_lines = [(green_words, 28.0)]
    booked_lines = [(_t(lang, messages.APPOINTMENT_KEY), 28.0),
                    (_t(lang, ("输入号码或扫码", "Type or scan your code")), 16.0)]
    hint = _t(lang, ("已识别贵宾卡：请选择业务", "VIP card recognised: choose a service")
              if view.vip_armed else ("贵宾客户请刷卡", "VIP customers: please swipe your card"))
    # The green channel and "I have an appointment" side by side; a portrait panel stacks them
    # in normal text and, in large text, keeps them side by side with the green channel's name
    # alone on it (its voice still says whom it is for): the services' own space is what the
    # screen is for.
    stacked = p.portrait and b.scale == 1
    full = p.width - 2 * gap
    green_w = full if stacked else (full - gap) * (1 if p.portrait else 3) // (2 if p.portrait else 5)
    booked_w = full if stacked else full - gap - green_w
    hint_h, hint_lines = b.px(34), 1
    green_h = booked_h = max(p.min_target, b.px(80))
    if b.scale > 1:
        # Large text keeps the buttons and the hint to the height their doubled words need.
        del booked_lines[1:]  # the how-to is on the next screen
        if p.portrait:
            green_lines = [(_t(lang, ("绿色通道", "Green channel")), 28.0)]
        hint_lines = 2
        hint_h = b.ts.needed_height([(hint, b.px(18 * b.scale), GOLD)], p.width - b.px(12),
                                    b.min_text, hint_lines) + b.px(6)
        green_h = booked_h = max(b.button_height(green_lines, green_w),
                                 b.button_height(booked_lines, booked_w))
    green_box = (gap, p.height - hint_h - green_h, gap + green_w, p.height - hint_h)
    if stacked:
        booked_box = (gap, green_box[1] - gap - booked_h, p.width - gap, green_box[1] - gap)
    else:
        booked_box = (green_box[2] + gap, green_box[1], p.width - gap, green_box[3])
    b.target("green", green_box, GREEN, green_lines, say=green_words)
    b.target("appointment", booked_box, PURPLE, booked_lines)
    b.text([(hint, 18, GOLD)], (0, p.height - hint_h, p.width, p.height), max_lines=hint_lines)

    def tile(service: ServiceTile) -> Tile:
        if service.kind == "self_service":
            detail = _t(lang, ("自助设备，无需排队", "Self-service, no queue"))
        else:
            detail = _t(lang, (service.wait_zh, service.wait_en))
        color = BLUE if service.kind == "counter" else GREY
        name = _t(lang, (service.name_zh, service.name_en))
        return f"service:{service.key}", color, [(name, 30), (detail, 18)]

    region = (gap, top, p.width - gap, min(green_box[1], booked_box[1]) - gap)
    shown, pages = b.grid(region, [tile(s) for s in view.tiles], page, 1 if p.portrait else 2,
                          lang, b.px(150 * b.scale))
    return b.build("home", NAVY, shown, pages)


def _green(b: _Builder, view: GreenView, lang: str, page: int) -> Layout:
    p, gap = b.panel, b.gap
    top = b.header(_t(lang, ("绿色通道", "Green channel"))) + gap
    prompt_h = b.px(44 * b.scale)
    b.text([(_t(lang, ("优先为您办理，请选择业务：", "You will be served first. Choose a service:")),
             24, WHITE)], (gap, top, p.width - gap, top + prompt_h))
    top += prompt_h + gap
    back_w = max(p.min_target, p.width // 3)
    back_lines = [(_t(lang, ("返回首页", "Back")), 26)]
    back_h = b.button_height(back_lines, back_w, max_lines=1) if b.scale > 1 else p.min_target
    back_box = ((p.width - back_w) // 2, p.height - gap - back_h, (p.width + back_w) // 2,
                p.height - gap)
    b.target("cancel", back_box, GREY, back_lines)

    tiles: list[Tile] = [(f"green:{s.key}", DARK_GREEN, [(_t(lang, (s.name_zh, s.name_en)), 28)])
                         for s in view.tiles]
    region = (gap * 2, top, p.width - gap * 2, back_box[1] - 2 * gap)
    shown, pages = b.grid(region, tiles, page, 1 if p.portrait else 2, lang,
                          b.px(100 * b.scale))
    return b.build("green_confirm", GREEN, shown, pages)


def _ticket(b: _Builder, view: TicketView, lang: str) -> Layout:
    p = b.panel
    bottom = b.bottom_bar(_t(lang, ("完成", "Done"))) - b.gap
    number_color = GOLD if view.priority == "vip" else WHITE
    service = _t(lang, (view.service_zh, view.service_en))
    wait = _t(lang, (view.wait_zh, view.wait_en))
    note = _t(lang, (view.note_zh, view.note_en))
    number = spoken_number(view.number, "zh" if lang == "zh" else "en")
    b.text([
        (_t(lang, ("请取票", "Please take your ticket")), 30, WHITE),
        (view.number, 150, number_color),
        (service, 30, WHITE),
        (note, 24, GOLD),
        (wait, 26, WHITE),
    ], (b.gap, b.gap, p.width - b.gap, bottom), say=[
        _t(lang, ("请取票", "Please take your ticket")),
        _t(lang, messages.YOUR_NUMBER).format(number=number),
        _t(lang, (f"办理{service}", service)),
        note,
        wait,
    ])
    return b.build("ticket", GREEN if view.priority == "green" else NAVY)


#: The keypad of the code screen, row by row: the digits as on a phone, then Delete, 0, Confirm.
KEYPAD_ROWS = ("123", "456", "789", "d0c")


def _code(b: _Builder, view: CodeView, lang: str) -> Layout:
    """The code screen: what to type and what was typed on one side, the keypad on the other
    (portrait: the words above the keypad), Back under the words."""
    p, gap = b.panel, b.gap
    # The title may go in large text on a portrait panel: the prompt under it says the same.
    top = b.header(_t(lang, messages.APPOINTMENT_KEY), title_optional=True) + gap
    back_lines = [(_t(lang, ("返回首页", "Back")), 26)]
    if p.portrait:
        words_w = pad_w = p.width - 2 * gap
    else:  # large text: half the width for the keypad, whose words are doubled too
        pad_w = (p.width - 3 * gap) * (1 if b.scale > 1 else 4) // (2 if b.scale > 1 else 10)
        words_w = p.width - 3 * gap - pad_w
    back_w = max(p.min_target, min(words_w, p.width // 3))
    back_h = max(b.button_height(back_lines, back_w, max_lines=1), p.min_target)
    back_box = (gap + (words_w - back_w) // 2, p.height - gap - back_h,
                gap + (words_w + back_w) // 2, p.height - gap)
    b.target("cancel", back_box, GREY, back_lines)

    def key(char: str) -> Tile:
        if char == "d":
            return "delete", GREY, [(_t(lang, ("删除", "Delete")), 24)]
        if char == "c":
            return "confirm", GREEN, [(_t(lang, ("确认", "OK")), 24)]
        return f"digit:{char}", BLUE, [(char, 36)]

    keys = [key(char) for row in KEYPAD_ROWS for char in row]
    cell_w = (pad_w - 2 * gap) // 3
    row_h = max(b.button_height(lines, cell_w) for _, _, lines in keys)
    if p.portrait:
        pad_y1 = back_box[1] - gap
        pad_y0 = pad_y1 - 4 * row_h - 3 * gap
        pad_x0, words_box = gap, (gap, top, p.width - gap, pad_y0 - gap)
    else:
        pad_y0, pad_y1 = top, p.height - gap
        row_h = max(row_h, (pad_y1 - pad_y0 - 3 * gap) // 4)
        pad_x0, words_box = p.width - gap - pad_w, (gap, top, gap + words_w, back_box[1] - gap)
    for i, (k, color, lines) in enumerate(keys):
        r, c = divmod(i, 3)
        x0, y0 = pad_x0 + c * (cell_w + gap), pad_y0 + r * (row_h + gap)
        b.target(k, (x0, y0, x0 + cell_w, y0 + row_h), color, lines, say=lines[0][0])

    typed = " ".join(view.digits.ljust(view.length, "_"))
    prompt = _t(lang, ("请输入 6 位预约号码", "Type your 6-digit code"))
    note = _t(lang, view.note)
    scan = _t(lang, ("或在读卡口扫描二维码", "Or scan its QR code at the reader"))
    # Why the last code was not taken, in place of the hint to scan: what matters now.
    last: Row = (note, 22, GOLD) if note else (scan, 18, WHITE)
    b.text([(prompt, 22, WHITE), (typed, 44, WHITE), last], words_box,
           say=[prompt, _t(lang, (f"已输入 {len(view.digits)} 位",
                                  f"{len(view.digits)} of {view.length} digits typed")), last[0]])
    return b.build("code", NAVY)


_TONES = {"normal": (NAVY, WHITE), "fault": (RED, WHITE), "night": (BLACK, DIM)}


def _message(b: _Builder, view: MessageView, lang: str) -> Layout:
    p = b.panel
    background, ink = _TONES[view.tone]
    bottom = b.bottom_bar(_t(lang, ("返回首页", "Home")) if view.home_button else None) - b.gap
    rows: list[Row] = [(_t(lang, view.title), 40, ink)]
    rows += [(_t(lang, line), 24, ink) for line in view.lines]
    b.text(rows, (b.gap, b.gap, p.width - b.gap, bottom))
    return b.build(view.name, background)
