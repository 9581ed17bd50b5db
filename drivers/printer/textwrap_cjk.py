"""Line breaking for mixed Chinese/Latin text: break between Han characters or at spaces."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

# One token per wide (CJK) character; Latin words keep their trailing spaces.
_TOKENS = re.compile(r"[\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]"
                     r"|[^\s\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\uff00-\uffef]+\s*|\s+")


def cells(text: str) -> int:
    """Width in half-width cells: a CJK character takes two (24 dots), anything else one (12)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def is_plain_ascii(text: str) -> bool:
    """True when the text prints correctly in the printer's default code page (PC437)."""
    return all(" " <= ch <= "~" for ch in text)


def wrap(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Greedy wrap of ``text`` into lines for which ``fits(line)`` is true."""
    lines: list[str] = []
    current = ""
    for token in _TOKENS.findall(text):
        if fits((current + token).rstrip()):
            current += token
            continue
        if current.strip():
            lines.append(current.rstrip())
        current = ""
        for ch in token.lstrip():  # a token wider than a line is split by characters
            if current and not fits(current + ch):
                lines.append(current)
                current = ""
            current += ch
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return lines
