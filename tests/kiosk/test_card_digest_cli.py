"""``branchq kiosk card-digest``: the number typed on stdin becomes the digest the host enrols."""

from __future__ import annotations

import subprocess
from pathlib import Path

from branchq.drivers.cardreader.reader import card_digest
from branchq.drivers.platform.cli import BRANCHQ_COMMAND
from tests.maint.maint_helpers import kiosk_toml

CARD_KEY = b"k" * 32


def _config_with_card_key(tmp_path: Path) -> Path:
    config = kiosk_toml(tmp_path)
    key_file = tmp_path / "card.key"
    key_file.write_bytes(CARD_KEY + b"\n")
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[kiosk]\n", f'[kiosk]\ncard_key_file = "{key_file}"\n', 1),
                      encoding="utf-8")
    return config


def _card_digest(config: Path, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BRANCHQ_COMMAND, "kiosk", "card-digest", "--config", str(config)],
                          capture_output=True, text=True, input=stdin, timeout=60)


def test_a_card_number_on_stdin_prints_its_digest_with_the_branch_key(tmp_path: Path) -> None:
    result = _card_digest(_config_with_card_key(tmp_path), "4111 1111 1111 1111\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == card_digest(CARD_KEY, "4111111111111111")
    assert "4111" not in result.stdout


def test_a_short_number_is_refused_with_what_was_expected(tmp_path: Path) -> None:
    result = _card_digest(_config_with_card_key(tmp_path), "12345\n")
    assert result.returncode != 0
    assert "expected a card number of 12 to 19 digits" in result.stderr
