"""The one console entry point, ``branchq``, with a subcommand group per concern.

Groups other than ``host`` are imported only when used, so a branch server never imports kiosk
drivers and a kiosk never imports the database layer it does not need.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys

import click

# name -> "module:attribute" of a click command or group
_LAZY_GROUPS: dict[str, str] = {
    "host": "host.cli_host:host",
    "demo": "host.cli_host:demo",
    "kiosk": "kiosk.cli:kiosk",
    "maint": "kiosk.maint.cli:maint",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_LAZY_GROUPS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _LAZY_GROUPS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name and module_name.startswith(err.name):
                return None  # that part of branchq is not built yet
            raise
        command: click.Command = getattr(module, attr)
        return command


def setup_logging(verbose: bool = False) -> None:
    """Log to stdout in a form journald keeps as-is (it adds its own timestamps)."""
    level = logging.DEBUG if verbose else getattr(logging, os.environ.get("BRANCHQ_LOG", "INFO"))
    logging.basicConfig(
        stream=sys.stdout,
        level=level,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


def log_to_stderr() -> None:
    """For commands whose stdout is data (a token, JSON): keep log lines out of it."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
            handler.setStream(sys.stderr)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def cli(verbose: bool) -> None:
    """branchq: queue management for bank branches.

    \b
    Examples:
      branchq demo                      # host + simulated kiosk on 127.0.0.1
      branchq host run --config /etc/branchq/branch.toml
      branchq host token create --role teller --counter 3 --name "Counter 3"
    """
    setup_logging(verbose)


def main() -> None:
    cli()
