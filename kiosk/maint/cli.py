"""The ``branchq maint`` group: one subcommand (or group) per command family, loaded on use."""

from __future__ import annotations

import logging

import click

from branchq.drivers.platform.cli import GlobalOptions, LazyCommand, LazyGroup, log_to_stderr, setup_logging

# Imported only when that command runs; ``--help`` lists the short help given here.
COMMANDS: dict[str, LazyCommand] = {
    "devices": LazyCommand("branchq.kiosk.maint.devices:devices",
                           "List serial ports, USB printers, input devices and framebuffers, and "
                           "match them with the device entries of the kiosk config."),
    "printer": LazyCommand("branchq.kiosk.maint.printer:printer",
                           "Ticket printer: status in words, test ticket, paper feed, cut."),
    "display": LazyCommand("branchq.kiosk.maint.display:display",
                           "LED call signs: test pattern, a message, clear."),
    "keypad": LazyCommand("branchq.kiosk.maint.keypad:keypad",
                          "Caller keypads: which addresses answer on the bus; live key presses."),
    "touch": LazyCommand("branchq.kiosk.maint.touch:touch",
                         "Touch screen: live touch coordinates; calibration."),
    "health": LazyCommand("branchq.kiosk.maint.health:health",
                          "Everything a kiosk needs to serve customers, in one screen: host, "
                          "service, heartbeat, devices, disk, clock, offline numbers."),
    "config": LazyCommand("branchq.kiosk.maint.config_check:config", "Configuration files."),
    "logs": LazyCommand("branchq.kiosk.maint.logs:logs",
                        "Show the kiosk and host logs from the systemd journal, filtered."),
    "db": LazyCommand("branchq.kiosk.maint.db:db", "The host's database: backup, restore, integrity check."),
    "day": LazyCommand("branchq.kiosk.maint.day:day", "The business day."),
}


@click.group(cls=LazyGroup, lazy=COMMANDS)
@click.option("-v", "--verbose", is_flag=True,
              help="Also show the drivers' and libraries' log lines (info and debug).")
def maint(verbose: bool) -> None:
    """Find and fix hardware and configuration faults (for technicians).

    Exit codes: 0 healthy, 1 fault found, 2 usage error. Add --json for scripts. On a
    machine without /etc/branchq (the demo), the commands find ./var as `branchq demo` does.

    \b
    Examples:
      branchq maint health
      branchq maint devices
      branchq maint printer status
      branchq maint config check /etc/branchq/kiosk.toml
    """
    # Output is tables or JSON on stdout; log lines (drivers' warnings) go to stderr, and only
    # warnings and errors unless asked for.
    setup_logging(verbose or GlobalOptions.verbose, level=logging.WARNING)
    log_to_stderr()
