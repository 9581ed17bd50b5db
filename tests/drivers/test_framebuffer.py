"""Images written into a file standing in for /dev/fb0, read back pixel by pixel."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from branchq.drivers.framebuffer import (
    Framebuffer,
    FramebufferConfigError,
    FramebufferWriteError,
    VirtualFramebuffer,
)
from branchq.drivers.framebuffer.virtual import PADDING_BYTE

COLOURS = {
    "red": (255, 0, 0),
    "green": (0, 255, 0),
    "blue": (0, 0, 255),
    "white": (255, 255, 255),
    "grey": (128, 128, 128),
}


def quadrants(width: int, height: int) -> Image.Image:
    image = Image.new("RGB", (width, height), COLOURS["grey"])
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 2 - 1, height // 2 - 1), fill=COLOURS["red"])
    draw.rectangle((width // 2, 0, width - 1, height // 2 - 1), fill=COLOURS["green"])
    draw.rectangle((0, height // 2, width // 2 - 1, height - 1), fill=COLOURS["blue"])
    draw.rectangle((width // 2, height // 2, width - 1, height - 1), fill=COLOURS["white"])
    return image


def close(actual: tuple[int, ...], expected: tuple[int, int, int], bpp: int) -> bool:
    tolerance = 0 if bpp == 32 else 8  # RGB565 keeps 5/6/5 bits
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


@pytest.mark.parametrize(
    ("bpp", "stride"),
    [(32, None), (16, None), (32, 800 * 4 + 64), (16, 800 * 2 + 32)],
    ids=["xrgb8888", "rgb565", "xrgb8888-padded", "rgb565-padded"],
)
def test_colours_read_back(tmp_path: Path, bpp: int, stride: int | None) -> None:
    virtual = VirtualFramebuffer(tmp_path, 800, 480, bpp, stride)
    virtual.framebuffer().show(quadrants(800, 480))
    shown = virtual.snapshot()
    for (x, y), name in {(10, 10): "red", (790, 10): "green", (10, 470): "blue",
                         (790, 470): "white"}.items():
        assert close(shown.getpixel((x, y)), COLOURS[name], bpp), name
    if stride:
        assert set(virtual.padding()) == {PADDING_BYTE}  # line padding left untouched


def test_xrgb8888_byte_order(tmp_path: Path) -> None:
    virtual = VirtualFramebuffer(tmp_path, 4, 1, 32)
    virtual.framebuffer().show(Image.new("RGB", (4, 1), (0x11, 0x22, 0x33)))
    assert virtual.device.read_bytes()[:3] == bytes([0x33, 0x22, 0x11])  # B, G, R in memory


def test_rgb565_packing(tmp_path: Path) -> None:
    virtual = VirtualFramebuffer(tmp_path, 3, 1, 16)
    image = Image.new("RGB", (3, 1))
    image.putdata([(255, 0, 0), (0, 255, 0), (0, 0, 255)])
    virtual.framebuffer().show(image)
    assert virtual.device.read_bytes() == bytes.fromhex("00f8" "e007" "1f00")


def test_smaller_image_at_an_offset_leaves_the_rest(tmp_path: Path) -> None:
    virtual = VirtualFramebuffer(tmp_path, 64, 32, 32, stride=64 * 4 + 16)
    fb = virtual.framebuffer()
    fb.show(Image.new("RGB", (64, 32), COLOURS["blue"]))
    fb.show(Image.new("RGB", (8, 4), COLOURS["red"]), x=10, y=20)
    shown = virtual.snapshot()
    assert shown.getpixel((10, 20)) == COLOURS["red"] and shown.getpixel((17, 23)) == COLOURS["red"]
    assert shown.getpixel((9, 20)) == COLOURS["blue"] and shown.getpixel((18, 23)) == COLOURS["blue"]
    assert shown.getpixel((10, 24)) == COLOURS["blue"]
    assert set(virtual.padding()) == {PADDING_BYTE}


def test_image_larger_than_the_screen_is_refused(tmp_path: Path) -> None:
    fb = VirtualFramebuffer(tmp_path, 800, 480, 32).framebuffer()
    with pytest.raises(FramebufferWriteError, match="does not fit the 800x480 screen"):
        fb.show(Image.new("RGB", (1280, 800)))
    with pytest.raises(FramebufferWriteError, match="does not fit"):
        fb.show(Image.new("RGB", (10, 10)), x=795)


def write_sysfs(folder: Path, size: str, bpp: str, stride: str) -> Path:
    folder.mkdir()
    (folder / "virtual_size").write_text(size)
    (folder / "bits_per_pixel").write_text(bpp)
    (folder / "stride").write_text(stride)
    return folder


@pytest.mark.parametrize(
    ("size", "bpp", "stride", "message"),
    [
        ("800,480", "24", "2400", "24 bits per pixel is not supported"),
        ("800,480", "8", "800", "not supported"),
        ("800,480", "32", "1000", "stride 1000 is shorter"),
        ("800x480", "32", "3200", "unreadable"),
    ],
)
def test_bad_sysfs_gives_a_clear_error(tmp_path: Path, size, bpp, stride, message) -> None:
    sysfs = write_sysfs(tmp_path / "fb0", size, bpp, stride)
    with pytest.raises(FramebufferConfigError, match=message):
        Framebuffer(tmp_path / "dev", sysfs)


def test_missing_sysfs_and_device(tmp_path: Path) -> None:
    with pytest.raises(FramebufferConfigError, match="cannot read"):
        Framebuffer(tmp_path / "fb0", tmp_path / "nowhere")
    virtual = VirtualFramebuffer(tmp_path, 16, 16, 16)
    fb = virtual.framebuffer()
    virtual.device.unlink()  # the device vanished
    with pytest.raises(FramebufferWriteError, match="cannot open"):
        fb.show(Image.new("RGB", (16, 16)))
    virtual.device.write_bytes(b"\0" * 10)  # and came back wrong
    with pytest.raises(FramebufferWriteError, match="less than"):
        fb.show(Image.new("RGB", (16, 16)))
