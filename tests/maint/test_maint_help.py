"""Every maintenance command explains itself with an example."""

from __future__ import annotations

import click
from click.testing import CliRunner

from branchq.kiosk.maint.cli import maint
from tests.maint.maint_helpers import maint as run_maint


def _commands(group: click.Group, ctx: click.Context, prefix: list[str]) -> list[list[str]]:
    found = [prefix]
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            found += _commands(command, ctx, [*prefix, name])
        else:
            found.append([*prefix, name])
    return found


def test_every_help_has_an_example() -> None:
    runner = CliRunner()
    paths = _commands(maint, click.Context(maint), [])
    assert len(paths) >= 25
    for path in paths:
        result = runner.invoke(maint, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Example" in result.output, path


def test_maint_group_through_the_entry_point() -> None:
    result = run_maint("--help")
    assert result.returncode == 0
    for name in ("devices", "printer", "display", "keypad", "touch", "health", "config", "logs",
                 "db", "day"):
        assert name in result.stdout
    assert run_maint("printer", "--bogus").returncode == 2
