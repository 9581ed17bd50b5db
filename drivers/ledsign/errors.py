"""Exceptions of the LED sign driver, one per layer."""

from __future__ import annotations


class LedSignError(Exception):
    """Base class: anything the LED sign driver raises."""


class SignConfigError(LedSignError, ValueError):
    """The sign configuration is invalid; raised at start-up, never mid-run."""


class SignTransportError(LedSignError):
    """The serial port could not be opened, written or read (unplugged adapter, permissions)."""


class SignRejectedError(LedSignError):
    """The sign answered NAK (or did not answer although ACK/NAK is configured)."""


class SignMessageError(LedSignError, ValueError):
    """A message cannot be shown on the sign as given (characters the sign cannot display)."""
