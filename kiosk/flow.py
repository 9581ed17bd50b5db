"""The ticket flow: printer check -> host issues -> print -> host told printed.

Also its offline twin (a number from the kiosk's lease, reported when the host is back) and the
settlement of every ticket the journal still holds, so no number is lost, duplicated or left as
a ghost: a print that fails is voided at the host; a print interrupted by a crash is reprinted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from branchq.drivers.printer.content import GuidanceSlip, Priority, TicketContent
from branchq.drivers.printer.driver import TicketPrinter
from branchq.drivers.printer.errors import PrinterError
from branchq.drivers.printer.status import PrinterStatus
from branchq.kiosk import messages
from branchq.kiosk.hostlink import (
    HostLink,
    HostRefused,
    HostUnreachable,
    SelfServiceRoute,
    Service,
    WaitWords,
)
from branchq.kiosk.journal import Journal, LeaseBlock, PendingTicket
from branchq.kiosk.messages import CustomerMessage

log = logging.getLogger("branchq.kiosk.flow")

_PRIORITY_MARK = {"green": Priority.GREEN_CHANNEL, "vip": Priority.VIP}
# An offline ticket cannot know the queue: it says what to do instead, never a made-up estimate.
_OFFLINE_WAIT = (messages.message("T01").text_zh, messages.message("T01").text_en)


class KioskUnavailable(Exception):
    """No ticket can be issued now; :attr:`message` (from the catalogue) goes on the screen."""

    def __init__(self, message: CustomerMessage) -> None:
        super().__init__(f"{message.code}: {message.text_en}")
        self.message = message


class HostDeclined(Exception):
    """The host said no (closed, unknown service...): show :attr:`message`, no out-of-service.
    The host's own detail is for the log only."""

    def __init__(self, message: CustomerMessage, detail: str) -> None:
        super().__init__(f"{message.code}: {detail}")
        self.message = message


@dataclass(frozen=True)
class IssuedTicket:
    number: str
    service: str
    service_zh: str
    service_en: str
    priority: str
    wait_zh: str  # the host's wording of the wait, or the catalogue's T01 when issued offline
    wait_en: str
    offline: bool


@dataclass(frozen=True)
class Guidance:
    text_zh: str
    text_en: str


@dataclass
class BranchFacts:
    """What the kiosk knows of the branch (kept in the journal for offline starts)."""

    name_zh: str
    name_en: str
    timezone: str
    services: dict[str, Service]  # by key
    open_now: bool = True
    hours: str = ""

    def today(self, now: datetime) -> str:
        return now.astimezone(ZoneInfo(self.timezone)).date().isoformat()


def printer_fault(status: PrinterStatus) -> KioskUnavailable | None:
    """The customer's message for a printer that cannot print, named by its most specific fault."""
    if status.ok:
        return None
    return KioskUnavailable(messages.for_printer_fault(status.fault))


class TicketFlow:
    def __init__(self, kiosk_id: str, printer: TicketPrinter, host: HostLink, journal: Journal,
                 lease_size: int, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.kiosk_id = kiosk_id
        self.printer = printer
        self.host = host
        self.journal = journal
        self.lease_size = lease_size
        self.clock = clock
        self.facts: BranchFacts | None = None
        self.host_online = False
        self._settle_lock = asyncio.Lock()
        # Customers' taps under way. Their journal entries ("requested", "issued") are in flight,
        # not left by a crash: settling one then re-issued and voided the customer's number, or
        # printed it a second time while the first copy was still coming out.
        self._taps = 0

    # -- the customer's tap ---------------------------------------------------------------
    async def issue(self, service: str, priority: str = "normal",
                    vip_card: str | None = None) -> IssuedTicket | Guidance:
        """Issue and print one ticket, or raise KioskUnavailable / HostDeclined."""
        self._taps += 1
        try:
            return await self._issue(service, priority, vip_card)
        finally:
            self._taps -= 1

    async def _issue(self, service: str, priority: str, vip_card: str | None
                     ) -> IssuedTicket | Guidance:
        status = await asyncio.to_thread(self.printer.status)
        fault = printer_fault(status)
        if fault is not None:
            raise fault  # checked before any number is committed to the customer
        ref = self.journal.new_ref(self.kiosk_id)
        pending = PendingTicket(ref, "online", service, priority, "requested",
                                self.clock().isoformat())
        self.journal.add(pending)
        try:
            answer = await self.host.issue(service, priority, ref, vip_card)
            self.host_online = True
        except HostRefused as err:
            self.journal.update(pending, state="voided")
            log.warning("host declined a %s ticket: %s", service, err)
            raise HostDeclined(messages.for_host_refusal(err.status), err.detail) from err
        except HostUnreachable as err:
            log.warning("host unreachable, issuing offline: %s", err)
            self.host_online = False
            if not err.maybe_applied:
                self.journal.update(pending, state="voided")  # never reached the host
            # Otherwise it may have: the entry stays "requested" and any ticket the host made
            # for it is voided once the host is back.
            return await self._issue_offline(service, priority)
        if isinstance(answer, SelfServiceRoute):
            self.journal.update(pending, state="reported")
            await self._print_guidance(answer.guidance_zh, answer.guidance_en)
            return Guidance(answer.guidance_zh, answer.guidance_en)
        self.journal.update(pending, state="issued", ticket_id=answer.id, label=answer.number)
        wait = wait_words(answer.wait)
        await self._print_online(pending, self._content(
            number=answer.number, service=answer.service, priority=answer.priority,
            status_url=answer.status_url, wait=wait, reprint=False))
        return IssuedTicket(answer.number, answer.service, answer.service_name_zh,
                            answer.service_name_en, answer.priority, *wait, offline=False)

    async def _print_online(self, pending: PendingTicket, content: TicketContent,
                            reprint: bool = False) -> None:
        try:
            await asyncio.to_thread(self.printer.print_ticket, content)
        except PrinterError as err:
            if reprint:
                # A customer may hold the first print: keep the number, reprint once the
                # printer is back (the settle loop retries; the error is logged there).
                raise
            self.journal.update(pending, state="failed")
            await self._void(pending, f"print failed: {err}")
            raise printer_fault_from(err) from err
        self.journal.update(pending, state="printed", confirm_pending=True)
        await self._confirm(pending)

    async def _confirm(self, pending: PendingTicket) -> None:
        try:
            await self.host.printed(pending.ticket_id or "")
        except HostUnreachable:
            return  # the settle loop retries; the ticket is in the customer's hand
        except HostRefused as err:
            log.error("host refused the print confirmation of %s: %s", pending.label, err)
        self.journal.update(pending, confirm_pending=False)

    async def _void(self, pending: PendingTicket, reason: str) -> None:
        try:
            await self.host.void(pending.ticket_id or "", reason)
        except HostUnreachable:
            return  # stays "failed" in the journal: voided when the host is back
        except HostRefused as err:
            log.warning("void of %s refused: %s", pending.label, err)
        self.journal.update(pending, state="voided")

    async def _issue_offline(self, service: str, priority: str) -> IssuedTicket | Guidance:
        facts = self.facts
        if facts is None or service not in facts.services:
            raise KioskUnavailable(messages.message("N01"))
        svc = facts.services[service]
        if svc.kind == "self_service":
            await self._print_guidance(svc.guidance_zh, svc.guidance_en)
            return Guidance(svc.guidance_zh, svc.guidance_en)
        now = self.clock()
        taken = self.journal.take_offline_number(service, facts.today(now))
        if taken is None:
            raise KioskUnavailable(messages.message("N02"))
        number, prefix = taken
        label = f"{prefix}{number:03d}"
        ref = self.journal.new_ref(self.kiosk_id)
        pending = PendingTicket(ref, "offline", service, priority, "issued", now.isoformat(),
                                number=number, label=label)
        self.journal.add(pending)  # on disk before the paper leaves the printer
        await self._print_offline(pending)
        return IssuedTicket(label, service, svc.name_zh, svc.name_en, priority,
                            *_OFFLINE_WAIT, offline=True)

    async def _print_offline(self, pending: PendingTicket, reprint: bool = False) -> None:
        content = self._content(number=pending.label or "", service=pending.service,
                                priority=pending.priority, status_url="", wait=_OFFLINE_WAIT,
                                reprint=reprint)
        try:
            await asyncio.to_thread(self.printer.print_ticket, content)
        except PrinterError as err:
            if reprint:
                raise  # kept for the next settle, as an online reprint is
            # The leased number is simply never used: no host ever counted it.
            self.journal.update(pending, state="voided")
            raise printer_fault_from(err) from err
        self.journal.update(pending, state="printed")

    async def _print_guidance(self, text_zh: str, text_en: str) -> None:
        facts = self.facts
        slip = GuidanceSlip(
            branch_name=facts.name_zh if facts else "", title_zh="请到自助服务区",
            title_en="Please go to the self-service area", issued_at=self._local_now(),
            lines=tuple(t for t in (text_zh, text_en) if t),
        )
        try:
            await asyncio.to_thread(self.printer.print_guidance_slip, slip)
        except PrinterError as err:
            raise printer_fault_from(err) from err

    def _content(self, *, number: str, service: str, priority: str, status_url: str,
                 wait: tuple[str, str], reprint: bool) -> TicketContent:
        facts = self.facts
        svc = facts.services.get(service) if facts else None
        footer = "补打 Reprint" if reprint else "请留意叫号 Please watch the display"
        return TicketContent(
            branch_name=f"{facts.name_zh} {facts.name_en}" if facts else "",
            service_name_zh=svc.name_zh if svc else service,
            service_name_en=svc.name_en if svc else service,
            number=number, issued_at=self._local_now(), status_url=status_url,
            priority=_PRIORITY_MARK.get(priority, Priority.NONE), wait_zh=wait[0],
            wait_en=wait[1], footer=footer,
        )

    def _local_now(self) -> datetime:
        now = self.clock()
        return now.astimezone(ZoneInfo(self.facts.timezone)) if self.facts else now

    # -- keeping in step with the host ----------------------------------------------------
    async def refresh_facts(self) -> BranchFacts:
        info = await self.host.branch()
        self.host_online = True
        services = {s.key: s for s in info.services}
        self.facts = BranchFacts(info.name_zh, info.name_en, info.timezone, services,
                                 info.open_now, info.hours)
        self.journal.data.branch = {
            "name_zh": info.name_zh, "name_en": info.name_en, "timezone": info.timezone,
            "services": {key: s.model_dump(exclude={"key"}) for key, s in services.items()},
            "hours": info.hours}
        self.journal.save()
        return self.facts

    def restore_facts(self) -> None:
        """Branch facts saved by an earlier run: lets a kiosk start while the host is down.
        Facts the journal cannot give back whole are left out: the kiosk then waits for the
        host, as on its first start."""
        saved = self.journal.data.branch
        if not saved or self.facts is not None:
            return
        try:
            services = {key: Service.model_validate({**svc, "key": key})
                        for key, svc in saved["services"].items()}
            self.facts = BranchFacts(saved["name_zh"], saved["name_en"], saved["timezone"],
                                     services, True, saved.get("hours", ""))
        except (KeyError, TypeError, AttributeError, ValidationError) as err:
            log.warning("branch facts in the journal unusable, waiting for the host: %r", err)

    async def top_up_leases(self) -> None:
        """Keep at least half a lease of numbers for every counter service, for today."""
        if self.facts is None or self.lease_size == 0:
            return
        today = self.facts.today(self.clock())
        left = self.journal.numbers_left(today)
        for key, svc in self.facts.services.items():
            if svc.kind != "counter" or left.get(key, 0) >= self.lease_size // 2:
                continue
            lease = await self.host.lease(self.kiosk_id, key, self.lease_size)
            self.journal.set_lease(key, LeaseBlock(lease.day, lease.prefix, lease.first,
                                                   lease.last))

    async def settle(self) -> int:
        """Settle what the journal holds with the host; returns how many are still unsettled."""
        async with self._settle_lock:
            if self._taps:
                return len(self.journal.unsettled())  # settled at the next round
            for pending in self.journal.unsettled():
                try:
                    await self._settle_one(pending)
                except HostUnreachable:
                    self.host_online = False
                    break
                except PrinterError as err:
                    # Kept in the journal: reprinted at the next settle, once the printer works.
                    log.error("reprint of %s failed, will retry: %s", pending.label, err)
            return len(self.journal.unsettled())

    async def _settle_one(self, pending: PendingTicket) -> None:
        if pending.mode == "online":
            if pending.state == "requested":
                # We never learnt what the host did with it: make sure it leaves no ghost.
                answer = await self.host.issue(pending.service, pending.priority, pending.client_ref)
                if not isinstance(answer, SelfServiceRoute):
                    self.journal.update(pending, ticket_id=answer.id, label=answer.number,
                                        state="failed")
                    await self._void(pending, "the kiosk could not finish this ticket")
                else:
                    self.journal.update(pending, state="reported")
            elif pending.state == "failed":
                await self._void(pending, "print failed")
            elif pending.state == "issued":
                # Killed mid-print: the customer may be holding nothing. Reprint, then confirm.
                # The wait at the time is not known any more: the reprint states none.
                await self._print_online(pending, self._content(
                    number=pending.label or "", service=pending.service,
                    priority=pending.priority, status_url="", wait=("", ""), reprint=True),
                    reprint=True)
            elif pending.confirm_pending:
                await self._confirm(pending)
            return
        if pending.state == "issued":
            await self._print_offline(pending, reprint=True)
        if pending.state == "printed":
            try:
                await self.host.offline_ticket(self.kiosk_id, pending.service, pending.number or 0,
                                               pending.priority, pending.issued_at, pending.client_ref)
            except HostRefused as err:
                log.error("host refused offline ticket %s: %s", pending.label, err.detail)
            self.journal.update(pending, state="reported")


def wait_words(wait: WaitWords | None) -> tuple[str, str]:
    """The host's one wording of a ticket's or a queue's wait (zh, en), none when the host gave
    none: the kiosk screen and the paper show these words and no others."""
    return (wait.text_zh, wait.text_en) if wait is not None else ("", "")


def printer_fault_from(err: PrinterError) -> KioskUnavailable:
    return KioskUnavailable(messages.for_printer_fault(err.fault))
