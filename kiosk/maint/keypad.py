"""``branchq maint keypad scan|monitor``: the caller keypads on the RS-485 bus (Modbus RTU).

``scan`` asks every address in a range once (through the same :class:`KeypadBus` the kiosk
polls with) and compares what answers with the config, so a keypad set to the wrong address is
found. ``monitor`` shows key presses live, as the kiosk would forward them.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

import click

from branchq.kiosk.maint.options import json_option, kiosk_config_option, load_kiosk, port_option
from branchq.kiosk.maint.report import Finding, Level, Report, Stop, console, json_line, reporting

if TYPE_CHECKING:
    from branchq.drivers.keypad import KeypadBus, KeypadBusConfig, KeypadStatus

SCAN = "`branchq maint keypad scan`"
#: Scanning asks many addresses that may not exist: each silent one costs this long at most.
SCAN_TIMEOUT_S = 0.1


@click.group()
def keypad() -> None:
    """Caller keypads: which addresses answer on the bus; live key presses.

    \b
    Examples:
      branchq maint keypad scan
      branchq maint keypad monitor --seconds 60
    """


def _config(kiosk_config: str, port: str | None) -> KeypadBusConfig:
    config = load_kiosk(kiosk_config).keypads
    if config is None:
        raise Stop(Finding("Keypads", Level.FAULT, f"no [keypads] section in {kiosk_config}",
                           "add the keypad bus to the kiosk config (see kiosk/example-kiosk.toml)"))
    if port:
        config = config.replaced(port=port)
    if not os.path.exists(config.port):
        raise Stop(Finding(
            "Keypads", Level.FAULT, f"bus port {config.port} does not exist",
            "check the USB-RS485 adapter is plugged in (its light is on); run "
            f"`branchq maint devices` to see what is connected, then run {SCAN}"))
    return config


def _units(spec: str) -> list[int]:
    """``"1-16"``, ``"1,3,5"`` or a mix, as Modbus unit ids."""
    units: set[int] = set()
    try:
        for part in spec.split(","):
            first, _, last = part.strip().partition("-")
            units.update(range(int(first), int(last or first) + 1))
    except ValueError as err:
        raise click.BadParameter(f"{spec!r}: use ranges like 1-16 or lists like 1,3,5",
                                 param_hint="--units") from err
    if not units or min(units) < 1 or max(units) > 247:
        raise click.BadParameter("Modbus unit ids are 1..247", param_hint="--units")
    return sorted(units)


def _scan_bus(config: KeypadBusConfig, units: list[int]) -> list[KeypadStatus]:
    """Poll each unit once on a bus configured with one keypad per unit."""
    from branchq.drivers.keypad import KeypadBus, KeypadConfig

    configured = {k.unit: k for k in config.keypads}
    scan_config = config.replaced(
        keypads=tuple(KeypadConfig(unit=u, counter=u,
                                   model=configured[u].model if u in configured else "branchq-v1")
                      for u in units),
        timeout=min(config.timeout, SCAN_TIMEOUT_S),
        offline_after=1,
    )
    bus = KeypadBus(scan_config)
    try:
        bus.poll()
        return bus.status()
    finally:
        bus.close()


def _where(unit: int, counter: int | None) -> str:
    return f"Keypad unit {unit}" + (f" (counter {counter})" if counter is not None else "")


def scan_findings(report: Report, config: KeypadBusConfig, found: list[KeypadStatus]) -> None:
    configured = {k.unit: k.counter for k in config.keypads}
    answering = {s.unit: s for s in found if s.online}
    table = report.table("Keypad bus", ["Unit", "Counter", "Answers", "Model", "Firmware"])
    for unit in sorted(set(configured) | set(answering)):
        status = answering.get(unit)
        table.rows.append([
            str(unit), str(configured.get(unit, "-")), "yes" if status else "no",
            f"0x{status.model_id:04X}" if status and status.model_id is not None else "-",
            f"{status.firmware >> 8}.{status.firmware & 0xFF}"
            if status and status.firmware is not None else "-",
        ])
    strangers = sorted(set(answering) - set(configured))
    for unit, counter in sorted(configured.items()):
        if unit in answering:
            report.add(_where(unit, counter), Level.OK, "answers", unit=unit)
            continue
        hint = (f" (unit {', '.join(map(str, strangers))} answers but is not in the config: is "
                "this keypad set to the wrong address?)" if strangers else "")
        report.add(_where(unit, counter), Level.FAULT, "not answering",
                   "check the keypad's cable (RS-485 A and B not swapped, terminal screws tight), "
                   f"its power, and that its address is set to {unit}{hint}, then run {SCAN}",
                   unit=unit)
    for unit in strangers:
        report.add(_where(unit, None), Level.WARNING, "answers but is not in the kiosk config",
                   f"add {{ unit = {unit}, counter = N }} to [keypads] or change the keypad's "
                   "address", unit=unit)


@keypad.command()
@click.option("--units", default="1-16", show_default=True,
              help="Addresses to ask, e.g. 1-32 or 1,2,5 (the configured ones are always asked).")
@kiosk_config_option
@port_option("keypad bus")
@json_option
def scan(units: str, kiosk_config: str, port: str | None, as_json: bool) -> None:
    """Ask each address on the bus and compare the answers with the config.

    \b
    Example:
      branchq maint keypad scan --units 1-32
    """
    wanted = _units(units)
    with reporting("Keypad bus scan", as_json) as report:
        config = _config(kiosk_config, port)
        asked = sorted(set(wanted) | {k.unit for k in config.keypads})
        scan_findings(report, config, _scan_bus(config, asked))


def _key_name(value: str) -> str:
    return value.replace("_", " ")


def _monitor(report: Report, bus: KeypadBus, config: KeypadBusConfig, count: int | None,
             seconds: float | None, as_json: bool) -> None:
    out = console()
    bus.poll()  # the first poll only takes each keypad's counter as the baseline
    offline = [s for s in bus.status() if not s.online]
    for status in offline:
        report.add(_where(status.unit, status.counter), Level.FAULT, "not answering",
                   f"check its cable, power and address, then run {SCAN}", unit=status.unit)
    listening = f"Listening on {config.port} for key presses (Ctrl-C to stop)"
    if as_json:
        json_line({"event": "listening", "port": config.port})
    else:
        out.print(listening, soft_wrap=True)
    presses = report.table("Key presses", ["Counter", "Unit", "Key", "Missed"])
    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        while (count is None or len(presses.rows) < count) and (
                deadline is None or time.monotonic() < deadline):
            for press in bus.poll():
                presses.rows.append([str(press.counter), str(press.unit),
                                     _key_name(press.key.value), str(press.missed)])
                if as_json:
                    json_line({"event": "press", "counter": press.counter, "unit": press.unit,
                               "key": press.key.value, "missed": press.missed})
                else:
                    out.print(f"counter {press.counter} (unit {press.unit}): "
                              f"{_key_name(press.key.value)}", soft_wrap=True)
                    out.file.flush()
            time.sleep(0.05)
    except KeyboardInterrupt:
        pass
    report.data["presses"] = len(presses.rows)


@keypad.command()
@click.option("--count", type=click.IntRange(1), help="Stop after this many presses.")
@click.option("--seconds", type=click.FloatRange(0, min_open=True),
              help="Stop after this many seconds.")
@kiosk_config_option
@port_option("keypad bus")
@json_option
def monitor(count: int | None, seconds: float | None, kiosk_config: str, port: str | None,
            as_json: bool) -> None:
    """Show key presses live: ask the teller to press each key in turn.

    \b
    Example:
      branchq maint keypad monitor --count 5
    """
    from branchq.drivers.keypad import KeypadBus

    with reporting("Keypad monitor", as_json, compact=True) as report:
        config = _config(kiosk_config, port)
        bus = KeypadBus(config)
        try:
            _monitor(report, bus, config, count, seconds, as_json)
        finally:
            bus.close()
