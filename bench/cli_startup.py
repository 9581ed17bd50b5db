"""Start-up time of the command line: ``branchq --help`` and ``branchq maint --help``.

Each command is run as a whole new process (interpreter start-up included), a warm-up run
first, then N timed runs; prints min, median and max wall seconds. The goal is under 0.3 s
for ``branchq --help`` (docs/performance.md).

    .venv/bin/python bench/cli_startup.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from pathlib import Path

from branchq.drivers.platform.cli import BRANCHQ_COMMAND

REPO = Path(__file__).resolve().parent.parent
COMMANDS = (["--help"], ["maint", "--help"], ["host", "--help"])


def timed(args: list[str], runs: int) -> list[float]:
    command = [*BRANCHQ_COMMAND, *args]
    subprocess.run(command, cwd=REPO, capture_output=True, check=True)  # warm-up
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO, capture_output=True, check=True)
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    print(f"{'command':28s} {'min s':>7s} {'median s':>9s} {'max s':>7s}")
    for args in COMMANDS:
        seconds = timed(args, runs)
        print(f"{'branchq ' + ' '.join(args):28s} {min(seconds):7.3f} "
              f"{statistics.median(seconds):9.3f} {max(seconds):7.3f}")


if __name__ == "__main__":
    main()
