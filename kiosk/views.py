"""What each kiosk screen shows, as plain data: no geometry, no pixels, no devices.

:mod:`branchq.kiosk.layout` turns a view into rectangles; :mod:`branchq.kiosk.screens` draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

from branchq.kiosk.messages import (
    HELP_AGAIN,
    HELP_COMING,
    HELP_QUEUED,
    HELP_QUEUED_LINE,
    HELP_TOLD,
    HELP_WAIT,
    CustomerMessage,
    staff_line,
)

Text = tuple[str, str]  # (Chinese, English)


@dataclass(frozen=True)
class ServiceTile:
    key: str
    name_zh: str
    name_en: str
    kind: str  # counter | self_service
    # The queue's wait in the host's words (WaitView: "前面 2 人，约 4 分钟"); "" when unknown.
    wait_zh: str = ""
    wait_en: str = ""


@dataclass(frozen=True)
class HomeView:
    branch_zh: str
    branch_en: str
    services: tuple[ServiceTile, ...]
    notices: tuple[str, ...] = ()
    offline: bool = False
    vip_armed: bool = False  # a recognised VIP card was swiped: the next ticket is VIP

    @property
    def tiles(self) -> tuple[ServiceTile, ...]:
        # VIP is by card, not a button anyone can press.
        return tuple(s for s in self.services if s.key != "vip")


@dataclass(frozen=True)
class GreenView:
    services: tuple[ServiceTile, ...]

    @property
    def tiles(self) -> tuple[ServiceTile, ...]:
        return tuple(s for s in self.services if s.kind == "counter" and s.key != "vip")


@dataclass(frozen=True)
class TicketView:
    number: str
    service_zh: str
    service_en: str
    wait_zh: str  # the host's wording of the wait; offline tickets: the catalogue's T01
    wait_en: str
    priority: str
    offline: bool
    # An appointment's or a remote ticket's words under the number ("您来早了，请稍候…").
    note_zh: str = ""
    note_en: str = ""


@dataclass(frozen=True)
class CodeView:
    """The keypad screen of "我有预约 / I have an appointment": the customer types the 6-digit
    code of an appointment or of a remote ticket (docs/kiosk-messages.md, A01-A08)."""

    digits: str  # typed so far
    length: int = 6
    note: Text = ("", "")  # why the last code was not taken (wrong code, too short)


@dataclass(frozen=True)
class MessageView:
    """A screen of text: a title, lines, and perhaps a button home."""

    name: str
    title: Text
    lines: tuple[Text, ...]
    tone: str = "normal"  # normal | fault | night
    home_button: bool = False


def printing_view() -> MessageView:
    return MessageView("printing", ("正在出票…", "Printing your ticket…"),
                       (("请稍候", "One moment please"),))


def guidance_view(text_zh: str, text_en: str) -> MessageView:
    return MessageView("guidance", ("请到自助服务区", "Please go to the self-service area"),
                       ((text_zh, text_en), ("请取指引单", "Please take your guidance slip")),
                       home_button=True)


def out_of_service_view(message: CustomerMessage) -> MessageView:
    return MessageView("out_of_service", (message.title_zh, message.title_en),
                       ((message.text_zh, message.text_en), staff_line(message)), tone="fault")


def notice_view(message: CustomerMessage) -> MessageView:
    lines = [(message.text_zh, message.text_en)]
    if message.ask_staff:
        lines.append(staff_line(message))
    return MessageView("message", (message.title_zh, message.title_en), tuple(lines),
                       home_button=True)


def closed_view(hours: str) -> MessageView:
    lines = ((f"营业时间 {hours}", f"Opening hours {hours}"),) if hours else ()
    return MessageView("closed", ("本网点已停止营业", "This branch is closed"), lines, tone="night")


def help_view(state: str, again: bool) -> MessageView:
    """The help screen: the call for help ``queued`` (the host is unreachable), ``told`` (the
    host has it) or ``acknowledged`` (a manager is on the way); ``again``: the customer pressed
    once more while it was open (no second alert is sent)."""
    title = {"queued": HELP_QUEUED, "told": HELP_TOLD, "acknowledged": HELP_COMING}[state]
    lines = [HELP_QUEUED_LINE if state == "queued" else HELP_WAIT]
    if again:
        lines.append(HELP_AGAIN)
    return MessageView("help", title, tuple(lines), home_button=True)


View = HomeView | GreenView | TicketView | CodeView | MessageView


@dataclass(frozen=True)
class Assist:
    """The customer's aids, drawn on every screen that takes taps: the "语音 / Voice" key (when
    voice guidance is on at this hour) and the large-text key (``large``: the text is doubled)."""

    voice: bool = False
    large: bool = False
    keys: bool = True  # no keys while a ticket prints: taps are ignored then
