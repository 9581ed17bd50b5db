"""Where the recorded device captures are: ``tests/fixtures/``, vendored into the repository with
their sources and licences in ``tests/fixtures/SOURCES.md``. They are read-only test data recorded
on real hardware; no test reads device data from outside the repository."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture_dir(family: str) -> Path:
    """``evdev``, ``escpos``, ``alpha`` or ``modbus``."""
    return FIXTURES / family
