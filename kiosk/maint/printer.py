"""``branchq maint printer status|test|feed|cut``: the ticket printer, through its driver.

Status bits are put in words with what to do about each; ``test`` prints a ticket with a Chinese
line, a QR code and the printer's profile, so one slip shows that the font, the QR path and the
configuration all work.
"""

from __future__ import annotations

import os
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

import click

from branchq.kiosk.maint.options import (
    branch_config_option,
    json_option,
    kiosk_config_option,
    load_branch,
    load_kiosk,
    port_option,
)
from branchq.kiosk.maint.report import Finding, Level, Report, Stop, plural, reporting

if TYPE_CHECKING:
    from escpos.printer import Dummy

    from branchq.drivers.printer import PrinterConfig, PrinterStatus, TicketContent, TicketPrinter

SUBJECT = "Printer"
AGAIN = "then run `branchq maint printer status`"


@click.group()
def printer() -> None:
    """Ticket printer: status in words, test ticket, paper feed, cut.

    \b
    Examples:
      branchq maint printer status
      branchq maint printer test --port /dev/ttyUSB0
    """


def _config(kiosk_config: str, port: str | None) -> PrinterConfig:
    """The kiosk config's printer; with ``port``, that serial port instead. ``--port`` needs no
    kiosk config: without one the driver's defaults are used (default profile, 80 mm)."""
    from branchq.drivers.printer.config import PrinterConfig, SerialBackend

    if port is not None and not os.path.exists(kiosk_config):
        return PrinterConfig(backend=SerialBackend(kind="serial", path=port))
    config = load_kiosk(kiosk_config).printer
    if port is None:
        return config
    backend = config.backend
    if isinstance(backend, SerialBackend):
        backend = backend.model_copy(update={"path": port})
    else:
        backend = SerialBackend(kind="serial", path=port)
    return config.model_copy(update={"backend": backend})


def _link(config: PrinterConfig) -> str:
    backend = config.backend
    if backend.kind == "usb":
        return f"USB {backend.vendor_id:04x}:{backend.product_id:04x}"
    if backend.kind == "network":
        return f"network {backend.host}:{backend.port}"
    return f"{backend.kind} {backend.path}"


def _check_link(config: PrinterConfig) -> None:
    """A missing device node says more than "does not answer": the cable or udev is the cause."""
    backend = config.backend
    if backend.kind in ("serial", "file") and not os.path.exists(backend.path):
        raise Stop(Finding(
            SUBJECT, Level.FAULT, f"{backend.path} does not exist",
            "check the printer's USB cable at both ends and that the printer is on; run "
            f"`branchq maint devices` to see what is connected, {AGAIN}"))


def status_findings(report: Report, config: PrinterConfig, status: PrinterStatus) -> None:
    """The status in plain words, one finding per problem, each with what to do."""
    roll = f"{config.paper_width_mm} mm"
    if not status.verified:
        report.add(SUBJECT, Level.WARNING, "status cannot be read on this link (write-only)",
                   "look at the printer's lights; set the backend to a bidirectional port to "
                   "get paper and cover warnings")
        return
    problems = []
    if status.replies.get(1) is None:
        problems.append(("not answering",
                         "check that the printer is switched on (power light), the cable at both "
                         f"ends, and that it is the configured port ({_link(config)}), {AGAIN}"))
    if status.paper_out:
        problems.append(("out of paper", f"load a new roll ({roll}), close the cover, {AGAIN}"))
    if status.cover_open:
        problems.append(("cover open", f"close the cover firmly until it clicks, {AGAIN}"))
    if status.error:
        problems.append(("printer error (cutter jam or overheated head)",
                         "open the cover, remove any jammed paper, close it; if the error light "
                         f"stays on switch the printer off and on, {AGAIN}"))
    if not problems and status.offline:
        problems.append(("offline",
                         "release the FEED button and wait 10 seconds; check the cable if it "
                         f"persists, {AGAIN}"))
    for summary, action in problems:
        report.add(SUBJECT, Level.FAULT, summary, action)
    if status.paper_near_end and not status.paper_out:
        paper_low(report, config)
    if status.ok:
        report.add(SUBJECT, Level.OK, f"ready ({_link(config)}, profile {config.profile}, "
                                      f"{roll} paper)")
    report.data["status"] = {
        "ok": status.ok, "paper_near_end": status.paper_near_end,
        "paper_out": status.paper_out, "cover_open": status.cover_open,
        "offline": status.offline, "error": status.error, "description": status.description,
    }


def paper_low(report: Report, config: PrinterConfig) -> None:
    report.add(SUBJECT, Level.WARNING, "paper running low",
               f"have a new {config.paper_width_mm} mm roll ready and change it before the next "
               "busy hour")


def _open(config: PrinterConfig) -> TicketPrinter:
    from branchq.drivers.printer import TicketPrinter

    _check_link(config)
    return TicketPrinter(config)


@printer.command()
@kiosk_config_option
@port_option("printer", needs_config=False)
@json_option
def status(kiosk_config: str, port: str | None, as_json: bool) -> None:
    """Ask the printer for its status and say what to do about it.

    \b
    Example:
      branchq maint printer status
    """
    with reporting("Ticket printer status", as_json) as report:
        config = _config(kiosk_config, port)
        device = _open(config)
        try:
            status_findings(report, config, device.status())
        finally:
            device.close()


def _ready(report: Report, config: PrinterConfig, device: TicketPrinter) -> bool:
    """Record the status; True when printing may go ahead."""
    current = device.status()
    if current.ok:
        return True
    status_findings(report, config, current)
    return False


def test_ticket(config: PrinterConfig, branch_tz: tzinfo) -> TicketContent:
    """The test slip; its time is branch time, as on customers' tickets (not the machine's)."""
    from branchq.drivers.printer import TicketContent

    return TicketContent(
        branch_name="branchq printer test",
        service_name_zh="打印测试 中文正常",
        service_name_en="Test ticket - not valid for service",
        number="T000",
        issued_at=datetime.now(branch_tz),
        status_url="https://branchq.invalid/printer-test",
        footer=f"profile {config.profile}, {config.paper_width_mm} mm, {config.chinese_mode}",
    )


@printer.command()
@kiosk_config_option
@branch_config_option
@port_option("printer", needs_config=False)
@json_option
def test(kiosk_config: str, branch_config: str | None, port: str | None, as_json: bool) -> None:
    """Print a test ticket: a Chinese line, a QR code and the printer's profile. Its time is
    branch time ([branch] timezone of the branch config).

    \b
    Example:
      branchq maint printer test
    """
    from branchq.drivers.printer import PrinterError

    with reporting("Ticket printer test", as_json) as report:
        branch_tz = load_branch(branch_config).branch.tz
        config = _config(kiosk_config, port)
        device = _open(config)
        try:
            if not _ready(report, config, device):
                return
            try:
                after = device.print_ticket(test_ticket(config, branch_tz))
            except PrinterError as err:
                report.add(SUBJECT, Level.FAULT, f"test ticket not printed: {err}",
                           f"fix the cause shown, {AGAIN}")
                return
            report.add(SUBJECT, Level.OK, "test ticket printed",
                       "check that it shows 打印测试 中文正常 in clear Chinese, a QR code your "
                       f"phone can scan, and the line 'profile {config.profile}'")
            if after.paper_near_end:
                paper_low(report, config)
        finally:
            device.close()


def _send(report: Report, config: PrinterConfig, data: bytes, done: str) -> None:
    """Check the status, then send raw ESC/POS bytes on the printer's own link."""
    from branchq.drivers.printer import TicketPrinter
    from branchq.drivers.printer.errors import TransportError
    from branchq.drivers.printer.transport import make_transport

    _check_link(config)
    transport = make_transport(config.backend)
    device = TicketPrinter(config, transport)
    try:
        if not _ready(report, config, device):
            return
        try:
            transport.open()
            transport.write(data)
        except TransportError as err:
            report.add(SUBJECT, Level.FAULT, f"link lost while sending: {err}",
                       f"check the cable, {AGAIN}")
            return
        report.add(SUBJECT, Level.OK, done)
    finally:
        device.close()


def _commands(config: PrinterConfig) -> Dummy:
    from escpos.printer import Dummy

    return Dummy(profile=config.profile)


@printer.command()
@click.option("--lines", default=5, show_default=True, type=click.IntRange(1, 50),
              help="Lines of paper to feed.")
@kiosk_config_option
@port_option("printer", needs_config=False)
@json_option
def feed(lines: int, kiosk_config: str, port: str | None, as_json: bool) -> None:
    """Feed blank paper (after loading a roll, to check it runs straight).

    \b
    Example:
      branchq maint printer feed --lines 10
    """
    with reporting("Ticket printer feed", as_json) as report:
        config = _config(kiosk_config, port)
        out = _commands(config)
        out.print_and_feed(lines)
        _send(report, config, out.output, f"fed {plural(lines, 'line')}")


@printer.command()
@kiosk_config_option
@port_option("printer", needs_config=False)
@json_option
def cut(kiosk_config: str, port: str | None, as_json: bool) -> None:
    """Cut the paper (printers with a cutter; others feed so the paper can be torn off).

    \b
    Example:
      branchq maint printer cut
    """
    with reporting("Ticket printer cut", as_json) as report:
        config = _config(kiosk_config, port)
        out = _commands(config)
        if config.has_cutter:
            out.cut()
            done = "paper cut"
        else:
            out.print_and_feed(config.feed_lines)
            done = "fed paper: this printer has no cutter (has_cutter = false), tear it off"
        _send(report, config, out.output, done)
