"""The journal's settle round (every few seconds) never touches a customer's tap still under way.

Found by the journeys (tests/journeys): under load a ticket came out twice, the second copy a
"reprint" made by the settle round while the first was still printing. The same round, meeting a
tap still waiting for the host's answer, re-issued it and voided the customer's number.

The real host (uvicorn) is paused with SIGSTOP so the tap's request is certainly in flight when
the settle round runs; the real printer driver prints over a pty to the virtual printer.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from branchq.drivers.printer.virtual_printer import VirtualPrinter
from branchq.host.auth import Role
from branchq.kiosk.flow import IssuedTicket, TicketFlow
from branchq.kiosk.hostlink import HostLink
from branchq.kiosk.journal import Journal
from tests.drivers.printer_helpers import serial_printer
from tests.host.hostproc import HostProcess


def test_a_settle_round_during_a_tap_leaves_the_customers_ticket_alone(tmp_path: Path) -> None:
    host = HostProcess(f"sqlite:///{tmp_path / 'branchq.db'}", tmp_path / "host.log").start()
    assert host.proc is not None
    virtual = VirtualPrinter()
    journal = Journal(tmp_path / "journal.json")
    try:
        token = host.token(Role.KIOSK, name="entrance kiosk")

        async def tap_while_settling() -> tuple[IssuedTicket, int]:
            link = HostLink(host.base, token, 10)
            try:
                with serial_printer(virtual) as (printer, _):
                    flow = TicketFlow("entrance", printer, link, journal, 0)
                    await flow.refresh_facts()
                    host.proc.send_signal(signal.SIGSTOP)
                    try:
                        tap = asyncio.create_task(flow.issue("cash"))
                        while not journal.unsettled():  # the tap's entry: "requested"
                            await asyncio.sleep(0.001)
                        settling = asyncio.create_task(flow.settle())
                        await asyncio.sleep(0.05)  # the round has run as far as it will
                    finally:
                        host.proc.send_signal(signal.SIGCONT)
                    ticket = await tap
                    await settling
                    return ticket, await flow.settle()
            finally:
                await link.close()

        ticket, unsettled = asyncio.run(tap_while_settling())
        assert unsettled == 0
        assert virtual.text_lines.count(ticket.number) == 1  # one ticket, printed once
        with host.client(host.token(Role.MANAGER)) as manager:
            [held] = manager.get("/api/v1/tickets").json()
        assert (held["number"], held["status"]) == (ticket.number, "waiting")  # not voided
    finally:
        host.kill()  # SIGKILL ends it stopped or not
