"""Frames per second of framebuffer conversion + write (Pillow image -> pixel bytes -> file)."""

from __future__ import annotations

import tempfile
import time

from PIL import Image, ImageDraw

from branchq.drivers.framebuffer import VirtualFramebuffer

SIZES = [(800, 480), (1280, 800)]
DEPTHS = [16, 32]
SECONDS_PER_CASE = 1.0


def _frame(width: int, height: int, shade: int) -> Image.Image:
    image = Image.new("RGB", (width, height), (shade, 40, 255 - shade))
    ImageDraw.Draw(image).rectangle((width // 4, height // 4, width // 2, height // 2),
                                    fill=(255, 255, 255))
    return image


def framebuffer_figures() -> None:
    """Print frames/s of ``Framebuffer.show`` (conversion + row writes) into a temp file."""
    print("framebuffer: conversion + write into a file standing in for /dev/fb0")  # noqa: T201
    for width, height in SIZES:
        frames = [_frame(width, height, shade) for shade in (0, 128, 255)]
        for bpp in DEPTHS:
            with tempfile.TemporaryDirectory() as folder:
                # a padded stride, as many drivers use, forces the row-by-row path
                stride = width * bpp // 8 + 64
                fb = VirtualFramebuffer(folder, width, height, bpp, stride).framebuffer()
                count, start = 0, time.perf_counter()
                while time.perf_counter() - start < SECONDS_PER_CASE:
                    fb.show(frames[count % len(frames)])
                    count += 1
                rate = count / (time.perf_counter() - start)
            print(f"  {width}x{height} {bpp:2d} bpp: {rate:7.1f} frames/s")  # noqa: T201


if __name__ == "__main__":
    framebuffer_figures()
