"""``branchq maint logs``: the kiosk and host journal (journalctl), filtered for a technician.

The services log ``LEVEL logger: message`` to stdout and journald keeps it; ``--errors`` keeps
warnings, errors, tracebacks and systemd's own lines about failures and the watchdog.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import click

from branchq.kiosk.maint.options import json_option
from branchq.kiosk.maint.report import Finding, Level, Stop, plural, reporting

UNITS = {"kiosk": ["branchq-kiosk"], "host": ["branchq-host"],
         "all": ["branchq-kiosk", "branchq-host"]}
_PROBLEM = re.compile(r"\b(WARNING|ERROR|CRITICAL)\b|Traceback|[Ww]atchdog|[Ff]ailed|"
                      r"Main process exited")


def journal(units: list[str], since: str, lines: int | None) -> list[str]:
    """Journal lines of ``units``; :class:`Stop` when there is no journalctl to ask."""
    if shutil.which("journalctl") is None:
        raise Stop(Finding(
            "Logs", Level.FAULT, "journalctl not found: this system has no systemd journal",
            "the services' output is wherever they were started from; on the kiosk and the "
            "server they run under systemd (see systemd/), where this command works"))
    command = ["journalctl", "--no-pager", "--output=short-iso", f"--since={since}"]
    command += [f"--unit={unit}" for unit in units]
    if lines:
        command.append(f"--lines={lines}")
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired as err:
        raise Stop(Finding("Logs", Level.FAULT, "journalctl did not answer within 60 s",
                           "narrow it down with --since '10 min ago'")) from err
    if result.returncode != 0:
        raise Stop(Finding("Logs", Level.FAULT,
                           f"journalctl failed: {result.stderr.strip() or result.returncode}",
                           "check --since (e.g. '1 hour ago', 'today', '2024-05-01 08:00'); "
                           "to read all logs run with sudo or join group systemd-journal"))
    return [line for line in result.stdout.splitlines() if line and not line.startswith("-- ")]


@click.command()
@click.option("--since", default="1 hour ago", show_default=True,
              help="Start time, as journalctl takes it: 'today', '30 min ago', '2024-05-01 08:00'.")
@click.option("--unit", type=click.Choice(sorted(UNITS)), default="all", show_default=True,
              help="Which service's log.")
@click.option("--errors", is_flag=True, help="Only warnings, errors, tracebacks, watchdog and "
                                             "failure lines.")
@click.option("--grep", "pattern", help="Only lines containing this text (any case), e.g. printer.")
@click.option("--lines", type=click.IntRange(1), help="At most this many lines (the newest).")
@json_option
def logs(since: str, unit: str, errors: bool, pattern: str | None, lines: int | None,
         as_json: bool) -> None:
    """Show the kiosk and host logs from the systemd journal, filtered.

    \b
    Examples:
      branchq maint logs --since today --errors
      branchq maint logs --unit kiosk --grep printer --since "30 min ago"
    """
    with reporting("Logs", as_json) as report:
        found = journal(UNITS[unit], since, lines)
        kept = [line for line in found
                if (not errors or _PROBLEM.search(line))
                and (pattern is None or pattern.lower() in line.lower())]
        report.data["lines"] = kept
        if not as_json:
            for line in kept:
                click.echo(line)
        filters = ", ".join(f for f in ("errors only" if errors else "",
                                        f"containing {pattern!r}" if pattern else "") if f)
        report.add("Logs", Level.INFO,
                   f"{plural(len(kept), 'line')} of {', '.join(UNITS[unit])} since {since}"
                   + (f" ({filters}; {len(found)} before filtering)" if filters else ""))
