"""Magnetic stripe track 2 (ISO/IEC 7813): ``;PAN=YYMM<service><discretionary>?``.

Readers in keyboard mode type the track as text; many also type track 1 (``%B...^NAME^...?``)
before it. Only the PAN is used, and only to compute a keyed digest.
"""

from __future__ import annotations

import re

from .errors import CardDataError

_TRACK2 = re.compile(r";(\d{12,19})=(\d{4})\d*\?")
_TRACK_START = re.compile(r"%B\d|;\d{12,19}=")


def looks_like_magstripe(text: str) -> bool:
    """Any sign of track data, even a damaged swipe: it must never be passed on as text."""
    return _TRACK_START.search(text) is not None


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_number(text: str) -> str:
    """The PAN from track 2. CardDataError (with no card data in the message) if invalid."""
    match = _TRACK2.search(text)
    if match is None:
        raise CardDataError("swipe has no readable track 2 (;PAN=YYMM...?): swipe again")
    pan = match.group(1)
    if not luhn_ok(pan):
        raise CardDataError("card number failed the Luhn check: misread, swipe again")
    return pan
