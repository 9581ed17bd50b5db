"""Where everything goes on every kiosk screen: one pure function from (view, language, panel,
page) to touch targets and labels with their rectangles.

The renderer (:mod:`branchq.kiosk.screens`) draws exactly this :class:`Layout` and the tap handler hits
exactly its targets, so what the customer sees is what a tap does. Text is measured with the
real font and shrunk or wrapped to fit its box; touch targets are at least 15 mm on the panel;
when the services do not fit, the grid shows pages with "previous" and "next" buttons. The
property test (tests/kiosk/test_layout.py) checks every screen at every supported panel.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from branchq.drivers.printer.textwrap_cjk import wrap
from branchq.kiosk.views import GreenView, HomeView, MessageView, ServiceTile, TicketView, View

log = logging.getLogger("branchq.kiosk.layout")

Box = tuple[int, int, int, int]
Color = tuple[int, int, int]
Row = tuple[str, float, Color]  # a piece of text, its size in px, its colour
Tile = tuple[str, Color, list[tuple[str, float]]]  # a button: key, colour, (text, size) lines

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

    def target_at(self, x: int, y: int) -> str | None:
        return next((t.key for t in self.targets if t.hit(x, y)), None)

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
        left, top, right, bottom = self.font(size).getbbox(text, anchor="mm")
        return float(left), float(top), float(right), float(bottom)

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
    """Collects one screen's pieces; sizes in px derived from the panel."""

    def __init__(self, panel: Panel, ts: Typesetter) -> None:
        self.panel, self.ts = panel, ts
        self.u = panel.unit
        self.gap = max(6, round(10 * self.u))
        self.min_text = max(12, round(MIN_TEXT_MM * panel.px_per_mm))
        self.bands: list[tuple[Box, Color]] = []
        self.labels: list[Label] = []
        self.targets: list[Target] = []

    def px(self, value: float) -> int:
        return round(value * self.u)

    def text(self, rows: Sequence[Row], box: Box, max_lines: int = 2) -> None:
        """Free text (outside any button): rows one under another in ``box``."""
        rows = [(text, self.px(size), color) for text, size, color in rows]
        self.labels += self.ts.fit(rows, _inset(box, self.px(6), 0), self.min_text, max_lines)

    def target(self, key: str, box: Box, color: Color, lines: Sequence[tuple[str, float]]) -> None:
        """A button with lines of text (text, size at unit scale) inside it."""
        rows = [(text, self.px(size), WHITE) for text, size in lines]
        labels = self.ts.fit(rows, _inset(box, self.px(8), self.px(4)), self.min_text)
        self.targets.append(Target(key, box, color, labels))

    def header(self, lang: str, title: str) -> int:
        """Title bar with the language button; returns its height."""
        p, u = self.panel, self.u
        bar = max(self.px(64), p.min_target + 2 * self.px(5))
        self.bands.append(((0, 0, p.width, bar), HEADER))
        toggle = _t(lang, ("English", "中文"))
        toggle_w = max(p.min_target, math.ceil(self.ts.ink(toggle, self.px(22))[2] * 2)
                       + self.px(32))
        box = (p.width - toggle_w - self.px(8), self.px(5), p.width - self.px(8), bar - self.px(5))
        self.target("lang", box, GREY, [(toggle, 22)])
        self.text([(title, 26, WHITE)], (round(10 * u), 0, box[0] - self.gap, bar))
        return bar

    def button_height(self, lines: Sequence[tuple[str, float]], width: int, max_lines: int = 2
                      ) -> int:
        """The least height of a button ``width`` wide holding ``lines`` (at the smallest text)
        and at least the minimum touch target."""
        rows = [(text, self.px(size), WHITE) for text, size in lines]
        inner = self.ts.needed_height(rows, width - 2 * self.px(8), self.min_text, max_lines)
        return max(self.panel.min_target, inner + 2 * self.px(4))

    def grid(self, region: Box, tiles: Sequence[Tile], page: int, max_cols: int, lang: str,
             max_h: int) -> tuple[int, int]:
        """Place buttons in ``region``, in one column or ``max_cols``; pages when they do not
        fit. Every row is tall enough for the wordiest button. Returns (page, pages)."""
        p, gap = self.panel, self.gap
        x0, y0, x1, y1 = region

        def arrange(box: Box, cols: int) -> tuple[int, int]:
            """(rows that fit in ``box``, row height) with ``cols`` columns."""
            cell_w = (box[2] - box[0] - gap * (cols - 1)) // cols
            min_h = min(box[3] - box[1], max(self.button_height(lines, cell_w)
                                             for _, _, lines in tiles))
            return max(1, (box[3] - box[1] + gap) // (min_h + gap)), min_h

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
        self.target("page:prev", prev_box, GREY,
                    [("◀", 30), (_t(lang, ("上一页", "Back")), 18), (where, 16)])
        self.target("page:next", next_box, GREY,
                    [("▶", 30), (_t(lang, ("下一页", "More")), 18), (where, 16)])
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
                      tuple(self.labels), tuple(self.targets), page, pages)


# -- screens -------------------------------------------------------------------------------------


def layout_screen(view: View, lang: str, panel: Panel, ts: Typesetter, page: int = 0) -> Layout:
    """The layout of ``view`` in ``lang`` ("zh" or "en") on ``panel``; ``page`` for long lists
    (any integer: it wraps around)."""
    b = _Builder(panel, ts)
    if isinstance(view, HomeView):
        return _home(b, view, lang, page)
    if isinstance(view, GreenView):
        return _green(b, view, lang, page)
    if isinstance(view, TicketView):
        return _ticket(b, view, lang)
    return _message(b, view, lang)


def _home(b: _Builder, view: HomeView, lang: str, page: int) -> Layout:
    p, gap = b.panel, b.gap
    top = b.header(lang, _t(lang, (view.branch_zh, view.branch_en))) + gap
    notices = list(view.notices)
    if view.offline:
        notices.insert(0, _t(lang, ("网络中断：仍可取号", "Network down: tickets still issued")))
    if notices:
        text = "  ·  ".join(notices)
        needed = b.ts.needed_height([(text, b.px(20), BLACK)], p.width - 2 * gap - b.px(12),
                                    b.min_text, max_lines=3)
        band = max(b.px(44), needed + b.px(8))
        b.bands.append(((0, top, p.width, top + band), GOLD))
        b.text([(text, 20, BLACK)], (gap, top, p.width - gap, top + band), max_lines=3)
        top += band + gap
    hint_h = b.px(34)
    green_h = max(p.min_target, b.px(80))
    green_box = (gap, p.height - hint_h - green_h, p.width - gap, p.height - hint_h)
    b.target("green", green_box, GREEN,
             [(_t(lang, ("绿色通道 · 老年人及需要帮助的客户",
                         "Green channel · seniors and customers needing help")), 28)])
    hint = ("贵宾客户请刷卡", "VIP customers: please swipe your card")
    if view.vip_armed:
        hint = ("已识别贵宾卡：请选择业务", "VIP card recognised: choose a service")
    b.text([(_t(lang, hint), 18, GOLD)], (0, p.height - hint_h, p.width, p.height), max_lines=1)

    def tile(service: ServiceTile) -> Tile:
        if service.kind == "self_service":
            detail = _t(lang, ("自助设备，无需排队", "Self-service, no queue"))
        else:
            detail = _t(lang, (service.wait_zh, service.wait_en))
        color = BLUE if service.kind == "counter" else GREY
        name = _t(lang, (service.name_zh, service.name_en))
        return f"service:{service.key}", color, [(name, 30), (detail, 18)]

    region = (gap, top, p.width - gap, green_box[1] - gap)
    shown, pages = b.grid(region, [tile(s) for s in view.tiles], page, 1 if p.portrait else 2,
                          lang, b.px(150))
    return b.build("home", NAVY, shown, pages)


def _green(b: _Builder, view: GreenView, lang: str, page: int) -> Layout:
    p, gap = b.panel, b.gap
    top = b.header(lang, _t(lang, ("绿色通道", "Green channel"))) + gap
    prompt_h = b.px(44)
    b.text([(_t(lang, ("优先为您办理，请选择业务：", "You will be served first. Choose a service:")),
             24, WHITE)], (gap, top, p.width - gap, top + prompt_h))
    top += prompt_h + gap
    back_h = p.min_target
    back_w = max(p.min_target, p.width // 3)
    back_box = ((p.width - back_w) // 2, p.height - gap - back_h, (p.width + back_w) // 2,
                p.height - gap)
    b.target("cancel", back_box, GREY, [(_t(lang, ("返回首页", "Back")), 26)])

    tiles: list[Tile] = [(f"green:{s.key}", DARK_GREEN, [(_t(lang, (s.name_zh, s.name_en)), 28)])
                         for s in view.tiles]
    region = (gap * 2, top, p.width - gap * 2, back_box[1] - 2 * gap)
    shown, pages = b.grid(region, tiles, page, 1 if p.portrait else 2, lang, b.px(100))
    return b.build("green_confirm", GREEN, shown, pages)


def _bottom_button(b: _Builder, key: str, text: str) -> int:
    """A button centred at the bottom; returns its top edge."""
    p = b.panel
    h = max(p.min_target, b.px(70))
    w = max(p.min_target, p.width // 2)
    box = ((p.width - w) // 2, p.height - h - b.gap, (p.width + w) // 2, p.height - b.gap)
    b.target(key, box, GREY, [(text, 26)])
    return box[1]


def _ticket(b: _Builder, view: TicketView, lang: str) -> Layout:
    p = b.panel
    bottom = _bottom_button(b, "home", _t(lang, ("完成", "Done"))) - b.gap
    number_color = GOLD if view.priority == "vip" else WHITE
    b.text([
        (_t(lang, ("请取票", "Please take your ticket")), 30, WHITE),
        (view.number, 150, number_color),
        (_t(lang, (view.service_zh, view.service_en)), 30, WHITE),
        (_t(lang, (view.wait_zh, view.wait_en)), 26, WHITE),
    ], (b.gap, b.gap, p.width - b.gap, bottom))
    return b.build("ticket", GREEN if view.priority == "green" else NAVY)


_TONES = {"normal": (NAVY, WHITE), "fault": (RED, WHITE), "night": (BLACK, DIM)}


def _message(b: _Builder, view: MessageView, lang: str) -> Layout:
    p = b.panel
    background, ink = _TONES[view.tone]
    bottom = p.height - b.gap
    if view.home_button:
        bottom = _bottom_button(b, "home", _t(lang, ("返回首页", "Home"))) - b.gap
    rows: list[Row] = [(_t(lang, view.title), 40, ink)]
    rows += [(_t(lang, line), 24, ink) for line in view.lines]
    b.text(rows, (b.gap, b.gap, p.width - b.gap, bottom))
    return b.build(view.name, background)
