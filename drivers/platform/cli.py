"""The one console entry point, ``branchq``, with a subcommand group per concern.

Groups other than ``host`` are imported only when used, so a branch server never imports kiosk
drivers and a kiosk never imports the database layer it does not need.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True)
class LazyCommand:
    """A subcommand imported only when it runs; ``short_help`` is what ``--help`` lists for it,
    so listing the commands imports none of them (a test keeps it equal to the command's own)."""

    target: str  # "module:attribute" of a click command or group
    short_help: str


class LazyGroup(click.Group):
    """A click group whose subcommands are :class:`LazyCommand` entries."""

    def __init__(self, *args: Any, lazy: dict[str, LazyCommand], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.lazy)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = self.lazy.get(cmd_name)
        if entry is None:
            return None
        module_name, attr = entry.target.split(":")
        # A library the other install has (branchq[host] or branchq[kiosk]) is missing: raised, and
        # worded by cli_errors as the extra to install.
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.lazy[name].short_help) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


#: ``branchq`` run by this very interpreter, for a process that starts another branchq process
#: (the demo starts its kiosk; tests and benches start hosts) whether or not the script is on PATH.
BRANCHQ_COMMAND = (sys.executable, "-c", "from branchq.drivers.platform.cli import main; main()")

LAZY_GROUPS: dict[str, LazyCommand] = {
    "host": LazyCommand("branchq.host.cli_host:host",
                        "The branch host service (FastAPI) and its credentials."),
    "demo": LazyCommand("branchq.host.cli_demo:demo",
                        "Run the demo: the host with the example branch and a simulated kiosk, "
                        "all on 127.0.0.1."),
    "kiosk": LazyCommand("branchq.kiosk.cli:kiosk",
                         "The kiosk: touch screen, ticket printer, LED signs and caller keypads."),
    "maint": LazyCommand("branchq.kiosk.maint.cli:maint",
                         "Find and fix hardware and configuration faults (for technicians)."),
}


#: Libraries whose INFO lines are noise in a service's log or a command's output (httpx logs
#: every request; python-escpos logs on the root logger, e.g. "Serial printer enabled").
QUIET_LIBRARIES = ("httpx", "httpcore", "pymodbus", "root")


def _library_noise(record: logging.LogRecord) -> bool:
    """False for a library's record below WARNING (a handler filter: drop it)."""
    return record.levelno >= logging.WARNING or record.name.split(".")[0] not in QUIET_LIBRARIES


def setup_logging(verbose: bool = False, level: int | None = None) -> None:
    """Log to stdout in a form journald keeps as-is (it adds its own timestamps).

    ``level`` defaults to $BRANCHQ_LOG (INFO). Libraries' lines below WARNING are dropped unless
    ``verbose``. ``force``: a library may have configured logging on import already."""
    chosen = logging.DEBUG if verbose else (
        level if level is not None else getattr(logging, os.environ.get("BRANCHQ_LOG", "INFO")))
    logging.basicConfig(stream=sys.stdout, level=chosen, force=True,
                        format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if not verbose:
        for handler in logging.getLogger().handlers:
            handler.addFilter(_library_noise)


def log_to_stderr() -> None:
    """For commands whose stdout is data (a token, JSON): keep log lines out of it."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
            handler.setStream(sys.stderr)


class GlobalOptions:
    """The top-level options, for :func:`main` after click has finished and for subgroups."""

    debug = False
    verbose = False


@click.group(cls=LazyGroup, lazy=LAZY_GROUPS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.option("--debug", is_flag=True, envvar="BRANCHQ_DEBUG",
              help="On a failure, show the Python traceback (for a bug report). Env: BRANCHQ_DEBUG=1.")
def cli(verbose: bool, debug: bool) -> None:
    """branchq: queue management for bank branches.

    \b
    Examples:
      branchq demo                      # host + simulated kiosk on 127.0.0.1
      branchq host run --config /etc/branchq/branch.toml
      branchq host token create --role teller --counter 3 --name "Counter 3"
    """
    GlobalOptions.debug, GlobalOptions.verbose = debug, verbose
    setup_logging(verbose)


def main() -> None:
    """``branchq``: a failure a person can cause ends in a short message on stderr, exit 1."""
    try:
        cli(prog_name="branchq")
    except Exception as err:
        if GlobalOptions.debug:
            raise
        from branchq.drivers.platform.cli_errors import explain

        sys.stderr.write(explain(err))
        sys.exit(1)
