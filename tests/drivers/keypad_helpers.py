"""Shared test data and fixtures for the caller keypad tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from branchq.drivers.keypad import (
    KeypadBus,
    KeypadBusConfig,
    KeypadConfig,
    KeypadConfigError,
    VirtualKeypadBus,
)
from tests.device_fixtures import fixture_dir

FIXTURES = fixture_dir("modbus")
UNITS = (1, 2, 3)


def fixture_lines(name: str) -> list[tuple[str, bytes]]:
    """(direction, bytes) per line of a ``.hex`` fixture; consecutive '<' lines are one chunk."""
    chunks: list[tuple[str, bytes]] = []
    for line in (FIXTURES / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        direction = line[0] if line[0] in "<>" else ""
        data = bytes.fromhex(line.lstrip("<> "))
        if chunks and direction == "<" and chunks[-1][0] == "<":
            chunks[-1] = ("<", chunks[-1][1] + data)  # a reply wrapped over several lines
        else:
            chunks.append((direction, data))
    return chunks


def bus_config(port: str, **overrides: object) -> KeypadBusConfig:
    """Keypads 1..3 at counters 11..13. Parity N: this kernel's ptys refuse PARENB."""
    values: dict[str, object] = {
        "port": port,
        "keypads": tuple(KeypadConfig(unit=u, counter=10 + u) for u in UNITS),
        "parity": "N",
        "timeout": 0.2,
        "offline_after": 1,
    }
    values.update(overrides)
    return KeypadBusConfig.from_section(values, KeypadConfigError, "keypad bus config")


@pytest.fixture(name="keypads")
def keypads_fixture(tmp_path: Path) -> Iterator[VirtualKeypadBus]:
    """Three virtual keypads behind a udev-like symlink to the RS-485 adapter."""
    with VirtualKeypadBus(UNITS, link=tmp_path / "keypads") as virtual:
        yield virtual


@pytest.fixture(name="bus")
def bus_fixture(keypads: VirtualKeypadBus) -> Iterator[KeypadBus]:
    """The master, already past its first (baseline) poll."""
    master = KeypadBus(bus_config(keypads.port))
    assert master.poll() == []
    yield master
    master.close()
