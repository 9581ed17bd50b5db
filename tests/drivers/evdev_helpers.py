"""Shared test helpers for the evdev drivers (touch and card reader): fixtures, event builders."""

from __future__ import annotations

from evdev import InputEvent, ecodes

from branchq.drivers.evdev_records import Capture, parse_evemu, parse_evtest
from tests.device_fixtures import fixture_dir

EVDEV_FIXTURES = fixture_dir("evdev")


def fixture_text(name: str) -> str:
    return (EVDEV_FIXTURES / name).read_text(encoding="utf-8")


def evemu(*names: str) -> Capture:
    """An evemu capture; pass the 1.2 desc file and its events file together."""
    return parse_evemu(*(fixture_text(n) for n in names))


def evtest(name: str) -> list[Capture]:
    return parse_evtest(fixture_text(name))


def ev(t: float, etype: int, code: int, value: int) -> InputEvent:
    sec = int(t)
    return InputEvent(sec, round((t - sec) * 1_000_000), etype, code, value)


def as_tuples(events: list[InputEvent]) -> list[tuple[int, int, int, int, int]]:
    """InputEvent has no equality: compare events as plain tuples."""
    return [(e.sec, e.usec, e.type, e.code, e.value) for e in events]


def syn(t: float) -> InputEvent:
    return ev(t, ecodes.EV_SYN, ecodes.SYN_REPORT, 0)


def key(t: float, code: int, value: int) -> list[InputEvent]:
    """A key event and its SYN_REPORT, as a keyboard sends it."""
    return [ev(t, ecodes.EV_KEY, code, value), syn(t)]


# USB HID keyboard usage -> Linux keycode, for the few usages the boot-report fixture holds
# (the kernel's hid_keyboard table): keypad 1..9, 0, Enter; modifier bit 2 = Left Alt.
_HID_USAGE = {0x28: ecodes.KEY_ENTER, 0x62: ecodes.KEY_KP0} | {
    0x59 + i: getattr(ecodes, f"KEY_KP{i + 1}") for i in range(9)
}


def hid_boot_reports_to_events(text: str, t0: float = 1000.0) -> list[InputEvent]:
    """Replay 8-byte HID boot reports the way the kernel's hid-input turns them into events.

    Per report: modifiers first, then released keys, then newly pressed keys in array order, then
    one SYN_REPORT.
    """
    events: list[InputEvent] = []
    held: list[int] = []
    alt = False
    t = t0
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        report = bytes.fromhex(line)
        frame = []
        now_alt = bool(report[0] & 0x04)
        if now_alt != alt:
            frame.append(ev(t, ecodes.EV_KEY, ecodes.KEY_LEFTALT, int(now_alt)))
            alt = now_alt
        usages = [u for u in report[2:] if u]
        frame += [ev(t, ecodes.EV_KEY, _HID_USAGE[u], 0) for u in held if u not in usages]
        frame += [ev(t, ecodes.EV_KEY, _HID_USAGE[u], 1) for u in usages if u not in held]
        held = usages
        events += frame + [syn(t)]
        t += 0.008
    return events
