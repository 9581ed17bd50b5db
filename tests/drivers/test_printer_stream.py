"""The virtual printer's stream parser on escpos-php's published streams, and on random bytes."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from branchq.drivers.printer.escpos_stream import EscposStreamParser
from branchq.drivers.printer.status import is_paper_sensor_byte, is_status_byte
from branchq.drivers.printer.virtual_printer import VirtualPrinter
from tests.drivers.printer_helpers import FIXTURES

STREAMS = sorted(FIXTURES.glob("escpos-php.*.bin"))


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.stem)
def test_fixture_streams_are_walked_whole_in_any_chunking(path: Path) -> None:
    data = path.read_bytes()
    whole = EscposStreamParser()
    commands = whole.feed(data) + whole.finish()
    assert b"".join(c.raw for c in commands) == data  # no byte lost or invented
    assert [c for c in commands if not c.known] == []
    assert "GS V" in [c.name for c in commands[-3:]]  # still in sync at the very end
    chunked = EscposStreamParser()
    pieces = []
    for start in range(0, len(data), 5):
        pieces += chunked.feed(data[start : start + 5])
    pieces += chunked.finish()
    not_text = [c.raw for c in commands if c.name != "TEXT"]
    assert [c.raw for c in pieces if c.name != "TEXT"] == not_text
    assert b"".join(c.args for c in pieces if c.name == "TEXT") == b"".join(
        c.args for c in commands if c.name == "TEXT")


def test_qr_fixture_prints_real_qr_codes() -> None:
    virtual = VirtualPrinter()
    virtual.feed_file(FIXTURES / "escpos-php.qr-code.bin")
    assert b"Testing 123" in virtual.qr_codes
    assert b"0123456789012345678901234567890123456789" in virtual.qr_codes
    assert "Most simple example" in virtual.text_lines
    assert virtual.cuts == 1 and virtual.unknown == []


def test_code_page_fixture_decodes_text_and_reports_pages_it_cannot_model() -> None:
    virtual = VirtualPrinter()
    virtual.feed_file(FIXTURES / "escpos-php.character-encodings.bin")
    printed = "".join(virtual.text_lines)  # the printer wraps long lines at 48 columns
    assert "Falsches Üben von Xylophonmusik quält jeden größeren Zwerg." in printed  # PC437
    assert "Le cœur déçu" in printed  # ESC t 16: CP1252
    assert "Ξεσκεπάζω" in printed  # ESC t 14: CP737
    not_modelled = {r.raw for r in virtual.unknown if "not modelled" in r.reason}
    assert b"\x1bt\x01" in not_modelled  # Katakana: reported, not silently misprinted


@pytest.mark.parametrize("name", ["bit-image", "graphics", "receipt-with-logo"])
def test_image_fixtures_decode_to_images(name: str) -> None:
    virtual = VirtualPrinter()
    virtual.feed_file(FIXTURES / f"escpos-php.{name}.bin")
    assert virtual.images and all(image.getbbox() for image in virtual.images)
    assert virtual.unknown == []


def test_unknown_and_truncated_commands_are_reported_and_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    virtual = VirtualPrinter()
    with caplog.at_level(logging.WARNING):
        virtual.feed(b"\x1b@before\n\x1bZ\x05after\n\x07\x1dv0\x00\x10\x00")
        virtual.finish()
    assert "before" in virtual.text_lines
    assert any(line.endswith("after") for line in virtual.text_lines)  # resynchronised
    reasons = [r.reason for r in virtual.unknown]
    assert "unknown ESC command" in reasons
    assert "unknown control 0x07" in reasons
    assert "stream ended inside a command" in reasons
    assert "unknown ESC command" in caplog.text


def test_python_escpos_raw_gb18030_prints_garbage_without_fs_ampersand() -> None:
    """Why text mode sends FS &: the same bytes without it print as PC437 mojibake."""
    virtual = VirtualPrinter()
    virtual.feed("现金业务\n".encode("gb18030") + b"\x1c&" + "现金业务\n".encode("gb18030"))
    assert virtual.text_lines[0] != "现金业务"
    assert virtual.text_lines[1] == "现金业务"


_COMMANDISH = st.lists(
    st.one_of(
        st.binary(max_size=8),
        st.sampled_from([b"\x1b", b"\x1d", b"\x1c", b"\x10\x04", b"\x1dv0", b"\x1d(k", b"\x1d(L",
                         b"\x1dk", b"\x1b*", b"\x1dV", b"\x1c&", b"\n", b"\x1d!"]),
    ),
    max_size=40,
).map(b"".join)


@settings(max_examples=200, deadline=None)
@given(_COMMANDISH, st.integers(1, 16))
def test_parser_never_crashes_and_accounts_for_every_byte(data: bytes, chunk: int) -> None:
    parser = EscposStreamParser()
    commands = []
    for start in range(0, len(data), chunk):
        commands += parser.feed(data[start : start + chunk])
    commands += parser.finish()
    assert b"".join(c.raw for c in commands) == data


@settings(max_examples=150, deadline=None)
@given(_COMMANDISH)
def test_virtual_printer_never_crashes_on_any_stream(data: bytes) -> None:
    virtual = VirtualPrinter(58)
    replies = virtual.feed(data)
    virtual.finish()
    assert all(is_status_byte(r) or is_paper_sensor_byte(r) for r in replies)
    assert virtual.render().width == 384 + 32
