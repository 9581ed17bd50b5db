"""Kiosk screens drawn with Pillow: what the customer sees, and where each button is.

Every screen is a :class:`Frame`: an image for the framebuffer and the buttons on it, so the
touch handler can tell what a tap hit. Nothing here talks to a device or the host; screens are
drawn from plain view data, in Chinese or English, landscape or portrait.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger("branchq.kiosk.screens")

Box = tuple[int, int, int, int]

NAVY = (11, 31, 58)
WHITE = (255, 255, 255)
BLUE = (21, 101, 192)
GREEN = (27, 127, 59)
GOLD = (255, 214, 0)
RED = (183, 28, 28)
GREY = (90, 100, 115)
BLACK = (0, 0, 0)
DIM = (120, 120, 120)
MIN_TARGET_MM = 15.0


@dataclass(frozen=True)
class Button:
    key: str
    box: Box

    def hit(self, x: int, y: int) -> bool:
        x0, y0, x1, y1 = self.box
        return x0 <= x < x1 and y0 <= y < y1


@dataclass
class Frame:
    name: str
    image: Image.Image
    buttons: list[Button] = field(default_factory=list)

    def button_at(self, x: int, y: int) -> str | None:
        return next((b.key for b in self.buttons if b.hit(x, y)), None)


@dataclass(frozen=True)
class ServiceTile:
    key: str
    name_zh: str
    name_en: str
    kind: str  # counter | self_service
    waiting: int | None = None
    wait_s: int | None = None


@dataclass(frozen=True)
class HomeView:
    branch_zh: str
    branch_en: str
    services: tuple[ServiceTile, ...]
    notices: tuple[str, ...] = ()
    offline: bool = False
    vip_armed: bool = False  # a recognised VIP card was swiped: the next ticket is VIP


@dataclass(frozen=True)
class TicketView:
    number: str
    service_zh: str
    service_en: str
    people_ahead: int | None
    wait_s: int | None
    priority: str
    offline: bool


def _text(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _minutes(lang: str, wait_s: int | None) -> str:
    if wait_s is None:
        return ""
    if wait_s == 0:
        return _text(lang, "无需等候", "no wait")
    minutes = max(1, round(wait_s / 60))
    return _text(lang, f"约 {minutes} 分钟", f"about {minutes} min")


class ScreenRenderer:
    """Draws frames for one screen geometry."""

    def __init__(self, width: int, height: int, width_mm: float, font_path: Path) -> None:
        self.width, self.height = width, height
        self.px_per_mm = width / width_mm
        self.min_target = int(MIN_TARGET_MM * self.px_per_mm + 0.5)
        self.font_path = font_path
        self.portrait = height > width
        self.unit = min(width, height) / 480  # type scale: 1.0 on a 800x480 screen
        self.header_height = max(int(64 * self.unit), self.min_target + 8)

    # -- primitives ---------------------------------------------------------------------------
    def font(self, size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        return _load_font(str(self.font_path), max(8, int(size * self.unit)))

    def _canvas(self, background: tuple[int, int, int] = NAVY) -> tuple[Image.Image, ImageDraw.ImageDraw]:
        image = Image.new("RGB", (self.width, self.height), background)
        return image, ImageDraw.Draw(image)

    def _centered(self, draw: ImageDraw.ImageDraw, box: Box, text: str, size: float,
                  fill: tuple[int, int, int] = WHITE) -> None:
        font = self.font(size)
        while size > 10 and draw.textlength(text, font=font) > box[2] - box[0] - 16:
            size *= 0.9
            font = self.font(size)
        draw.text(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), text, font=font, fill=fill,
                  anchor="mm")

    def _button(self, draw: ImageDraw.ImageDraw, key: str, box: Box, lines: list[tuple[str, float]],
                color: tuple[int, int, int]) -> Button:
        x0, y0, x1, y1 = box
        # Never smaller than the minimum touch target, whatever the screen.
        x1, y1 = max(x1, x0 + self.min_target), max(y1, y0 + self.min_target)
        draw.rounded_rectangle((x0, y0, x1, y1), radius=int(12 * self.unit), fill=color,
                               outline=WHITE, width=2)
        total = sum(size for _, size in lines) * self.unit * 1.15
        y = (y0 + y1) / 2 - total / 2
        for text, size in lines:
            h = size * self.unit * 1.15
            self._centered(draw, (x0, int(y), x1, int(y + h)), text, size)
            y += h
        return Button(key, (x0, y0, x1, y1))

    def _header(self, draw: ImageDraw.ImageDraw, lang: str, title: str) -> list[Button]:
        bar = self.header_height
        draw.rectangle((0, 0, self.width, bar), fill=(6, 18, 36))
        draw.text((int(16 * self.unit), bar // 2), title, font=self.font(26), fill=WHITE, anchor="lm")
        toggle_w = max(self.min_target, int(130 * self.unit))
        box = (self.width - toggle_w - 8, 4, self.width - 8, bar - 4)
        return [self._button(draw, "lang", box, [(_text(lang, "English", "中文"), 22)], GREY)]

    # -- screens ------------------------------------------------------------------------------
    def home(self, view: HomeView, lang: str) -> Frame:
        image, draw = self._canvas()
        buttons = self._header(draw, lang, _text(lang, view.branch_zh, view.branch_en))
        top = self.header_height + int(8 * self.unit)
        notices = list(view.notices)
        if view.offline:
            notices.insert(0, _text(lang, "网络中断：仍可取号", "Network down: tickets still issued"))
        if notices:
            band = int(40 * self.unit)
            draw.rectangle((0, top, self.width, top + band), fill=GOLD)
            self._centered(draw, (0, top, self.width, top + band), "  ·  ".join(notices), 20, BLACK)
            top += band + int(8 * self.unit)
        hint_h = int(34 * self.unit)
        green_h = max(self.min_target, int(86 * self.unit))
        bottom = self.height - hint_h - green_h - int(16 * self.unit)
        tiles = [s for s in view.services if s.key != "vip"]
        cols = 1 if self.portrait else 2
        rows = max(1, -(-len(tiles) // cols))
        gap = int(10 * self.unit)
        cell_w = (self.width - gap * (cols + 1)) // cols
        cell_h = max(self.min_target, (bottom - top - gap * rows) // rows)
        for i, tile in enumerate(tiles):
            r, c = divmod(i, cols)
            x0 = gap + c * (cell_w + gap)
            y0 = top + r * (cell_h + gap)
            detail = ""
            if tile.kind == "self_service":
                detail = _text(lang, "自助设备，无需排队", "Self-service, no queue")
            elif tile.waiting is not None:
                detail = _text(lang, f"等候 {tile.waiting} 人", f"{tile.waiting} waiting")
                wait = _minutes(lang, tile.wait_s)
                detail += f" · {wait}" if wait else ""
            color = BLUE if tile.kind == "counter" else GREY
            buttons.append(self._button(draw, f"service:{tile.key}", (x0, y0, x0 + cell_w, y0 + cell_h),
                                        [(_text(lang, tile.name_zh, tile.name_en), 30), (detail, 18)],
                                        color))
        gy = self.height - hint_h - green_h - int(8 * self.unit)
        buttons.append(self._button(
            draw, "green", (gap, gy, self.width - gap, gy + green_h),
            [(_text(lang, "绿色通道 · 老年人及需要帮助的客户",
                    "Green channel · seniors and customers needing help"), 28)],
            GREEN))
        hint = _text(lang, "贵宾客户请刷卡", "VIP customers: please swipe your card")
        if view.vip_armed:
            hint = _text(lang, "已识别贵宾卡：请选择业务", "VIP card recognised: choose a service")
        self._centered(draw, (0, self.height - hint_h, self.width, self.height), hint, 18, GOLD)
        return Frame("home", image, buttons)

    def green_confirm(self, services: tuple[ServiceTile, ...], lang: str) -> Frame:
        image, draw = self._canvas(GREEN)
        buttons = self._header(draw, lang, _text(lang, "绿色通道", "Green channel"))
        top = self.header_height + int(12 * self.unit)
        self._centered(draw, (0, top, self.width, top + int(60 * self.unit)),
                       _text(lang, "优先为您办理，请选择业务：",
                             "You will be served first. Choose a service:"), 26)
        tiles = [s for s in services if s.kind == "counter" and s.key != "vip"]
        gap = int(12 * self.unit)
        y = top + int(70 * self.unit)
        cancel_h = max(self.min_target, int(70 * self.unit))
        avail = self.height - y - cancel_h - 2 * gap
        h = max(self.min_target, avail // max(1, len(tiles)) - gap)
        for tile in tiles:
            buttons.append(self._button(draw, f"green:{tile.key}", (gap * 4, y, self.width - gap * 4, y + h),
                                        [(_text(lang, tile.name_zh, tile.name_en), 28)], (20, 90, 40)))
            y += h + gap
        cy = self.height - cancel_h - gap
        buttons.append(self._button(draw, "cancel", (gap * 4, cy, self.width - gap * 4, cy + cancel_h),
                                    [(_text(lang, "返回", "Back"), 26)], GREY))
        return Frame("green_confirm", image, buttons)

    def message(self, name: str, lang: str, title: tuple[str, str], lines: list[tuple[str, str]],
                background: tuple[int, int, int] = NAVY, home_button: bool = False) -> Frame:
        image, draw = self._canvas(background)
        self._centered(draw, (0, int(60 * self.unit), self.width, int(150 * self.unit)),
                       _text(lang, *title), 40)
        y = int(170 * self.unit)
        for zh, en in lines:
            self._centered(draw, (0, y, self.width, y + int(40 * self.unit)), _text(lang, zh, en), 24)
            y += int(44 * self.unit)
        buttons = []
        if home_button:
            h = max(self.min_target, int(70 * self.unit))
            box = (self.width // 4, self.height - h - 12, 3 * self.width // 4, self.height - 12)
            buttons.append(self._button(draw, "home", box, [(_text(lang, "返回首页", "Home"), 26)], GREY))
        return Frame(name, image, buttons)

    def printing(self, lang: str) -> Frame:
        return self.message("printing", lang, ("正在出票…", "Printing your ticket…"),
                            [("请稍候", "One moment please")])

    def ticket(self, view: TicketView, lang: str) -> Frame:
        background = GREEN if view.priority == "green" else NAVY
        image, draw = self._canvas(background)
        self._centered(draw, (0, int(20 * self.unit), self.width, int(80 * self.unit)),
                       _text(lang, "请取票", "Please take your ticket"), 30)
        self._centered(draw, (0, int(80 * self.unit), self.width, int(250 * self.unit)),
                       view.number, 150, GOLD if view.priority == "vip" else WHITE)
        self._centered(draw, (0, int(250 * self.unit), self.width, int(300 * self.unit)),
                       _text(lang, view.service_zh, view.service_en), 30)
        if view.offline:
            info = _text(lang, "离线出票：请留意叫号", "Issued offline: please watch the display")
        else:
            info = _text(lang, f"前面还有 {view.people_ahead} 人", f"{view.people_ahead} ahead of you")
            wait = _minutes(lang, view.wait_s)
            info += f" · {wait}" if wait else ""
        self._centered(draw, (0, int(310 * self.unit), self.width, int(360 * self.unit)), info, 26)
        h = max(self.min_target, int(70 * self.unit))
        box = (self.width // 4, self.height - h - 12, 3 * self.width // 4, self.height - 12)
        buttons = [self._button(draw, "home", box, [(_text(lang, "完成", "Done"), 26)], GREY)]
        return Frame("ticket", image, buttons)

    def guidance(self, text_zh: str, text_en: str, lang: str) -> Frame:
        return self.message("guidance", lang, ("请到自助服务区", "Please go to the self-service area"),
                            [(text_zh, text_en), ("请取指引单", "Please take your guidance slip")],
                            home_button=True)

    def out_of_service(self, reason_zh: str, reason_en: str, lang: str) -> Frame:
        return self.message("out_of_service", lang, ("暂停取号", "Out of service"),
                            [(reason_zh, reason_en), ("请联系大堂经理", "Please see the lobby manager")],
                            background=RED)

    def closed(self, hours: str, lang: str) -> Frame:
        # Mostly black: easy on a backlight dimmed for the night.
        image, draw = self._canvas(BLACK)
        self._centered(draw, (0, self.height // 2 - int(60 * self.unit), self.width, self.height // 2),
                       _text(lang, "本网点已停止营业", "This branch is closed"), 34, DIM)
        self._centered(draw, (0, self.height // 2, self.width, self.height // 2 + int(50 * self.unit)),
                       _text(lang, f"营业时间 {hours}", f"Opening hours {hours}"), 24, DIM)
        return Frame("closed", image, [])


@lru_cache(maxsize=64)
def _load_font(path: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        log.warning("font %s not found: Chinese text cannot be shown (install fonts-wqy-microhei)",
                    path)
        return ImageFont.load_default(size)
