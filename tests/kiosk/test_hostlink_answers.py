"""The kiosk reads the host's answers as typed results; an answer it cannot read is a clear
HostUnreachable (the kiosk goes offline and settles later), never a KeyError mid-tap.

A small HTTP server on 127.0.0.1 answers in place of the host, so each answer can be wrong in
exactly one way; the answers the real host gives are covered by the kiosk's end-to-end tests.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import pytest

from branchq.drivers.printer.virtual_printer import VirtualPrinter
from branchq.kiosk.flow import KioskUnavailable, TicketFlow
from branchq.kiosk.hostlink import HostLink, HostUnreachable, SelfServiceRoute, Ticket
from branchq.kiosk.journal import Journal
from tests.drivers.printer_helpers import serial_printer

WAIT = {"ahead": 2, "estimate_s": 240, "text_zh": "前面 2 人", "text_en": "2 ahead"}
TICKET = {"id": "t1", "route": "counter", "number": "A023", "service": "cash",
          "service_name_zh": "现金", "service_name_en": "Cash", "priority": "normal",
          "status": "printing", "status_url": "http://127.0.0.1/s/t1", "wait": WAIT,
          "added_later": {"by": "a newer host"}}
SERVICES = [{"key": "cash", "kind": "counter", "prefix": "A", "name_zh": "现金",
             "name_en": "Cash"}]
T = TypeVar("T")
BRANCH = {"id": "b1", "name_zh": "支行", "name_en": "Branch", "timezone": "Asia/Shanghai",
          "open_now": True, "hours": "09:00-17:00", "services": SERVICES}


@contextmanager
def fake_host(answers: dict[tuple[str, str], bytes]) -> Iterator[str]:
    """A host on 127.0.0.1 that gives ``answers[(method, path)]`` with status 200."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = answers[(self.command, self.path)]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _ask(base: str, question: Callable[[HostLink], Awaitable[T]]) -> T:
    """``question`` asked of the host at ``base``, on a link of its own."""
    async def ask() -> T:
        link = HostLink(base, "bq_test", 5)
        try:
            return await question(link)
        finally:
            await link.close()

    return asyncio.run(ask())


def _restored_flow(tmp_path: Path, branch: dict[str, Any]) -> TicketFlow:
    """A flow started on a journal an earlier run left with ``branch`` facts."""
    journal = Journal(tmp_path / "journal.json")
    journal.data.branch = branch
    journal.save()

    async def restore() -> TicketFlow:
        link = HostLink("http://127.0.0.1:9", "bq_test", 1)
        try:
            with serial_printer(VirtualPrinter()) as (printer, _):
                flow = TicketFlow("entrance", printer, link, Journal(tmp_path / "journal.json"), 0)
                flow.restore_facts()
                return flow
        finally:
            await link.close()

    return asyncio.run(restore())


def test_a_ticket_is_read_with_its_wait_words_and_fields_the_host_added_are_ignored() -> None:
    with fake_host({("POST", "/api/v1/tickets"): json.dumps(TICKET).encode()}) as base:
        ticket = _ask(base, lambda link: link.issue("cash", "normal", "entrance-1"))
    assert isinstance(ticket, Ticket)
    assert (ticket.number, ticket.wait.text_en) == ("A023", "2 ahead")


def test_a_self_service_answer_is_guidance_not_a_ticket() -> None:
    guidance = {"route": "self_service", "service": "atm", "guidance": "ATM",
                "guidance_zh": "请到自助区", "guidance_en": "Please use the ATMs"}
    with fake_host({("POST", "/api/v1/tickets"): json.dumps(guidance).encode()}) as base:
        answer = _ask(base, lambda link: link.issue("atm", "normal", "entrance-2"))
    assert answer == SelfServiceRoute(route="self_service", guidance_zh="请到自助区",
                                      guidance_en="Please use the ATMs")


def test_branch_facts_without_services_are_an_unexpected_answer() -> None:
    broken = {k: v for k, v in BRANCH.items() if k != "services"}
    with fake_host({("GET", "/api/v1/branch"): json.dumps(broken).encode()}) as base:
        with pytest.raises(HostUnreachable,
                           match=r"GET /api/v1/branch: unexpected answer \(services: Field required\)"):
            _ask(base, HostLink.branch)


def test_an_answer_that_is_not_json_is_unreachable_not_a_crash() -> None:
    with fake_host({("GET", "/api/v1/queues"): b"<html>proxy error</html>"}) as base:
        with pytest.raises(HostUnreachable, match="not JSON"):
            _ask(base, HostLink.queues)


def test_a_ticket_answer_without_its_number_leaves_the_request_for_the_settle_loop(
        tmp_path: Path) -> None:
    """The host may have made a ticket: the request stays in the journal (voided at the host
    once it is back), and the customer sees the catalogue's message, not a crash."""
    no_number = {k: v for k, v in TICKET.items() if k != "number"}
    journal = Journal(tmp_path / "journal.json")
    with fake_host({("POST", "/api/v1/tickets"): json.dumps(no_number).encode()}) as base, \
            serial_printer(VirtualPrinter()) as (printer, _):
        with pytest.raises(KioskUnavailable) as raised:
            _ask(base, lambda link: TicketFlow("entrance", printer, link, journal, 0).issue("cash"))
    assert raised.value.message.code == "N01"  # no branch facts yet: nothing to issue offline
    [pending] = journal.unsettled()
    assert (pending.service, pending.state) == ("cash", "requested")


def test_branch_facts_saved_by_an_earlier_run_come_back_typed(tmp_path: Path) -> None:
    saved = {k: v for k, v in SERVICES[0].items() if k != "key"}
    flow = _restored_flow(tmp_path, {"name_zh": "支行", "name_en": "Branch",
                                     "timezone": "Asia/Shanghai", "hours": "09:00-17:00",
                                     "services": {"cash": saved}})
    assert flow.facts is not None
    assert (flow.facts.services["cash"].kind, flow.facts.services["cash"].prefix) == ("counter", "A")


def test_unreadable_saved_facts_make_the_kiosk_wait_for_the_host(tmp_path: Path) -> None:
    flow = _restored_flow(tmp_path, {"name_zh": "支行", "name_en": "Branch",
                                     "timezone": "Asia/Shanghai",
                                     "services": {"cash": {"kind": "teleport"}}})
    assert flow.facts is None
