"""Exceptions of the framebuffer driver."""

from __future__ import annotations


class FramebufferError(Exception):
    """Base class: anything the framebuffer driver raises."""


class FramebufferConfigError(FramebufferError, ValueError):
    """The framebuffer's sysfs description is missing, unreadable or unsupported."""


class FramebufferWriteError(FramebufferError):
    """The image could not be written (device gone, permissions, too large)."""
