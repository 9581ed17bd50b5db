"""Screen driver: Pillow images to a Linux framebuffer (16 bpp RGB565 or 32 bpp XRGB8888)."""

from .device import Framebuffer
from .errors import FramebufferConfigError, FramebufferError, FramebufferWriteError
from .geometry import Geometry
from .virtual import VirtualFramebuffer

__all__ = [
    "Framebuffer",
    "FramebufferConfigError",
    "FramebufferError",
    "FramebufferWriteError",
    "Geometry",
    "VirtualFramebuffer",
]
