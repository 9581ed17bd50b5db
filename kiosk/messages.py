"""Everything the kiosk says to a customer when something is not normal, in one catalogue.

Each message is bilingual (Chinese first), plain and kind, and carries a short code the lobby
manager can read to the technician ("P02"); docs/kiosk-messages.md lists the codes. The text of
an exception never reaches the screen: the cause goes to the log, the customer gets a message
from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from branchq.drivers.printer.status import Fault


@dataclass(frozen=True)
class CustomerMessage:
    code: str
    title_zh: str
    title_en: str
    text_zh: str
    text_en: str
    # Whether to add "please see the lobby manager (code ...)": not for plain information.
    ask_staff: bool = True


def _m(code: str, title: tuple[str, str], text: tuple[str, str], ask_staff: bool = True
       ) -> CustomerMessage:
    return CustomerMessage(code, title[0], title[1], text[0], text[1], ask_staff)


_OUT = ("暂停取号", "Tickets paused")

CATALOGUE: dict[str, CustomerMessage] = {m.code: m for m in (
    _m("P01", _OUT, ("打印纸用完了", "The ticket printer has run out of paper")),
    _m("P02", _OUT, ("打印机盖没有关好", "The ticket printer's cover is open")),
    _m("P03", _OUT, ("打印机出了故障（切纸或打印头）",
                     "The ticket printer has a fault (cutter or print head)")),
    _m("P04", _OUT, ("打印机暂时停止工作", "The ticket printer has paused")),
    _m("P05", _OUT, ("打印机没有响应", "The ticket printer is not responding")),
    _m("N01", _OUT, ("暂时连不上网点系统", "The kiosk cannot reach the branch system just now")),
    _m("N02", _OUT, ("网络中断，今天的离线号码已用完",
                     "The network is down and the kiosk has no offline numbers left today")),
    _m("H01", ("暂时无法取号", "No ticket just now"),
       ("很抱歉，现在无法为您取号", "Sorry, we cannot issue a ticket just now")),
    _m("H02", ("请到贵宾窗口", "Please see the VIP desk"),
       ("贵宾号需要识别贵宾卡", "VIP tickets need a recognised VIP card")),
    _m("K01", ("请稍候", "One moment please"),
       ("取号较多，请稍等片刻再取", "Many tickets were just taken: please try again in a moment"),
       ask_staff=False),
    _m("T01", ("离线出票", "Issued offline"),
       ("请留意叫号", "Please watch the display"), ask_staff=False),
    # Appointments and remote tickets (docs/kiosk-messages.md): ``{time}`` is the slot's start,
    # ``{minutes}`` the wait before the next try, filled in by :func:`formatted`.
    _m("A01", ("签到成功", "You are checked in"),
       ("您预约的时间是 {time}，到时为您叫号", "Your appointment is at {time}: you will be called "
        "at your time"), ask_staff=False),
    _m("A02", ("您来早了", "You are early"),
       ("请稍候，{time} 为您叫号", "Please wait: you will be called at {time}"), ask_staff=False),
    _m("A03", ("已过预约时间", "Your appointment time has passed"),
       ("已为您按现场取号排队，请留意叫号", "You have a walk-in ticket instead: please watch "
        "the display"), ask_staff=False),
    _m("A04", ("没有找到这个号码", "We could not find this code"),
       ("没有找到这个号码，请核对 6 位数字再试", "Code not found: please check the 6 digits and "
        "try again"), ask_staff=False),
    _m("A05", ("请稍后再试", "Please try again later"),
       ("输错次数较多，请 {minutes} 分钟后再试，或联系大堂经理", "Too many tries: please try again "
        "in {minutes} min, or ask the lobby manager"), ask_staff=False),
    _m("A06", ("您已经签到过了", "You are already checked in"),
       ("这个预约已经签到或已取消，不能再取号", "This appointment was already checked in or "
        "cancelled: no second ticket")),
    _m("A07", ("请输入 6 位数字", "Please enter all 6 digits"),
       ("号码是 6 位数字", "The code has 6 digits"), ask_staff=False),
    _m("A08", ("到店确认成功", "Your arrival is confirmed"),
       ("您的号码已在排队中，请留意叫号", "Your number is in the queue: please watch the display"),
       ask_staff=False),
    _m("A09", ("还没到签到时间", "Check-in has not opened yet"),
       ("{time} 的预约从 {opens} 起可以签到", "Check-in for your {time} appointment opens at "
        "{opens}"), ask_staff=False),
    _m("A10", ("暂时无法签到", "Check-in is not available just now"),
       ("网络中断，请取普通号或联系大堂经理", "The network is down: please take an ordinary "
        "ticket or ask the lobby manager"), ask_staff=False),
    _m("A11", ("请联系大堂经理", "Please see the lobby manager"),
       ("这个号码已经过号或已办理完毕", "This number has missed its turn or has been served")),
)}

PRINTER_FAULTS: dict[Fault, str] = {
    Fault.PAPER_OUT: "P01", Fault.COVER_OPEN: "P02", Fault.CUTTER_OR_HEAD: "P03",
    Fault.OFFLINE: "P04", Fault.NOT_ANSWERING: "P05",
}


#: The words of the customer's aids (docs/kiosk-voice.md), Chinese first: the keys' labels and
#: what the voice says for them.
VOICE_KEY = ("语音", "Voice")
VOICE_SAYS = ("语音朗读", "Voice guidance")
LARGE_TEXT_KEY = ("大字", "Large text")
NORMAL_TEXT_KEY = ("标准字", "Normal text")
#: The language key says what it offers, in that language: on the Chinese screen, in English.
LANGUAGE_SAYS = ("Press for English", "按这里看中文")
#: The home screen's button for customers who booked (an appointment, a remote ticket).
APPOINTMENT_KEY = ("我有预约", "I have an appointment")
#: The ticket read aloud: the number as :func:`branchq.drivers.audio.speech.spoken_number` reads it.
YOUR_NUMBER = ("您的号码是 {number} 号", "Your number is {number}")
#: The call for help (docs/kiosk-messages.md, "Call for help"): its key, what the voice says for
#: it, and the help screen's words as the alert goes from the kiosk to the lobby manager.
HELP_KEY = ("需要帮助", "I need help")
HELP_SAYS = ("需要帮助，按这里通知工作人员", "I need help: press here to call a member of staff")
HELP_QUEUED = ("已记下您的求助", "Your call for help is noted")
HELP_QUEUED_LINE = ("网络暂时中断，恢复后立即通知工作人员",
                    "The network is down just now: staff will be told the moment it is back")
HELP_TOLD = ("已通知工作人员", "Staff have been told")
HELP_COMING = ("工作人员马上到", "Staff are on their way")
HELP_WAIT = ("请在取号机旁稍候", "Please wait by the kiosk")
HELP_AGAIN = ("已经通知过了，不用再按", "Staff already know: no need to press again")


def message(code: str) -> CustomerMessage:
    return CATALOGUE[code]


def for_printer_fault(fault: Fault | None) -> CustomerMessage:
    """The message for a printer fault; an unnamed one is "not responding" (P05)."""
    return CATALOGUE[PRINTER_FAULTS.get(fault, "P05")] if fault else CATALOGUE["P05"]


def for_host_refusal(status: int) -> CustomerMessage:
    """The host said no (HTTP 4xx): the customer hears why in plain words, never its detail."""
    if status == 429:
        return CATALOGUE["K01"]
    if status == 403:
        return CATALOGUE["H02"]
    return CATALOGUE["H01"]


def formatted(code: str, **values: object) -> CustomerMessage:
    """A catalogue message with its blanks filled in (``time``, ``minutes``)."""
    m = CATALOGUE[code]
    return CustomerMessage(m.code, m.title_zh.format(**values), m.title_en.format(**values),
                           m.text_zh.format(**values), m.text_en.format(**values), m.ask_staff)


def staff_line(msg: CustomerMessage) -> tuple[str, str]:
    """The line that sends the customer to a person, with the code for the technician."""
    return (f"请联系大堂经理（代码 {msg.code}）", f"Please ask the lobby manager (code {msg.code})")
