"""Writing Pillow images to a Linux framebuffer device (``/dev/fb0``)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PIL import Image

from .errors import FramebufferWriteError
from .geometry import Geometry
from .pixels import to_pixels

log = logging.getLogger(__name__)


class Framebuffer:
    """A framebuffer described by sysfs. ``show`` writes row by row at ``y * stride``, so the
    padding at the end of each line (and anything right of a smaller image) is left alone."""

    def __init__(
        self, device: str | Path = "/dev/fb0", sysfs: str | Path = "/sys/class/graphics/fb0"
    ) -> None:
        self.device = Path(device)
        self.geometry = Geometry.from_sysfs(sysfs)

    def show(self, image: Image.Image, x: int = 0, y: int = 0) -> None:
        geo = self.geometry
        if x < 0 or y < 0 or x + image.width > geo.width or y + image.height > geo.height:
            raise FramebufferWriteError(
                f"image {image.width}x{image.height} at ({x},{y}) does not fit the"
                f" {geo.width}x{geo.height} screen"
            )
        pixels = memoryview(to_pixels(image, geo.bits_per_pixel))
        row_bytes = image.width * geo.bytes_per_pixel
        try:
            fd = os.open(self.device, os.O_WRONLY)
        except OSError as err:
            raise FramebufferWriteError(
                f"cannot open {self.device}: {err} (is the service user in group 'video'?)"
            ) from err
        try:
            self._check_size(fd)
            offset = y * geo.stride + x * geo.bytes_per_pixel
            if geo.stride == row_bytes:
                os.pwrite(fd, pixels, offset)  # no padding, full width: one write
            else:
                for start in range(0, len(pixels), row_bytes):
                    os.pwrite(fd, pixels[start : start + row_bytes], offset)
                    offset += geo.stride
        except OSError as err:
            raise FramebufferWriteError(f"writing {self.device} failed: {err}") from err
        finally:
            os.close(fd)

    def _check_size(self, fd: int) -> None:
        """A regular file standing in for the device must be as large as the screen (it would
        silently grow otherwise); a real device node reports size 0 and is trusted."""
        size = os.fstat(fd).st_size
        if size and size < self.geometry.size:
            raise FramebufferWriteError(
                f"{self.device} holds {size} bytes, less than {self.geometry.size} for the screen"
            )
