"""Exceptions of the caller keypad driver, one per layer."""

from __future__ import annotations


class KeypadError(Exception):
    """Base class: anything the keypad driver raises."""


class KeypadConfigError(KeypadError, ValueError):
    """The keypad bus configuration is invalid; raised at start-up."""


class KeypadBusError(KeypadError):
    """A request to a keypad failed (port gone, no reply, exception reply)."""
