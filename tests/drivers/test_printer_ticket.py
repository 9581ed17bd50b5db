"""Tickets and guidance slips printed through the real OS path and read back from the paper."""

from __future__ import annotations

import re
import string
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import ImageChops

from branchq.drivers.printer import GuidanceSlip, PrinterConfig, TicketContent, TicketPrinter
from branchq.drivers.printer.config import DEFAULT_FONT
from branchq.drivers.printer.escpos_stream import EscposStreamParser
from branchq.drivers.printer.layout import ticket_layout
from branchq.drivers.printer.raster import RasterLine, render_band
from branchq.drivers.printer.virtual_printer import VirtualPrinter
from tests.drivers.printer_helpers import SERVICE_ZH, TICKET, serial_printer


@pytest.mark.parametrize("width_mm", [58, 80])
def test_text_mode_ticket_prints_number_and_chinese_service_as_text(width_mm: int) -> None:
    with serial_printer(chinese_mode="text", paper_width_mm=width_mm,
                        has_cutter=width_mm == 80) as (printer, port):
        after = printer.print_ticket(TICKET)
    virtual = port.printer
    assert after.ok
    lines = virtual.text_lines
    assert "A023" in lines and SERVICE_ZH in lines
    assert "前面 5 人，约 12 分钟" in lines and "5 people ahead, about 12 min" in lines
    assert "绿色通道 优先办理" in lines
    assert virtual.qr_codes == [TICKET.status_url.encode()]
    assert virtual.images == []  # text mode sends no raster at all
    assert virtual.unknown == []


@pytest.mark.parametrize(("width_mm", "dots"), [(58, 384), (80, 576)])
def test_raster_mode_ticket_prints_chinese_as_images_of_the_paper_width(width_mm: int,
                                                                        dots: int) -> None:
    with serial_printer(paper_width_mm=width_mm, has_cutter=False) as (printer, port):
        printer.print_ticket(TICKET)
    virtual = port.printer
    assert "A023" in virtual.text_lines  # read back off the raster image of the number
    assert not any(re.search(r"[\u4e00-\u9fff]", line) for line in virtual.text_lines)
    assert virtual.images and all(image.width == dots for image in virtual.images)
    assert all(image.getbbox() is not None for image in virtual.images)  # ink on each image
    # The second image is the service name: identical, dot for dot, to our own rendering of it.
    expected = render_band([RasterLine(SERVICE_ZH, 2, True, "center")], dots, DEFAULT_FONT)
    assert ImageChops.difference(virtual.images[1].convert("L"), expected.convert("L")).getbbox() \
        is None
    assert virtual.unknown == []


def test_text_lines_always_end_before_a_raster_image() -> None:
    printer = TicketPrinter(PrinterConfig.from_mapping(
        {"backend": {"kind": "file", "path": "/dev/null", "read_status": False}}))
    commands = EscposStreamParser().feed(printer.build(ticket_layout(TICKET, 576)))
    for before, command in zip(commands, commands[1:], strict=False):
        if command.name == "GS v 0":
            assert before.name != "TEXT"
    virtual = VirtualPrinter()
    virtual.feed(printer.build(ticket_layout(TICKET, 576)))
    assert not any("ignored" in r.reason for r in virtual.unknown)


@pytest.mark.parametrize(("has_cutter", "cuts"), [(True, 1), (False, 0)])
def test_cut_only_with_a_cutter_otherwise_feed(has_cutter: bool, cuts: int) -> None:
    with serial_printer(chinese_mode="text", has_cutter=has_cutter,
                        profile="TM-T20II") as (printer, port):
        printer.print_ticket(TICKET)
    assert port.printer.cuts == cuts


def test_the_wait_is_printed_in_the_words_given_and_none_made_up() -> None:
    offline = TicketContent(**{**TICKET.__dict__, "wait_zh": "请留意叫号",
                               "wait_en": "Please watch the display"})
    reprint = TicketContent(**{**TICKET.__dict__, "wait_zh": "", "wait_en": ""})
    for content, expected in ((offline, ["请留意叫号", "Please watch the display"]), (reprint, [])):
        with serial_printer(chinese_mode="text") as (printer, port):
            printer.print_ticket(content)
        lines = port.printer.text_lines
        assert [line for line in lines if line in expected] == expected
        assert not any("ahead" in line or "分钟" in line for line in lines)


def test_guidance_slip_has_no_number_and_wraps_long_lines() -> None:
    slip = GuidanceSlip(
        branch_name="中国银行 北京西单支行",
        title_zh="请到自助服务区办理",
        title_en="Please use the self-service area",
        issued_at=datetime(2024, 5, 13, 9, 15),
        lines=("小额取款、余额查询、缴费都可以在自助设备上办理，工作人员可以协助您。",
               "Small withdrawals, balance enquiries and bill payments at the ATMs."),
    )
    with serial_printer(chinese_mode="text", paper_width_mm=58,
                        has_cutter=False) as (printer, port):
        printer.print_guidance_slip(slip)
    lines = port.printer.text_lines
    assert "请到自助服务区办理" in lines
    assert len([line for line in lines if "自助设备" in line or "协助" in line]) >= 1
    assert port.printer.qr_codes == []
    assert port.printer.unknown == []  # nothing overflowed the 58 mm line


def test_file_backend_writes_a_stream_the_virtual_printer_reads(tmp_path: Path) -> None:
    target = tmp_path / "lp0"
    target.touch()
    printer = TicketPrinter(PrinterConfig.from_mapping(
        {"backend": {"kind": "file", "path": str(target), "read_status": False},
         "chinese_mode": "text"}))
    status = printer.print_ticket(TICKET)
    printer.close()
    assert not status.verified and "write-only" in status.description
    virtual = VirtualPrinter()
    virtual.feed_file(target)
    assert "A023" in virtual.text_lines and SERVICE_ZH in virtual.text_lines
    assert virtual.cuts == 1
    png = tmp_path / "ticket.png"
    virtual.save_png(png)
    assert png.stat().st_size > 1000


def test_raster_mode_draws_the_number_from_the_truetype_font_not_the_bitmap_font_8x() -> None:
    printer = TicketPrinter(PrinterConfig.from_mapping(
        {"backend": {"kind": "file", "path": "/dev/null", "read_status": False}}))
    stream = printer.build(ticket_layout(TICKET, 576))
    sizes = [c.args[0] for c in EscposStreamParser().feed(stream) if c.name == "GS !"]
    assert max(sizes) == 0  # no enlarged bitmap text at all: only normal-size lines are text
    virtual = VirtualPrinter()
    virtual.feed(stream)
    # The service name and the number go out as one image: dot for dot our own rendering.
    expected = render_band([RasterLine(SERVICE_ZH, 2, True, "center"),
                            RasterLine("A023", 8, True, "center")], 576, DEFAULT_FONT)
    assert ImageChops.difference(virtual.images[1].convert("L"), expected.convert("L")).getbbox() \
        is None


@pytest.mark.parametrize(("width_mm", "dots"), [(58, 384), (80, 576)])
def test_every_ticket_number_on_raster_paper_reads_back_whole(width_mm: int, dots: int) -> None:
    """Large glyphs keep all their ink on the paper (the hook of a "J" reaches left of the pen)
    and never touch the line below; the paper reader reads each number and nothing else."""
    printer = TicketPrinter(PrinterConfig.from_mapping(
        {"backend": {"kind": "file", "path": "/dev/null", "read_status": False},
         "paper_width_mm": width_mm}))
    for i, prefix in enumerate(string.ascii_uppercase):
        number = f"{prefix}{(i * 37) % 1000:03d}"
        virtual = VirtualPrinter(width_mm)
        virtual.feed(printer.build(ticket_layout(replace(TICKET, number=number), dots)))
        virtual.finish()
        read = [line for line in virtual.text_lines if re.fullmatch(r"[A-Z0-9]+", line)]
        assert read == [number], (number, virtual.text_lines)
        assert all(image.width == dots for image in virtual.images)


def test_virtual_printer_text_has_no_gaps_inside_words() -> None:
    """Font A is fixed pitch: each character centred in a 12-dot cell of a fixed-pitch face.
    A proportional "i" at the left of its cell printed "deposi t"."""
    virtual = VirtualPrinter()
    virtual.feed(b"\x1b@deposit withdrawal\n")
    virtual.finish()
    ink = np.asarray(virtual.render())[16:-16, 16:-16] < 128
    columns = ink.any(axis=0)
    first, last = np.flatnonzero(columns)[[0, -1]]
    blanks = np.diff(np.flatnonzero(columns[first:last + 1])) - 1
    gaps = sorted(int(g) for g in blanks if g > 0)
    assert gaps[-1] >= 10  # the space between the two words
    assert gaps[-2] <= 5, gaps  # inside a word: never a gap like a space


@pytest.mark.parametrize("mode", ["text", "raster"])
def test_an_appointment_ticket_says_its_slot_in_both_languages(mode: str) -> None:
    with serial_printer(chinese_mode=mode) as (printer, port):
        printer.print_ticket(replace(TICKET, appointment="10:15"))
        printer.print_ticket(TICKET)
    lines = port.printer.text_lines
    assert lines.count("Appointment 10:15") == 1  # the walk-in's ticket has no such line
    if mode == "text":
        assert lines.count("预约 10:15") == 1
