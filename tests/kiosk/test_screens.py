"""Kiosk screens in Chinese and English at the supported resolutions: rendered, checked for
touch-target size, and saved to docs/screenshots/ (the README shows the home screen)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import load_kiosk_config
from kiosk.screens import Frame, HomeView, ScreenRenderer, ServiceTile, TicketView

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
FONT = load_kiosk_config(None).screen.font_path
TILES = (
    ServiceTile("cash", "现金业务", "Cash deposit / withdrawal", "counter", 12, 900),
    ServiceTile("noncash", "非现金业务", "Non-cash services", "counter", 3, 240),
    ServiceTile("vip", "贵宾业务", "VIP", "counter", 0, 0),
    ServiceTile("wealth", "理财业务", "Wealth management", "counter", 0, 0),
    ServiceTile("atm_small", "小额取款 / 余额查询", "Small withdrawal / balance query", "self_service"),
)
SIZES = [(800, 480, 154), (1280, 800, 217), (480, 800, 86)]  # 7", 10", 7" portrait


def screens(r: ScreenRenderer, lang: str) -> list[Frame]:
    home = HomeView("示例银行 人民路支行", "Example Bank, Renmin Road Branch", TILES,
                    ("2 号自动柜员机暂停服务",) if lang == "zh" else ("ATM 2 out of service",))
    return [
        r.home(home, lang),
        r.green_confirm(TILES, lang),
        r.printing(lang),
        r.ticket(TicketView("A023", "现金业务", "Cash deposit / withdrawal", 4, 960, "normal", False),
                 lang),
        r.ticket(TicketView("A512", "现金业务", "Cash deposit / withdrawal", None, None, "green", True),
                 lang),
        r.guidance("请到自助服务区使用自动柜员机。", "Please use the ATMs in the self-service area.", lang),
        r.out_of_service("打印纸用完", "The ticket printer is out of paper", lang),
        r.closed("09:00-17:00", lang),
    ]


@pytest.mark.parametrize("width,height,width_mm", SIZES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_screen_renders_with_targets_of_15_mm(width: int, height: int, width_mm: float,
                                                    lang: str) -> None:
    r = ScreenRenderer(width, height, width_mm, FONT)
    px_per_mm = width / width_mm
    names = []
    for frame in screens(r, lang):
        assert frame.image.size == (width, height)
        for b in frame.buttons:
            x0, y0, x1, y1 = b.box
            assert (x1 - x0) / px_per_mm >= 15 and (y1 - y0) / px_per_mm >= 15, (frame.name, b)
            assert 0 <= x0 and x1 <= width and 0 <= y0 and y1 <= height, (frame.name, b)
        names.append(frame.name)
        if (width, height) != (480, 800) and frame.name not in names[:-1]:
            DOCS.mkdir(parents=True, exist_ok=True)
            frame.image.save(DOCS / f"kiosk-{frame.name}-{lang}-{width}x{height}.png", optimize=True)
    home = screens(r, lang)[0]
    keys = [b.key for b in home.buttons]
    assert "service:vip" not in keys  # VIP is by card, not a button anyone can press
    assert {"lang", "green", "service:cash", "service:atm_small"} <= set(keys)


def test_buttons_do_not_overlap_on_the_home_screen() -> None:
    frame = screens(ScreenRenderer(800, 480, 154, FONT), "zh")[0]
    boxes = [b.box for b in frame.buttons]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
