"""Shared test data and fixtures for the LED sign driver tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from branchq.drivers.ledsign import Role, SignAddress, SignConfig, VirtualSign
from tests.device_fixtures import fixture_dir

FIXTURES = fixture_dir("alpha")
HALL = "01"
COUNTER_3 = "03"
COUNTER_5 = "05"


def fixture_bytes(name: str) -> bytes:
    """Bytes of a ``.hex`` fixture: hex pairs, ``#`` comments, free whitespace."""
    text = "\n".join(line.split("#", 1)[0] for line in (FIXTURES / name).read_text().splitlines())
    return bytes.fromhex("".join(text.split()))


def line_config(port: str, **overrides: object) -> SignConfig:
    """A hall board with 3 lines and signs over counters 3 and 5, as in a small branch."""
    values: dict[str, object] = {
        "port": port,
        "signs": (
            SignAddress(address=HALL, role=Role.HALL, lines=3),
            SignAddress(address=COUNTER_3, role=Role.COUNTER, counter=3),
            SignAddress(address=COUNTER_5, role=Role.COUNTER, counter=5),
        ),
        "ack": True,
        "ack_timeout": 0.5,
    }
    values.update(overrides)
    return SignConfig.from_mapping(values)


class RecordingTransport:
    """Dummy backend: keeps every packet written, answers nothing."""

    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def read(self, size: int) -> bytes:
        return b""

    def close(self) -> None:
        pass


@pytest.fixture(name="virtual_sign")
def virtual_sign_fixture(tmp_path: Path) -> Iterator[VirtualSign]:
    """Three signs on one virtual line, reachable through a udev-like symlink."""
    with VirtualSign((HALL, COUNTER_3, COUNTER_5), link=tmp_path / "ledsign") as sign:
        yield sign
