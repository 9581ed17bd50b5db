"""A reprint after a crash that meets a printer out of paper keeps the customer's number.

The ticket flow against the real host (uvicorn on 127.0.0.1) and the real printer driver over a
pty to the virtual printer: the journal says a ticket was issued but its print never confirmed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from branchq.drivers.printer.virtual_printer import VirtualPrinter
from branchq.host.auth import Role
from branchq.kiosk.flow import TicketFlow
from branchq.kiosk.hostlink import HostLink
from branchq.kiosk.journal import Journal, PendingTicket
from tests.drivers.printer_helpers import serial_printer
from tests.host.hostproc import HostProcess


def test_a_failed_reprint_keeps_the_number_and_reprints_when_paper_is_back(tmp_path: Path) -> None:
    host = HostProcess(f"sqlite:///{tmp_path / 'branchq.db'}", tmp_path / "host.log").start()
    try:
        token = host.token(Role.KIOSK, name="entrance kiosk")
        with host.client(token) as kiosk_api:
            issued = kiosk_api.post("/api/v1/tickets", json={
                "service": "cash", "await_print": True, "client_ref": "entrance-00000001"}).json()
        journal = Journal(tmp_path / "journal.json")
        journal.add(PendingTicket("entrance-00000001", "online", "cash", "normal", "issued",
                                  issued["issued_at"], ticket_id=issued["id"],
                                  label=issued["number"]))
        virtual = VirtualPrinter()
        virtual.paper_out = True

        async def settle_twice() -> tuple[int, int]:
            link = HostLink(host.base, token, 5)
            try:
                with serial_printer(virtual) as (printer, _):
                    flow = TicketFlow("entrance", printer, link, journal, 0)
                    await flow.refresh_facts()
                    out_of_paper = await flow.settle()  # must not raise, must not void
                    with host.client(host.token(Role.MANAGER)) as manager:
                        [held] = manager.get("/api/v1/tickets").json()
                    assert held["status"] == "printing"  # still the customer's number
                    virtual.recover()  # the lobby manager loads a roll
                    return out_of_paper, await flow.settle()
            finally:
                await link.close()

        assert asyncio.run(settle_twice()) == (1, 0)
        assert issued["number"] in virtual.text_lines  # reprinted once the roll was loaded
        with host.client(host.token(Role.MANAGER)) as manager:
            [ticket] = manager.get("/api/v1/tickets").json()
        assert (ticket["number"], ticket["status"]) == (issued["number"], "waiting")
    finally:
        host.kill()
