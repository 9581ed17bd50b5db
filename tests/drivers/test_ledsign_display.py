"""What people in the hall see: calls, board, recall, clear, test pattern, through a real pty."""

from __future__ import annotations

import logging
import time

import pytest
import serial

from branchq.drivers.ledsign import (
    LedSign,
    Role,
    SignAddress,
    SignConfig,
    SignMessageError,
    SignRejectedError,
    SignTransportError,
    VirtualSign,
    encode_write_text,
)

from .ledsign_helpers import (
    COUNTER_3,
    COUNTER_5,
    HALL,
    RecordingTransport,
    line_config,
    virtual_sign_fixture,  # noqa: F401  (pytest fixture "virtual_sign")
)


def test_call_shows_on_the_counter_sign_and_tops_the_hall_board(virtual_sign: VirtualSign) -> None:
    sign = LedSign(line_config(virtual_sign.port))
    sign.show_call("A023", 3)
    sign.show_call("B101", 5)
    assert virtual_sign.lines(COUNTER_3) == ["A023 -> 3"]
    assert virtual_sign.lines(COUNTER_5) == ["B101 -> 5"]
    assert virtual_sign.lines(HALL) == ["B101 -> 5", "A023 -> 3"]
    assert virtual_sign.errors == []


def test_hall_board_keeps_only_as_many_calls_as_it_has_lines(virtual_sign: VirtualSign) -> None:
    sign = LedSign(line_config(virtual_sign.port))
    for n in range(1, 6):
        sign.show_call(f"A00{n}", 3)
    assert virtual_sign.lines(HALL) == ["A005 -> 3", "A004 -> 3", "A003 -> 3"]


def test_recall_blinks_on_the_counter_sign_and_its_board_line(virtual_sign: VirtualSign) -> None:
    sign = LedSign(line_config(virtual_sign.port))
    sign.show_call("A023", 3)
    sign.show_call("B101", 5)
    sign.show_call("A023", 3, recall=True)
    counter = virtual_sign.state(COUNTER_3)
    assert counter is not None and counter.lines()[0].flashing
    board = virtual_sign.state(HALL)
    assert board is not None
    assert [(line.text, line.flashing) for line in board.lines()] == [
        ("A023 -> 3", True),
        ("B101 -> 5", False),
    ]


def test_recall_stops_blinking_at_the_next_call(virtual_sign: VirtualSign) -> None:
    sign = LedSign(line_config(virtual_sign.port))
    sign.show_call("A023", 3, recall=True)
    sign.show_call("B101", 5)
    board = virtual_sign.state(HALL)
    assert board is not None
    assert [line.flashing for line in board.lines()] == [False, False]


def test_a_dead_counter_sign_does_not_stop_the_hall_board() -> None:
    with VirtualSign((HALL, COUNTER_5)) as line:  # the sign over counter 3 is dead
        sign = LedSign(line_config(line.port, ack_timeout=0.1))
        with pytest.raises(SignRejectedError, match="03"):
            sign.show_call("A023", 3)
        assert line.lines(HALL) == ["A023 -> 3"]
        assert sign.recent_calls[0].ticket == "A023"


def test_clear_blanks_every_sign_with_one_broadcast(virtual_sign: VirtualSign) -> None:
    sign = LedSign(line_config(virtual_sign.port))
    sign.show_call("A023", 3)
    sent = len(virtual_sign.packets)
    sign.clear()
    assert virtual_sign.wait_for(lambda: len(virtual_sign.packets) > sent)
    assert all(virtual_sign.text(a) == "" for a in (HALL, COUNTER_3, COUNTER_5))
    assert sign.recent_calls == ()


def test_test_pattern_names_each_sign(virtual_sign: VirtualSign) -> None:
    LedSign(line_config(virtual_sign.port)).test_pattern()
    assert virtual_sign.lines(COUNTER_5) == ["05 8888888888888888"]
    assert virtual_sign.lines(HALL) == ["01 8888888888888888"] * 3


def test_chinese_template_goes_only_to_a_sign_with_a_cjk_font(virtual_sign: VirtualSign) -> None:
    config = line_config(
        virtual_sign.port,
        bytesize=8,
        parity="N",
        signs=(
            SignAddress(address=HALL, role=Role.HALL, lines=2, cjk=True),
            SignAddress(address=COUNTER_3, role=Role.COUNTER, counter=3),
        ),
    )
    LedSign(config).show_call("A023", 3)
    assert virtual_sign.lines(HALL, encoding="gb2312") == ["请A023号到3号窗口"]
    assert virtual_sign.lines(COUNTER_3) == ["A023 -> 3"]


def test_ticket_a_sign_cannot_show_is_refused_before_anything_is_sent() -> None:
    transport = RecordingTransport()
    sign = LedSign(line_config("/dev/null"), transport)
    with pytest.raises(SignMessageError):
        sign.show_call("A0\x0423", 3)
    with pytest.raises(SignMessageError):
        sign.show_call("甲023", 3)
    assert transport.written == []


def test_golden_bytes_of_a_call_to_counter_3() -> None:
    transport = RecordingTransport()
    LedSign(line_config("/dev/null", ack=False), transport).show_call("A023", 3)
    counter_frame, board_frame = transport.written
    assert counter_frame == encode_write_text(b"A023 -> 3", address="03")
    assert counter_frame.startswith(b"\0\0\0\0\0\x01Z03\x02AA\x1b0bA023 -> 3\x03")


def test_bad_checksum_gets_nak_and_leaves_the_sign_unchanged(virtual_sign: VirtualSign) -> None:
    LedSign(line_config(virtual_sign.port)).show_call("A023", 3)
    frame = bytearray(encode_write_text(b"EVIL", address=COUNTER_3))
    frame[-2] = ord("0") if frame[-2] != ord("0") else ord("1")
    with serial.Serial(virtual_sign.port, timeout=1) as port:
        port.write(bytes(frame))
        reply = port.read(2)
    assert reply == b"\x15\x50"  # NAK, status: bit 6 + bit 4 (checksum error)
    assert virtual_sign.lines(COUNTER_3) == ["A023 -> 3"]
    assert any("checksum" in e for e in virtual_sign.errors)


def test_garbage_and_a_truncated_packet_are_dropped_then_the_next_call_shows(
    virtual_sign: VirtualSign, caplog: pytest.LogCaptureFixture
) -> None:
    good = encode_write_text(b"B101 -> 5", address=COUNTER_5)
    with caplog.at_level(logging.WARNING), serial.Serial(virtual_sign.port) as port:
        port.write(b"\xff\xfe line noise \x13\x11")
        port.write(good[:20])  # cut off: the adapter lost the rest
        port.write(good)
        assert virtual_sign.wait_for(lambda: virtual_sign.text(COUNTER_5) == "B101 -> 5")
    assert len(virtual_sign.errors) == 2
    assert "dropped" in caplog.text


def test_half_a_packet_then_silence_is_forgotten(virtual_sign: VirtualSign) -> None:
    good = encode_write_text(b"B101 -> 5", address=COUNTER_5)
    with serial.Serial(virtual_sign.port) as port:
        port.write(good[:-8])  # half a packet; no SOH follows to show it was truncated
        assert virtual_sign.wait_for(lambda: bool(virtual_sign.errors), timeout=2)
        port.write(good)
        assert virtual_sign.wait_for(lambda: virtual_sign.text(COUNTER_5) == "B101 -> 5")
    assert "timeout" in virtual_sign.errors[0]


def test_silent_sign_with_ack_expected_is_reported(virtual_sign: VirtualSign) -> None:
    virtual_sign.silent = True
    sign = LedSign(line_config(virtual_sign.port, ack_timeout=0.1))
    started = time.monotonic()
    with pytest.raises(SignRejectedError):
        sign.show_call("A023", 3)
    assert time.monotonic() - started < 1.0
    assert virtual_sign.lines(COUNTER_3) == ["A023 -> 3"]  # it showed it, it just never said so


def test_sign_comes_back_after_the_adapter_is_unplugged(virtual_sign: VirtualSign) -> None:
    sign = LedSign(line_config(virtual_sign.port))
    sign.show_call("A023", 3)
    virtual_sign.unplug()
    with pytest.raises(SignTransportError):
        sign.show_call("A024", 3)  # the write fails: the port is closed
    with pytest.raises(SignTransportError):
        sign.show_call("A024", 3)  # reopening fails: the device path is gone
    virtual_sign.replug()
    sign.show_call("A025", 3)
    assert virtual_sign.lines(COUNTER_3) == ["A025 -> 3"]
    sign.close()


def test_other_signs_packets_are_not_answered() -> None:
    with VirtualSign(("07",)) as other:
        config = SignConfig(
            port=other.port,
            signs=(SignAddress(address="02", role=Role.COUNTER, counter=1),),
            ack=True,
            ack_timeout=0.1,
        )
        with pytest.raises(SignRejectedError):
            LedSign(config).show_call("A001", 1)
        assert other.state("02") is None and other.state("07") is None
