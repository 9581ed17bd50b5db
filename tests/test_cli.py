"""The console entry point a technician meets first."""

import subprocess
import sys


def test_branchq_help_lists_groups_with_examples() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "from host.cli import main; main()", "--help"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert "Examples:" in out
    assert "host" in out
