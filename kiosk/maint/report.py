"""What a maintenance command found, and how it is shown: rich tables, ``--json``, exit codes.

A command collects :class:`Finding` objects (one per thing checked) and optional tables into a
:class:`Report`; :func:`reporting` prints it and exits 0 (healthy) or 1 (a fault was found). A
check that cannot go on raises :class:`Stop` with the finding that says why.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

EXIT_OK = 0
EXIT_FAULT = 1
EXIT_USAGE = 2


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 ticket``, ``2 tickets`` (``nouns`` for irregular plurals: ``touch``, ``touches``)."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


class Level(StrEnum):
    OK = "ok"
    INFO = "info"
    WARNING = "warning"
    FAULT = "fault"


_MARK = {Level.OK: "[green]OK[/]", Level.INFO: "[cyan]--[/]", Level.WARNING: "[yellow]!![/]",
         Level.FAULT: "[bold red]XX[/]"}


@dataclass(frozen=True)
class Finding:
    """One result in words: "Printer: out of paper — load a new roll (80 mm), then run ..."."""

    subject: str
    level: Level
    summary: str
    action: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def sentence(self) -> str:
        return f"{self.subject}: {self.summary}" + (f" — {self.action}" if self.action else "")

    def as_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "level": self.level.value, "summary": self.summary,
                "action": self.action, "message": self.sentence, **self.data}


@dataclass(frozen=True)
class Table:
    """A plain table of strings; ``rows`` also go into the JSON output as objects."""

    title: str
    columns: Sequence[str]
    rows: list[Sequence[str]] = field(default_factory=list)

    def as_json(self) -> list[dict[str, str]]:
        keys = [c.lower().replace(" ", "_") for c in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


class Stop(Exception):
    """A check cannot continue; the finding says why and what to do."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.sentence)
        self.finding = finding


@dataclass
class Report:
    title: str
    findings: list[Finding] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, subject: str, level: Level, summary: str, action: str = "",
            **data: Any) -> Finding:
        finding = Finding(subject, level, summary, action, data)
        self.findings.append(finding)
        return finding

    def table(self, title: str, columns: Sequence[str]) -> Table:
        table = Table(title, columns)
        self.tables.append(table)
        return table

    @property
    def faults(self) -> list[Finding]:
        return [f for f in self.findings if f.level is Level.FAULT]

    @property
    def exit_code(self) -> int:
        return EXIT_FAULT if self.faults else EXIT_OK

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "ok": not self.faults,
            "findings": [f.as_json() for f in self.findings],
            **{t.title.lower().replace(" ", "_"): t.as_json() for t in self.tables},
            **self.data,
        }


def console() -> Console:
    """A rich console on stdout; no colour codes when stdout is not a terminal."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def render(report: Report) -> None:
    from rich.table import Table as RichTable

    out = console()
    out.print(f"[bold]{report.title}[/]")
    for table in report.tables:
        if not table.rows:
            out.print(f"{table.title}: none")
            continue
        rich_table = RichTable(title=table.title, title_justify="left", show_lines=False)
        for column in table.columns:
            rich_table.add_column(column, overflow="fold")
        for row in table.rows:
            rich_table.add_row(*map(_escape, row))
        out.print(rich_table)
    for finding in report.findings:
        # One finding per line, never cut: a technician may copy the command at its end.
        out.print(f"{_MARK[finding.level]} {_escape(finding.sentence)}", soft_wrap=True)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def json_line(data: dict[str, Any]) -> None:
    """One JSON object on one line (live events of the monitor commands), flushed at once."""
    click.echo(json.dumps(data, ensure_ascii=False, default=str))
    sys.stdout.flush()


def emit(report: Report, as_json: bool, compact: bool = False) -> None:
    """Show ``report`` and exit with its code; ``compact`` JSON is one line (after JSON lines)."""
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=None if compact else 2,
                              default=str))
    else:
        render(report)
    sys.stdout.flush()
    raise SystemExit(report.exit_code)


@contextmanager
def reporting(title: str, as_json: bool, compact: bool = False) -> Iterator[Report]:
    """Collect findings in the block; a :class:`Stop` adds its finding. Then show and exit."""
    report = Report(title)
    try:
        yield report
    except Stop as stop:
        report.findings.append(stop.finding)
    emit(report, as_json, compact)
