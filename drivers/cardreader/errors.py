"""Exceptions of the card reader / QR scanner driver, one per layer.

Messages never contain what was read: a card number must not reach a log through an exception.
"""

from __future__ import annotations


class CardReaderError(Exception):
    """Base class: anything the card reader driver raises."""


class CardReaderConfigError(CardReaderError, ValueError):
    """The configuration (or the branch key) is invalid; raised at start-up."""


class CardReaderDeviceError(CardReaderError):
    """The reader could not be found, grabbed or read (unplugged, permissions, held elsewhere)."""


class CardDataError(CardReaderError, ValueError):
    """A swipe was read but is not a valid card (bad track 2, Luhn check failed)."""
