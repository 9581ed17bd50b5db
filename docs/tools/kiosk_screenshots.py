"""Regenerate the kiosk's pictures in docs/ on purpose (``make screenshots``); tests never write
there. Look at every image before committing it.

* Kiosk screens: docs/screenshots/kiosk-<screen>-<zh|en>-<WxH>.png, drawn by the kiosk's own
  renderer from the demo branch's services, with waits worded by the host's describe_wait.
* Paper: docs/ticket-raster-zh.png and docs/ticket-text-zh.png, the same ticket printed in each
  Chinese mode through the real driver and rendered by the virtual printer that decoded the bytes.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script from the Makefile: the repository's packages

from branchq.drivers.printer import PrinterConfig, Priority, TicketContent, TicketPrinter  # noqa: E402
from branchq.drivers.printer.layout import ticket_layout  # noqa: E402
from branchq.drivers.printer.virtual_printer import VirtualPrinter  # noqa: E402
from branchq.host.insight.wait_text import describe_wait  # noqa: E402
from branchq.kiosk.config import load_kiosk_config  # noqa: E402
from branchq.kiosk.layout import SUPPORTED_PANELS  # noqa: E402
from branchq.kiosk.messages import message  # noqa: E402
from branchq.kiosk.screens import ScreenRenderer  # noqa: E402
from branchq.kiosk.views import (  # noqa: E402
    CodeView,
    GreenView,
    HomeView,
    ServiceTile,
    TicketView,
    View,
    closed_view,
    guidance_view,
    help_view,
    out_of_service_view,
    printing_view,
)

DOCS = ROOT / "docs"
SCREEN_SIZES = ("800x480", "1280x800")


def _tile(key: str, zh: str, en: str, ahead: int, estimate_s: int | None, free: bool
          ) -> ServiceTile:
    wait = describe_wait(ahead, estimate_s, free)
    return ServiceTile(key, zh, en, "counter", wait.text_zh, wait.text_en)


def kiosk_views(lang: str) -> list[View]:
    """The demo branch mid-morning (host/example-branch.toml)."""
    tiles = (
        _tile("cash", "现金业务", "Cash deposit / withdrawal", 12, 900, False),
        _tile("noncash", "非现金业务", "Non-cash services", 3, 240, False),
        ServiceTile("vip", "贵宾业务", "VIP", "counter"),
        _tile("wealth", "理财业务", "Wealth management", 0, 0, True),
        ServiceTile("atm_small", "小额取款 / 余额查询", "Small withdrawal / balance query",
                    "self_service"),
    )
    notice = "2 号自动柜员机暂停服务" if lang == "zh" else "ATM 2 out of service"
    wait = describe_wait(4, 960, False)
    return [
        HomeView("示例银行 人民路支行", "Example Bank, Renmin Road Branch", tiles, (notice,)),
        GreenView(tiles),
        printing_view(),
        TicketView("A023", "现金业务", "Cash deposit / withdrawal", wait.text_zh, wait.text_en,
                   "normal", False),
        CodeView("3182"),
        # An appointment checked in early, in the host's words (host/api/appointments.py).
        TicketView("C007", "理财业务", "Wealth management", wait.text_zh, wait.text_en, "normal",
                   False, "您来早了，预约时间 10:15 到时将优先叫号",
                   "You are early: you will be called at 10:15, ahead of walk-in customers"),
        guidance_view("请到自助服务区使用自动柜员机，大堂经理可协助您。",
                      "Please use the ATMs in the self-service area; the lobby manager can help "
                      "you."),
        out_of_service_view(message("P01")),
        closed_view("09:00-17:00"),
        help_view("acknowledged", False),
    ]


def kiosk_screens() -> None:
    font = load_kiosk_config(None).screen.font_path
    for size in SCREEN_SIZES:
        renderer = ScreenRenderer(SUPPORTED_PANELS[size], font)
        for lang in ("zh", "en"):
            for view in kiosk_views(lang):
                frame = renderer.frame(view, lang)
                name = "ticket-appointment" if isinstance(view, TicketView) and view.note_en \
                    else frame.name
                out = DOCS / "screenshots" / f"kiosk-{name}-{lang}-{size}.png"
                frame.image.save(out, optimize=True)
                sys.stdout.write(f"{out.relative_to(ROOT)}\n")


def paper() -> None:
    wait = describe_wait(5, 700, False)
    ticket = TicketContent(
        branch_name="示例银行 人民路支行", service_name_zh="现金业务",
        service_name_en="Cash deposit / withdrawal", number="A023",
        issued_at=datetime(2024, 5, 13, 9, 12, 5), status_url="http://127.0.0.1:8000/t/demo",
        priority=Priority.GREEN_CHANNEL, wait_zh=wait.text_zh, wait_en=wait.text_en,
        footer="请留意叫号 Please watch the display")
    for mode in ("raster", "text"):
        printer = TicketPrinter(PrinterConfig.from_mapping({
            "backend": {"kind": "file", "path": "/dev/null", "read_status": False},
            "chinese_mode": mode}))
        virtual = VirtualPrinter()
        virtual.feed(printer.build(ticket_layout(ticket, printer.config.width_dots)))
        virtual.finish()
        out = DOCS / f"ticket-{mode}-zh.png"
        virtual.save_png(out)
        sys.stdout.write(f"{out.relative_to(ROOT)}\n")


if __name__ == "__main__":
    kiosk_screens()
    paper()
