"""The kiosk layout cannot overlap: every screen, both languages, every supported panel, 1 to 8
services with and without self-service entries, in normal and in large text (with the Voice key).

Checked for each layout: targets do not overlap and are at least 15 mm on the panel; targets
and labels lie fully on screen; a label sits inside its button (or, outside buttons, over none);
the "需要帮助 / I need help" key is on every screen; no label is clipped — each is drawn with
the real font and its ink measured; nothing is cut with an ellipsis; every service can be
reached (pages when they do not fit); and a tap at any point of a target hits that target, as
the tap handler uses the same layout. Large text doubles the smallest text and holds at most
half the choices a page holds in normal text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from branchq.kiosk.config import load_kiosk_config
from branchq.kiosk.layout import CONTROLS, MIN_TEXT_MM, SUPPORTED_PANELS, Box, Label, Layout, Panel
from branchq.kiosk.messages import CATALOGUE, formatted
from branchq.kiosk.screens import ScreenRenderer
from branchq.kiosk.views import (
    Assist,
    CodeView,
    GreenView,
    HomeView,
    ServiceTile,
    TicketView,
    View,
    closed_view,
    guidance_view,
    help_view,
    notice_view,
    out_of_service_view,
    printing_view,
)

FONT = load_kiosk_config(None).screen.font_path

PANELS = SUPPORTED_PANELS

# Real service names of Chinese bank branches, the long ones on purpose.
COUNTERS = [
    ServiceTile("cash", "现金业务", "Cash deposit / withdrawal", "counter",
                "前面 12 人，约 15 分钟", "12 people ahead, about 15 min"),
    ServiceTile("noncash", "非现金业务", "Non-cash services", "counter",
                "您是下一位，约 4 分钟", "You are next, about 4 min"),
    ServiceTile("wealth", "理财业务", "Wealth management", "counter", "无需等候", "No wait"),
    ServiceTile("fx", "外汇及跨境汇款", "Foreign exchange and cross-border remittance", "counter",
                "暂无窗口办理，请咨询大堂经理",
                "No counter open for this now, please ask the lobby manager"),
    ServiceTile("loan", "个人贷款及按揭", "Personal loans and mortgages", "counter",
                "前面 1 人，约 8 分钟", "1 person ahead, about 8 min"),
    ServiceTile("pension", "养老金及社保卡业务", "Pension and social security card", "counter",
                "前面 38 人，约 95 分钟", "38 people ahead, about 95 min"),
    ServiceTile("business", "对公业务", "Business accounts", "counter",
                "前面 3 人，约 12 分钟", "3 people ahead, about 12 min"),
    ServiceTile("card", "开卡及挂失", "New cards and lost cards", "counter",
                "前面 2 人，约 6 分钟", "2 people ahead, about 6 min"),
]
SELF_SERVICE = [
    ServiceTile("atm_small", "小额取款 / 余额查询", "Small withdrawal / balance query",
                "self_service"),
    ServiceTile("bills", "自助缴费 / 存折补登", "Bill payment / passbook update", "self_service"),
]
VIP = ServiceTile("vip", "贵宾业务", "VIP", "counter")
LANGS = ("zh", "en")
COUNTS = range(1, 9)


def services(count: int, self_service: int) -> tuple[ServiceTile, ...]:
    """``count`` services, the last ``self_service`` of them self-service entries, plus VIP
    (which never gets a button)."""
    return (*COUNTERS[:count - self_service], *SELF_SERVICE[:self_service], VIP)


def mixes() -> Iterator[tuple[int, int]]:
    for count in COUNTS:
        for self_service in range(min(2, count) + 1):
            yield count, self_service


def home_views(tiles: tuple[ServiceTile, ...]) -> list[HomeView]:
    branch = ("示例银行 人民路支行", "Example Bank, Renmin Road Branch")
    return [
        HomeView(*branch, tiles),
        HomeView(*branch, tiles, ("2 号自动柜员机暂停服务，给您带来不便敬请谅解",
                                  "ATM 2 is out of service today, sorry for the inconvenience"),
                 offline=True, vip_armed=True),
    ]


def other_views() -> list[View]:
    views: list[View] = [printing_view(), closed_view("09:00-17:00"), closed_view(""),
                         guidance_view("请到自助服务区使用自动柜员机，大堂经理可协助您。",
                                       "Please use the ATMs in the self-service area; the "
                                       "lobby manager can help you.")]
    for priority, offline in (("normal", False), ("green", False), ("vip", False),
                              ("normal", True)):
        wait = ("请留意叫号", "Please watch the display") if offline else \
            ("前面 12 人，约 15 分钟", "12 people ahead, about 15 min")
        views.append(TicketView("A512" if offline else "A023", "外汇及跨境汇款",
                                "Foreign exchange and cross-border remittance", *wait, priority,
                                offline))
    for code in CATALOGUE:
        message = formatted(code, time="10:15", minutes=15, opens="09:15")
        views += [out_of_service_view(message), notice_view(message)]
    for code in ("A01", "A02", "A03", "A08"):  # an appointment's or a remote ticket's words
        note = formatted(code, time="10:15")
        views.append(TicketView("A023", "外汇及跨境汇款", "Foreign exchange and cross-border "
                                "remittance", "前面 12 人，约 15 分钟",
                                "12 people ahead, about 15 min", "normal", False,
                                note.text_zh, note.text_en))
    wrong = CATALOGUE["A04"]
    views += [CodeView(""), CodeView("12345"), CodeView("123456"),
              CodeView("", note=(wrong.title_zh, wrong.title_en)),
              CodeView("1", note=(wrong.text_zh, wrong.text_en))]
    views += [help_view(state, again) for state in ("queued", "told", "acknowledged")
              for again in (False, True)]
    return views


KEYPAD = {*(f"digit:{d}" for d in "0123456789"), "delete", "confirm", "cancel"}


def every_page(renderer: ScreenRenderer, view: View, lang: str, assist: Assist | None = None
               ) -> list[Layout]:
    first = renderer.layout(view, lang, 0, assist)
    return [first, *(renderer.layout(view, lang, page, assist) for page in range(1, first.pages))]


# -- the checks ----------------------------------------------------------------------------------


def overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(inner: Box, outer: Box) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] \
        and inner[3] <= outer[3]


def ink_box(renderer: ScreenRenderer, label: Label) -> Box | None:
    """Draw ``label`` alone with the renderer's own code and measure where its ink falls."""
    x0, y0, x1, y1 = label.box
    margin = label.size * 2
    canvas = Image.new("RGB", (x1 - x0 + 2 * margin, y1 - y0 + 2 * margin), (0, 0, 0))
    shifted = replace(label, box=(margin, margin, margin + x1 - x0, margin + y1 - y0),
                      color=(255, 255, 255))
    renderer.draw_label(ImageDraw.Draw(canvas), shifted)
    bbox = canvas.getbbox()
    if bbox is None:
        return None
    return bbox[0] - margin + x0, bbox[1] - margin + y0, bbox[2] - margin + x0, bbox[3] - margin + y0


def check(layout: Layout, panel: Panel, renderer: ScreenRenderer) -> None:
    where = f"{layout.name} page {layout.page + 1}/{layout.pages}"
    screen = (0, 0, panel.width, panel.height)
    targets = layout.targets
    for i, target in enumerate(targets):
        x0, y0, x1, y1 = target.box
        assert inside(target.box, screen), (where, target.key, target.box)
        assert (x1 - x0) / panel.px_per_mm >= 15 and (y1 - y0) / panel.px_per_mm >= 15, \
            (where, target.key, target.box)
        for other in targets[i + 1:]:
            assert not overlaps(target.box, other.box), (where, target.key, other.key)
        # What is drawn is what is hit: the corners and centre of the target hit it.
        for x, y in ((x0, y0), (x1 - 1, y1 - 1), ((x0 + x1) // 2, (y0 + y1) // 2)):
            assert layout.target_at(x, y) == target.key, (where, target.key, x, y)
        assert target.labels, (where, target.key, "a button without words")
        for label in target.labels:
            assert inside(label.box, target.box), (where, target.key, label)
    for label in layout.labels:
        assert inside(label.box, screen), (where, label)
        for target in targets:
            assert not overlaps(label.box, target.box), (where, label.text, target.key)
    every = [*layout.labels, *(label for t in targets for label in t.labels)]
    for i, label in enumerate(every):
        assert not label.cut, (where, "text cut", label.text)
        ink = ink_box(renderer, label)
        assert ink is not None, (where, "nothing drawn", label.text)
        assert inside(ink, label.box), (where, "clipped", label.text, ink, label.box)
        for other in every[i + 1:]:
            assert not overlaps(label.box, other.box), (where, label.text, other.text)
    if layout.large:  # the words of the screen at least twice the smallest normal text
        smallest = 2 * max(12, round(MIN_TEXT_MM * panel.px_per_mm))
        content = [*layout.labels, *(label for t in targets if t.key not in CONTROLS
                                     for label in t.labels)]
        assert all(label.size >= smallest for label in content), (where, smallest)


def choices(layout: Layout) -> int:
    return sum(1 for t in layout.targets if t.key.startswith(("service:", "green:")))


def check_halved(renderer: ScreenRenderer, view: View, lang: str, large: list[Layout]) -> None:
    """Large text holds at most half the choices per page (at least one)."""
    normal = renderer.layout(view, lang, 0, Assist(voice=True))
    assert max(choices(lay) for lay in large) <= max(1, choices(normal) // 2), \
        (large[0].name, [choices(lay) for lay in large], choices(normal))


def service_keys(layouts: list[Layout], prefix: str) -> list[str]:
    return [t.key.removeprefix(prefix) for lay in layouts for t in lay.targets
            if t.key.startswith(prefix)]


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("resolution", list(PANELS))
def test_no_screen_overlaps_clips_or_hides_a_service(resolution: str, lang: str, large: bool
                                                     ) -> None:
    panel = PANELS[resolution]
    renderer = ScreenRenderer(panel, FONT)
    assist = Assist(voice=True, large=large)
    checked = 0
    for count, self_service in mixes():
        tiles = services(count, self_service)
        for view in home_views(tiles):
            pages = every_page(renderer, view, lang, assist)
            for lay in pages:
                check(lay, panel, renderer)
            if large:
                check_halved(renderer, view, lang, pages)
            # "I have an appointment" on every page; every service but VIP has a button,
            # exactly once over all pages.
            assert all(any(t.key == "appointment" for t in lay.targets) for lay in pages)
            assert sorted(service_keys(pages, "service:")) == sorted(t.key for t in view.tiles)
            assert (len(pages) > 1) == any(t.key == "page:next" for t in pages[0].targets)
            checked += len(pages)
        green = GreenView(tiles)
        pages = every_page(renderer, green, lang, assist)
        for lay in pages:
            check(lay, panel, renderer)
            assert any(t.key == "cancel" for t in lay.targets)  # Back on every page
            assert {"voice", "large", "lang", "help"} <= {t.key for t in lay.targets}
        assert sorted(service_keys(pages, "green:")) == sorted(t.key for t in green.tiles)
        if large:
            check_halved(renderer, green, lang, pages)
        checked += len(pages)
    for view in other_views():
        lay = renderer.layout(view, lang, 0, assist)
        check(lay, panel, renderer)
        # The aids and the call for help on every screen.
        assert {"voice", "large", "help"} <= {t.key for t in lay.targets}
        if isinstance(view, CodeView):  # the whole keypad, and Back
            assert KEYPAD <= {t.key for t in lay.targets}
        checked += 1
    assert checked >= 23 * 3 + len(other_views())  # 23 service mixes x (2 home + 1 green)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    resolution=st.sampled_from(list(PANELS)),
    lang=st.sampled_from(LANGS),
    picks=st.lists(st.sampled_from(COUNTERS + SELF_SERVICE), min_size=1, max_size=8,
                   unique_by=lambda t: t.key),
    page=st.integers(-20, 20),
    assist=st.builds(Assist, voice=st.booleans(), large=st.booleans(), keys=st.booleans()),
)
def test_any_mix_of_services_on_any_page(resolution: str, lang: str, picks: list[ServiceTile],
                                         page: int, assist: Assist) -> None:
    panel = PANELS[resolution]
    renderer = ScreenRenderer(panel, FONT)
    for view in (HomeView("示例银行", "Example Bank", tuple(picks)), GreenView(tuple(picks))):
        lay = renderer.layout(view, lang, page, assist)
        assert 0 <= lay.page < lay.pages
        check(lay, panel, renderer)


def test_back_on_the_green_channel_screen_is_not_under_a_service_at_800x480() -> None:
    """The bug seen: the third service button (y 348-426) lay under Back (y 390-468)."""
    panel = PANELS["800x480"]
    renderer = ScreenRenderer(panel, FONT)
    demo = (*COUNTERS[:3], VIP, SELF_SERVICE[0])
    for lang in LANGS:
        layout = renderer.layout(GreenView(demo), lang)
        back = next(t for t in layout.targets if t.key == "cancel")
        assert {t.key for t in layout.targets} >= {"green:cash", "green:noncash", "green:wealth"}
        for target in layout.targets:
            if target is not back:
                assert not overlaps(back.box, target.box), target.key
        x0, y0, x1, y1 = back.box
        assert layout.target_at((x0 + x1) // 2, (y0 + y1) // 2) == "cancel"


def test_the_frame_is_drawn_from_the_layout_the_taps_use() -> None:
    panel = PANELS["800x480"]
    renderer = ScreenRenderer(panel, FONT)
    frame = renderer.frame(HomeView("示例银行", "Example Bank", services(4, 1)), "zh")
    assert frame.image.size == (800, 480)
    for target in frame.layout.targets:
        x0, y0, x1, y1 = target.box
        # The button's colour is on screen just inside its corner, where no text is drawn.
        assert frame.image.getpixel((x0 + 6, (y0 + y1) // 2)) == target.color, target.key
        assert frame.button_at((x0 + x1) // 2, y1 - 2) == target.key
