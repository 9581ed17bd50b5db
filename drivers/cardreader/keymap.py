"""US keyboard layout: what a keyboard-wedge scanner means by each keycode (and back).

Scanners emulate a US keyboard unless told otherwise; a scanner programmed for another layout
needs a matching table here.
"""

from __future__ import annotations

from evdev import ecodes

# keycode -> (plain, shifted)
US_KEYS: dict[int, tuple[str, str]] = {}

for _digit, _shifted in zip("1234567890", "!@#$%^&*()", strict=True):
    US_KEYS[getattr(ecodes, f"KEY_{_digit}")] = (_digit, _shifted)
for _letter in "abcdefghijklmnopqrstuvwxyz":
    US_KEYS[getattr(ecodes, f"KEY_{_letter.upper()}")] = (_letter, _letter.upper())
for _name, _plain, _shifted in [
    ("MINUS", "-", "_"), ("EQUAL", "=", "+"), ("LEFTBRACE", "[", "{"), ("RIGHTBRACE", "]", "}"),
    ("BACKSLASH", "\\", "|"), ("SEMICOLON", ";", ":"), ("APOSTROPHE", "'", '"'),
    ("GRAVE", "`", "~"), ("COMMA", ",", "<"), ("DOT", ".", ">"), ("SLASH", "/", "?"),
    ("SPACE", " ", " "), ("TAB", "\t", "\t"),
]:
    US_KEYS[getattr(ecodes, f"KEY_{_name}")] = (_plain, _shifted)

#: Keypad keys type the same with or without shift (scanners send NUMLOCK on first).
KEYPAD: dict[int, str] = {getattr(ecodes, f"KEY_KP{d}"): str(d) for d in range(10)} | {
    ecodes.KEY_KPDOT: ".", ecodes.KEY_KPMINUS: "-", ecodes.KEY_KPPLUS: "+",
    ecodes.KEY_KPASTERISK: "*", ecodes.KEY_KPSLASH: "/",
}
KEYPAD_DIGITS = {code: ch for code, ch in KEYPAD.items() if ch.isdigit()}

SHIFT = {ecodes.KEY_LEFTSHIFT, ecodes.KEY_RIGHTSHIFT}
CTRL = {ecodes.KEY_LEFTCTRL, ecodes.KEY_RIGHTCTRL}
ALT = {ecodes.KEY_LEFTALT, ecodes.KEY_RIGHTALT}
ENTER = {ecodes.KEY_ENTER, ecodes.KEY_KPENTER}

#: char -> (keycode, needs shift), for the virtual scanner
US_CHARS: dict[str, tuple[int, bool]] = {}
for _code, (_plain, _shifted) in US_KEYS.items():
    US_CHARS.setdefault(_plain, (_code, False))
    US_CHARS.setdefault(_shifted, (_code, True))


def alt_code_char(digits: str) -> str | None:
    """The character Windows types for ALT + keypad ``digits``.

    A leading 0 selects the ANSI code page (cp1252), none the OEM one (cp437); both agree on
    ASCII, which is what scanners send this way. Code 0 types nothing.
    """
    code = int(digits) % 256 if digits else 0
    if code == 0:
        return None
    return bytes([code]).decode("cp1252" if digits.startswith("0") else "cp437", errors="replace")
