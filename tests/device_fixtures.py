"""Where the recorded device captures are: ``shared/fixtures/`` beside this checkout (as in CI),
or ``$BRANCHQ_FIXTURES``. They are read-only test data recorded on real hardware."""

from __future__ import annotations

import os
from pathlib import Path

_CANDIDATES = [
    Path(os.environ["BRANCHQ_FIXTURES"]) if os.environ.get("BRANCHQ_FIXTURES") else None,
    Path(__file__).resolve().parents[2] / "shared" / "fixtures",
    Path("/work/shared/fixtures"),
]
FIXTURES = next((p for p in _CANDIDATES if p is not None and p.is_dir()),
                Path(__file__).resolve().parents[2] / "shared" / "fixtures")


def fixture_dir(family: str) -> Path:
    """``evdev``, ``escpos``, ``alpha`` or ``modbus``."""
    return FIXTURES / family
