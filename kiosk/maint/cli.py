"""The ``branchq maint`` group: one subcommand (or group) per command family, loaded on use."""

from __future__ import annotations

import importlib

import click

from host.cli import log_to_stderr

# name -> "module:attribute", imported only when that command runs (or for --help listings)
_COMMANDS: dict[str, str] = {
    "devices": "kiosk.maint.devices:devices",
    "printer": "kiosk.maint.printer:printer",
    "display": "kiosk.maint.display:display",
    "keypad": "kiosk.maint.keypad:keypad",
    "touch": "kiosk.maint.touch:touch",
    "health": "kiosk.maint.health:health",
    "config": "kiosk.maint.config_check:config",
    "logs": "kiosk.maint.logs:logs",
    "db": "kiosk.maint.db:db",
    "day": "kiosk.maint.day:day",
}


class _LazyCommands(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command


@click.group(cls=_LazyCommands)
def maint() -> None:
    """Find and fix hardware and configuration faults (for technicians).

    Exit codes: 0 healthy, 1 fault found, 2 usage error. Add --json for scripts.

    \b
    Examples:
      branchq maint health
      branchq maint devices
      branchq maint printer status
      branchq maint config check /etc/branchq/kiosk.toml
    """
    # Output is tables or JSON on stdout; log lines (drivers' warnings) go to stderr.
    log_to_stderr()
