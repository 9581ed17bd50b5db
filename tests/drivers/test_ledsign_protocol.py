"""Alpha frames: checksum, golden bytes, cross-check with alphasignpy, decoder robustness."""

from __future__ import annotations

import pytest
from alphasign.command.write_text import WriteText as ManualWriteText
from alphasign.commands.text import WriteText
from alphasign.packet import Packet as AlphaPacket
from alphasign.protocol import DELAY, DisplayMode, DisplayPosition
from hypothesis import given, settings
from hypothesis import strategies as st

from branchq.drivers.ledsign import Mode, Position, StreamDecoder, checksum, encode_write_text
from branchq.drivers.ledsign.protocol import DecodeError, EncodingError, Packet, parse_write_text

from .ledsign_helpers import fixture_bytes


def test_checksum_matches_the_manuals_worked_example() -> None:
    data = fixture_bytes("manual-worked-example-checksum.AAHELLO.hex")
    block, digits = data[:-4], data[-4:]
    assert checksum(block) == digits == b"01FB"


def test_our_frame_carries_the_manual_example_block() -> None:
    frame = encode_write_text(b"HELLO", position=Position.FILL, mode=Mode.HOLD)
    # STX "AA" ESC "0b" HELLO ETX: position and mode sit between label and text
    assert frame == (
        b"\x00" * 5 + b"\x01Z00\x02AA\x1b0bHELLO\x03" + checksum(b"\x02AA\x1b0bHELLO\x03") + b"\x04"
    )


def test_decoder_reads_the_frame_sent_to_a_real_alpha_215c() -> None:
    (packet,) = StreamDecoder().feed(fixture_bytes("alpha215c-experiment.wwco.hex"))
    assert isinstance(packet, Packet)
    assert (packet.type_code, packet.address) == ("Z", "00")
    (command,) = packet.commands
    assert command.code == "A" and command.checksum_ok is None  # no ETX: checksum is optional
    text_file = parse_write_text(command.data)
    assert (text_file.label, text_file.position, text_file.mode) == ("A", 0x20, "b")
    assert text_file.text == b"Message"


MESSAGES = [b"A023 -> 3", b"", b"B101 -> 12", b"\x071V005 -> 1\x070\rA023 -> 3", b"~!@#$%^&*()"]


def alphasignpy_frame(text: bytes, address: str, position: Position, mode: Mode) -> bytes:
    """alphasignpy's packet, 0xFF delay markers stripped (they are sleeps, never sent)."""
    packet = AlphaPacket(type_code=b"Z", address=address)
    if position in (Position.FILL, Position.MIDDLE_LINE):
        # Its newer API; its enum names 0x30 "TOP_LINE" and 0x26 "FILL": we compare bytes.
        packet.add(
            WriteText(
                text,
                label="A",
                position=DisplayPosition(bytes([position.value])),
                mode=DisplayMode(mode.value.encode()),
            )
        )
    else:  # its older command class has the manual's full position table
        packet.add(
            ManualWriteText(text, "A", bytes([position.value]), mode.value.encode())
        )
    return packet.to_bytes().replace(DELAY, b"")


@pytest.mark.parametrize("text", MESSAGES)
@pytest.mark.parametrize("address", ["00", "01", "3F", "FF"])
@pytest.mark.parametrize(
    ("position", "mode"),
    [
        (Position.FILL, Mode.HOLD),
        (Position.MIDDLE_LINE, Mode.FLASH),
        (Position.TOP_LINE, Mode.ROTATE),
        (Position.BOTTOM_LINE, Mode.HOLD),
    ],
)
def test_frames_equal_alphasignpy_without_its_delay_markers(
    text: bytes, address: str, position: Position, mode: Mode
) -> None:
    ours = encode_write_text(text, address=address, label="A", position=position, mode=mode)
    assert ours == alphasignpy_frame(text, address, position, mode)


def test_manual_position_table_agrees_with_alphasignpys_older_command() -> None:
    table = ManualWriteText.Position
    positions = (Position.MIDDLE_LINE, Position.TOP_LINE, Position.BOTTOM_LINE, Position.FILL)
    theirs = [table.middle_line, table.top_line, table.bottom_line, table.fill]
    assert theirs == [bytes([p.value]) for p in positions]


@pytest.mark.parametrize("text", [b"bad\x04eot", b"x\x01y", b"\x03"])
def test_framing_bytes_in_text_are_refused(text: bytes) -> None:
    with pytest.raises(EncodingError):
        encode_write_text(text)


def test_truncated_packet_is_dropped_and_the_next_one_decoded() -> None:
    good = encode_write_text(b"A023 -> 3", address="03")
    out = StreamDecoder().feed(good[:14] + b"junk\xff" + good)
    assert [type(x) for x in out] == [DecodeError, Packet]
    assert "truncated" in out[0].reason  # type: ignore[union-attr]


def test_bad_checksum_is_flagged() -> None:
    frame = bytearray(encode_write_text(b"A023 -> 3", address="03"))
    frame[-3] ^= 0x01  # a checksum digit
    (packet,) = StreamDecoder().feed(bytes(frame))
    assert isinstance(packet, Packet) and packet.commands[0].checksum_ok is False


def test_packet_split_across_reads_is_reassembled() -> None:
    frame = encode_write_text(b"A023 -> 3", address="03")
    decoder = StreamDecoder()
    got = [item for byte in frame for item in decoder.feed(bytes([byte]))]
    assert len(got) == 1 and isinstance(got[0], Packet) and got[0].commands[0].checksum_ok


@settings(max_examples=300, deadline=None)
@given(
    noise=st.binary(max_size=200),
    text=st.binary(max_size=40).filter(lambda b: all(x > 4 for x in b)),
)
def test_decoder_never_raises_and_finds_a_frame_after_noise(noise: bytes, text: bytes) -> None:
    decoder = StreamDecoder(max_packet=512)
    decoder.feed(noise)
    decoder.reset()  # the sign's serial timeout between the noise and the next packet
    out = decoder.feed(encode_write_text(text, address="05"))
    packets = [p for p in out if isinstance(p, Packet)]
    assert packets[-1].commands[0].checksum_ok
    assert parse_write_text(packets[-1].commands[0].data).text == text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=60), max_size=8))
def test_decoder_survives_arbitrary_chunks(chunks: list[bytes]) -> None:
    decoder = StreamDecoder(max_packet=128)
    for chunk in chunks:
        decoder.feed(chunk)
    assert decoder.pending <= 128 + 60
