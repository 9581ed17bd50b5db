"""Card swipes and scans through the virtual reader's pipe: digests, text, faults, secrecy."""

from __future__ import annotations

import hashlib
import hmac
import logging

import pytest
from evdev import ecodes
from hypothesis import given, settings
from hypothesis import strategies as st

from branchq.drivers.cardreader import (
    CardDataError,
    CardRead,
    CardReader,
    CardReaderConfig,
    CardReaderConfigError,
    CardReaderDeviceError,
)
from branchq.drivers.cardreader.track2 import card_number, luhn_ok
from branchq.drivers.cardreader.virtual import VirtualScanner

from .evdev_helpers import ev, syn

BRANCH_KEY = b"branch-0042-secret-key-material"
PAN = "4111111111111111"  # a Luhn-valid test card number
BAD_PAN = "4111111111111112"


def digest(pan: str, key: bytes = BRANCH_KEY) -> str:
    return hmac.new(key, pan.encode(), hashlib.sha256).hexdigest()


def read_all(reader: CardReader, scanner: VirtualScanner) -> list[CardRead]:
    source = scanner.source()
    out: list[CardRead] = []
    try:
        for _ in range(20):
            out += reader.poll(source, 0.02)
    except CardReaderDeviceError:
        pass
    return out


@pytest.fixture
def scanner() -> VirtualScanner:
    return VirtualScanner(start=5000.0)


def test_swipe_gives_the_keyed_digest_only(scanner: VirtualScanner) -> None:
    scanner.swipe(PAN)
    (read,) = read_all(CardReader(BRANCH_KEY), scanner)
    assert read == CardRead("card", digest=digest(PAN))
    assert PAN not in repr(read) and read.text is None


def test_same_card_other_branch_gives_another_digest(scanner: VirtualScanner) -> None:
    other_key = b"branch-0099-another-secret-key!"
    scanner.swipe(PAN)
    (read,) = read_all(CardReader(other_key), scanner)
    assert read.digest == digest(PAN, other_key) != digest(PAN)


def test_card_number_is_never_logged(
    scanner: VirtualScanner, caplog: pytest.LogCaptureFixture
) -> None:
    scanner.swipe(PAN)
    scanner.swipe(BAD_PAN)  # rejected: its message must not carry it either
    scanner.type_text(f";{PAN}=2912")  # no end sentinel: a damaged swipe, not text
    scanner.advance(2.0)
    scanner.type_text(f";{PAN}=29", enter=False)  # a partial swipe that times out
    scanner.advance(2.0)
    scanner.type_text("hello")
    with caplog.at_level(logging.DEBUG):
        reader = CardReader(BRANCH_KEY)
        reads = read_all(reader, scanner)
    assert reads == [CardRead("card", digest=digest(PAN)), CardRead("text", text="hello")]
    assert "Luhn" in caplog.text and "timed out" in caplog.text and "track 2" in caplog.text
    for record in caplog.records:
        assert PAN[:12] not in record.getMessage() and BAD_PAN[:12] not in record.getMessage()
    assert PAN not in repr(reader)


def test_track2_errors_carry_no_card_data() -> None:
    with pytest.raises(CardDataError) as info:
        card_number(f";{BAD_PAN}=2912101?")
    assert BAD_PAN[:8] not in str(info.value)
    with pytest.raises(CardDataError, match="track 2"):
        card_number("%BNOTRACK2^X^?")
    assert card_number(f"%B{PAN}^A/B^2912?;{PAN}=2912101000?") == PAN
    assert luhn_ok("79927398713") and not luhn_ok("79927398710")


def test_qr_text_with_symbols_passes_as_text(scanner: VirtualScanner) -> None:
    url = "https://bank.example/q?t=A023&b=0042#Z_~{ok}"
    scanner.type_text(url)
    assert read_all(CardReader(BRANCH_KEY), scanner) == [CardRead("text", text=url)]


def test_alt_code_scanner_through_pipe(scanner: VirtualScanner) -> None:
    scanner.type_alt_codes("A023-VIP")
    assert read_all(CardReader(BRANCH_KEY), scanner) == [CardRead("text", text="A023-VIP")]


def test_slow_partial_read_times_out_then_next_read_works(scanner: VirtualScanner) -> None:
    scanner.type_text("ABC", enter=False)
    scanner.advance(0.6)
    scanner.type_text("XYZ")
    assert read_all(CardReader(BRANCH_KEY), scanner) == [CardRead("text", text="XYZ")]


def test_partial_read_times_out_while_the_reader_is_silent() -> None:
    scanner = VirtualScanner()  # wall-clock timestamps
    reader = CardReader(BRANCH_KEY, CardReaderConfig(timeout_s=0.05))
    source = scanner.source()
    scanner.type_text("12", enter=False)
    assert reader.poll(source, 0.01) == []
    for _ in range(10):
        reader.poll(source, 0.02)
    scanner.type_text("", enter=True)  # a late Enter alone: nothing to hand over
    scanner.type_text("34")
    assert reader.poll(source, 0.05) == [CardRead("text", text="34")]


def test_syn_dropped_discards_the_read_in_progress(scanner: VirtualScanner) -> None:
    scanner.type_text("lost", enter=False)
    scanner.syn_dropped()
    scanner.type_text("x")  # the frame after the drop (this key down) is discarded up to SYN
    scanner.type_text("kept")
    assert read_all(CardReader(BRANCH_KEY), scanner) == [CardRead("text", text="kept")]


def test_vanishing_reader_is_a_device_error(scanner: VirtualScanner) -> None:
    reader = CardReader(BRANCH_KEY)
    source = scanner.source()
    scanner.type_text("half", enter=False)
    scanner.send_raw(b"\x00" * 10)
    scanner.vanish()
    with pytest.raises(CardReaderDeviceError, match="end of file"):
        for _ in range(10):
            reader.poll(source, 0.02)


def test_caps_lock_and_autorepeat() -> None:
    reader = CardReader(BRANCH_KEY)
    events = []
    t = 1.0
    for code, value in [
        (ecodes.KEY_CAPSLOCK, 1), (ecodes.KEY_CAPSLOCK, 0), (ecodes.KEY_A, 1), (ecodes.KEY_A, 2),
        (ecodes.KEY_A, 0), (ecodes.KEY_LEFTSHIFT, 1), (ecodes.KEY_B, 1), (ecodes.KEY_B, 0),
        (ecodes.KEY_LEFTSHIFT, 0), (ecodes.KEY_KPENTER, 1),
    ]:
        events += [ev(t, ecodes.EV_KEY, code, value), syn(t)]
        t += 0.004
    assert reader.feed_all(events) == [CardRead("text", text="Ab")]


@pytest.mark.parametrize("key", [b"short", "a-string-not-bytes-0123456789"])
def test_weak_branch_key_refused(key: object) -> None:
    with pytest.raises(CardReaderConfigError):
        CardReader(key)  # type: ignore[arg-type]


def test_config_rejects_unknown_and_bad_values() -> None:
    with pytest.raises(CardReaderConfigError, match="unknown"):
        CardReaderConfig.from_mapping({"timeout": 1})
    with pytest.raises(CardReaderConfigError):
        CardReaderConfig.from_mapping({"timeout_s": 0})


KEY_CODES = st.sampled_from(
    [ecodes.KEY_A, ecodes.KEY_1, ecodes.KEY_SEMICOLON, ecodes.KEY_EQUAL, ecodes.KEY_SLASH,
     ecodes.KEY_LEFTSHIFT, ecodes.KEY_LEFTALT, ecodes.KEY_LEFTCTRL, ecodes.KEY_KP5,
     ecodes.KEY_KP0, ecodes.KEY_ENTER, ecodes.KEY_CAPSLOCK, ecodes.KEY_F1, 0, 767]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), KEY_CODES, st.integers(-1, 3), st.floats(0, 1)),
                max_size=150))
def test_random_key_streams_never_crash(stream) -> None:
    reader = CardReader(BRANCH_KEY, CardReaderConfig(max_length=40))
    t = 1.0
    for etype, code, value, dt in stream:
        t += dt
        for read in reader.feed_all([ev(t, etype, code, value)]):
            assert read.kind in ("card", "text")
            assert (read.digest is None) != (read.text is None)
            assert read.text is None or 0 < len(read.text) <= 40


def test_no_reader_device_is_a_clear_error(tmp_path) -> None:
    from branchq.drivers.cardreader import find_card_reader

    config = CardReaderConfig(device=str(tmp_path / "branchq-cardreader"))
    with pytest.raises(CardReaderDeviceError, match="no card reader.*udev/README.md"):
        find_card_reader(config)
