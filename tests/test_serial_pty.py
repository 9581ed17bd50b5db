"""The pty pair that stands in for a serial cable in every serial driver test."""

import serial

from branchq.drivers.serial_pty import open_pty_pair


def test_bytes_cross_the_pty_unchanged_both_ways() -> None:
    pair = open_pty_pair()
    try:
        port = serial.Serial(pair.slave_path, 9600, timeout=1)
        raw = bytes(range(256))  # includes CR, LF, XON/XOFF and ^C: raw mode must pass them all
        port.write(raw)
        got = b""
        while len(got) < len(raw):
            chunk = pair.read(1.0)
            assert chunk, "pty stopped delivering bytes"
            got += chunk
        assert got == raw
        pair.write(b"\x10\x04\x01\r\n")
        assert port.read(5) == b"\x10\x04\x01\r\n"
        port.close()
    finally:
        pair.close()
