"""The ticket flow: printer check -> host issues -> print -> host told printed.

Also its offline twin (a number from the kiosk's lease, reported when the host is back) and the
settlement of every ticket the journal still holds, so no number is lost, duplicated or left as
a ghost: a print that fails is voided at the host; a print interrupted by a crash is reprinted.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from branchq.drivers.printer.content import GuidanceSlip, Priority, TicketContent
from branchq.drivers.printer.driver import TicketPrinter
from branchq.drivers.printer.errors import PrinterError
from branchq.drivers.printer.status import PrinterStatus
from branchq.kiosk import messages
from branchq.kiosk.appointments import (
    OFFLINE_WRONG_CODES,
    AppointmentCache,
    CachedAppointment,
    WrongCodes,
)
from branchq.kiosk.hostlink import (
    CheckedIn,
    HostLink,
    HostRefused,
    HostUnreachable,
    SelfServiceRoute,
    Service,
    Ticket,
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


class WrongCode(HostDeclined):
    """No appointment or remote ticket today has the code: the customer may type it again."""


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
    note_zh: str = ""  # a check-in's words: the slot, early, late (docs/kiosk-messages.md)
    note_en: str = ""


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
        self.appointments: AppointmentCache | None = None
        self.wrong_codes = WrongCodes(*OFFLINE_WRONG_CODES)
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

    async def _printer_ready(self) -> None:
        status = await asyncio.to_thread(self.printer.status)
        fault = printer_fault(status)
        if fault is not None:
            raise fault  # checked before any number is committed to the customer

    async def _issue(self, service: str, priority: str, vip_card: str | None
                     ) -> IssuedTicket | Guidance:
        await self._printer_ready()
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
        return await self._print_issued(pending, answer)

    async def _print_issued(self, pending: PendingTicket, answer: Ticket) -> IssuedTicket:
        """The host issued ``answer`` for ``pending``: print it, tell the host."""
        self.journal.update(pending, state="issued", ticket_id=answer.id, label=answer.number,
                            service=answer.service, code=None)
        wait = wait_words(answer.wait)
        await self._print_online(pending, self._content(
            number=answer.number, service=answer.service, priority=answer.priority,
            status_url=answer.status_url, wait=wait, reprint=False, appointment=pending.slot))
        return IssuedTicket(answer.number, answer.service, answer.service_name_zh,
                            answer.service_name_en, answer.priority, *wait, offline=False)

    # -- appointments and remote tickets ----------------------------------------------------
    async def check_in(self, code: str) -> IssuedTicket:
        """The customer of today's appointment, or of a remote ticket, with ``code`` is here:
        print their ticket. Raises WrongCode, HostDeclined or KioskUnavailable. Offline, the
        code is checked against the cached digests and the ticket comes from the lease."""
        self._taps += 1
        try:
            return await self._check_in(code)
        finally:
            self._taps -= 1

    async def _check_in(self, code: str) -> IssuedTicket:
        await self._printer_ready()
        try:
            booked = await self._booked(code)
        except HostUnreachable as err:
            log.warning("host unreachable, checking the code offline: %s", err)
            self.host_online = False
            return await self._check_in_offline(code)
        if booked is None:
            # Not an appointment of today's: a remote ticket's code, or a wrong one. The host
            # counts each wrong code: asking both of its endpoints would count one twice.
            return await self._confirm_arrival(code)
        ref = self.journal.new_ref(self.kiosk_id)
        # The code is kept until the host answers: a retry after a crash must bring the same.
        pending = PendingTicket(ref, "online", "", "normal", "requested",
                                self.clock().isoformat(), code=code)
        self.journal.add(pending)
        try:
            answer = await self.host.check_in(code, ref)
            self.host_online = True
        except HostRefused as err:
            self.journal.update(pending, state="voided")
            if err.status == 404:
                raise WrongCode(messages.message("A04"), err.detail) from err
            if err.status == 409 and self.appointments is not None and \
                    self.clock().timestamp() < self.appointments.opens_at(booked):
                raise self._too_early(booked) from err
            raise _code_refusal(err) from err
        except HostUnreachable as err:
            log.warning("host unreachable, checking the code offline: %s", err)
            self.host_online = False
            if not err.maybe_applied:
                self.journal.update(pending, state="voided")
            # Otherwise the host may have checked it in: the entry stays "requested" and its
            # ticket is voided once the host is back, after the offline ticket is reported.
            return await self._check_in_offline(code)
        self._checked_in(answer.appointment.id)
        slot = self._local_time(answer.appointment.slot_start)
        late = answer.appointment.arrival == "late_walk_in"
        # The ticket's paper says the slot; a late arrival's is an ordinary ticket.
        self.journal.update(pending, appointment_id=answer.appointment.id,
                            slot="" if late else slot)
        issued = await self._print_issued(pending, answer)
        note_zh, note_en = _arrival_note(answer.appointment.arrival, slot, answer)
        return replace(issued, note_zh=note_zh, note_en=note_en)

    async def _confirm_arrival(self, code: str) -> IssuedTicket:
        """A remote ticket's customer is here: the host puts it in the queue, the kiosk prints
        it. Nothing to journal: the number is the host's and in the queue already, printed or
        not."""
        try:
            answer = await self.host.confirm_arrival(code)
        except HostRefused as err:
            if err.status == 404:
                raise WrongCode(messages.message("A04"), err.detail) from err
            if err.status == 409:  # passed over and a no-show by now, or served
                raise HostDeclined(messages.message("A11"), err.detail) from err
            raise _code_refusal(err) from err
        except HostUnreachable as err:  # gone between two calls: as for any tap
            raise KioskUnavailable(messages.message("N01")) from err
        wait = wait_words(answer.wait)
        content = self._content(number=answer.number, service=answer.service,
                                priority=answer.priority, status_url=answer.status_url,
                                wait=wait, reprint=False)
        try:
            await asyncio.to_thread(self.printer.print_ticket, content)
        except PrinterError as err:
            raise printer_fault_from(err) from err
        confirmed = messages.message("A08")
        return IssuedTicket(answer.number, answer.service, answer.service_name_zh,
                            answer.service_name_en, answer.priority, *wait, offline=False,
                            note_zh=confirmed.text_zh, note_en=confirmed.text_en)

    async def _check_in_offline(self, code: str) -> IssuedTicket:
        """The host is unreachable: the code against today's cached digests, a number from the
        lease, and the ticket reported with its appointment once the host is back."""
        blocked = self.wrong_codes.blocked_for()
        if blocked:
            raise HostDeclined(_too_many(blocked), "offline: too many wrong codes")
        now = self.clock()
        cache = self.appointments
        if cache is None or self.facts is None or cache.day != self.facts.today(now):
            raise HostDeclined(messages.message("A10"), "offline: no appointments for today")
        found = cache.find(code)
        if found is None:
            self.wrong_codes.wrong()
            blocked = self.wrong_codes.blocked_for()
            if blocked:
                raise HostDeclined(_too_many(blocked), "offline: too many wrong codes")
            raise WrongCode(messages.message("A04"), "offline: no cached appointment has it")
        if self._was_checked_in(found):
            raise HostDeclined(messages.message("A06"), "offline: checked in already")
        slot = self._local_time(found.slot_start)
        if now.timestamp() < cache.opens_at(found):
            raise self._too_early(found)
        arrival = cache.arrival(found, now)
        issued = await self._issue_offline(
            found.service, "normal", (found.id, "" if arrival == "late_walk_in" else slot))
        if isinstance(issued, Guidance):  # the host never books a self-service entry
            raise KioskUnavailable(messages.message("N01"))
        note_zh, note_en = _arrival_note(arrival, slot, None)
        return replace(issued, note_zh=note_zh, note_en=note_en)

    async def _booked(self, code: str) -> CachedAppointment | None:
        """Today's appointment with ``code``, from the cache, fetched afresh when it does not
        have it (booked since the last sync). Raises HostUnreachable."""
        found = self.appointments.find(code) if self.appointments is not None else None
        if found is None:
            await self.refresh_appointments()
            found = self.appointments.find(code) if self.appointments is not None else None
        return found

    def _too_early(self, found: CachedAppointment) -> HostDeclined:
        opens = self.appointments.opens_at(found) if self.appointments is not None else 0.0
        return HostDeclined(messages.formatted(
            "A09", time=self._local_time(found.slot_start),
            opens=self._local_time(datetime.fromtimestamp(opens, UTC))), "check-in not open yet")

    def _was_checked_in(self, found: CachedAppointment) -> bool:
        """Checked in here (the host told, or a ticket issued for it still in the journal)."""
        cache = self.appointments
        return (cache is not None and found.id in cache.checked_in) or any(
            p.appointment_id == found.id and p.state != "voided"
            for p in self.journal.unsettled())

    def _checked_in(self, appointment_id: str) -> None:
        """Remember a check-in in the cache: the same code offline is then "already"."""
        cache = self.appointments
        if cache is not None and any(a.id == appointment_id for a in cache.appointments):
            self.appointments = replace(cache, checked_in=cache.checked_in | {appointment_id})
            self.journal.data.appointments = self.appointments.to_journal()
            self.journal.save()

    def _local_time(self, at: datetime) -> str:
        zone = ZoneInfo(self.facts.timezone) if self.facts else UTC
        return f"{at.astimezone(zone):%H:%M}"

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

    async def _issue_offline(self, service: str, priority: str,
                             appointment: tuple[str, str] | None = None
                             ) -> IssuedTicket | Guidance:
        """A number from the lease; ``appointment``: the (id, slot) a check-in is for."""
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
        appointment_id, slot = appointment or (None, "")
        pending = PendingTicket(ref, "offline", service, priority, "issued", now.isoformat(),
                                number=number, label=label, appointment_id=appointment_id,
                                slot=slot)
        self.journal.add(pending)  # on disk before the paper leaves the printer
        await self._print_offline(pending)
        return IssuedTicket(label, service, svc.name_zh, svc.name_en, priority,
                            *_OFFLINE_WAIT, offline=True)

    async def _print_offline(self, pending: PendingTicket, reprint: bool = False) -> None:
        content = self._content(number=pending.label or "", service=pending.service,
                                priority=pending.priority, status_url="", wait=_OFFLINE_WAIT,
                                reprint=reprint, appointment=pending.slot)
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
                 wait: tuple[str, str], reprint: bool, appointment: str = "") -> TicketContent:
        facts = self.facts
        svc = facts.services.get(service) if facts else None
        footer = "补打 Reprint" if reprint else "请留意叫号 Please watch the display"
        return TicketContent(
            branch_name=f"{facts.name_zh} {facts.name_en}" if facts else "",
            service_name_zh=svc.name_zh if svc else service,
            service_name_en=svc.name_en if svc else service,
            number=number, issued_at=self._local_now(), status_url=status_url,
            priority=_PRIORITY_MARK.get(priority, Priority.NONE), wait_zh=wait[0],
            wait_en=wait[1], footer=footer, appointment=appointment,
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

    async def refresh_appointments(self) -> None:
        """Today's appointments for an offline check-in, kept in the journal with the facts.
        A host without appointments (404) leaves the kiosk none."""
        try:
            got = await self.host.kiosk_cache()
        except HostRefused as err:
            log.warning("no appointments cache from the host: %s", err)
            return
        before = self.appointments
        fresh = [CachedAppointment(a.id, a.service, a.slot_start, a.slot_end, a.code_digest)
                 for a in got.appointments]
        # The host lists the appointments still to check in; those checked in here stay, so
        # their code is "checked in already", not "wrong", offline too.
        kept = [a for a in before.appointments if a.id in before.checked_in] \
            if before is not None and before.day == got.day else []
        self.appointments = AppointmentCache(
            got.day, got.salt, (*fresh, *kept), got.early_window_s, got.grace_late_s,
            frozenset(a.id for a in kept))
        self.journal.data.appointments = self.appointments.to_journal()
        self.journal.save()

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
        if self.journal.data.appointments:
            try:
                self.appointments = AppointmentCache.from_journal(self.journal.data.appointments)
            except (KeyError, TypeError, ValueError) as err:
                log.warning("appointments in the journal unusable until the next sync: %r", err)

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
            # Check-ins left "requested" go last: an offline ticket issued for the same
            # appointment is reported first and keeps the appointment's place.
            for pending in sorted(self.journal.unsettled(), key=lambda p: p.code is not None):
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
            if pending.state == "requested" and pending.code is not None:
                # A check-in whose answer never came: void what the host may have issued.
                try:
                    checked = await self.host.check_in(pending.code, pending.client_ref)
                except HostRefused as err:  # it never reached the host: nothing to void
                    log.info("unanswered check-in %s: %s", pending.client_ref, err.detail)
                    self.journal.update(pending, state="voided", code=None)
                    return
                self.journal.update(pending, ticket_id=checked.id, label=checked.number,
                                    state="failed", code=None)
                await self._void(pending, "the kiosk could not finish this check-in")
            elif pending.state == "requested":
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
                    priority=pending.priority, status_url="", wait=("", ""), reprint=True,
                    appointment=pending.slot), reprint=True)
            elif pending.confirm_pending:
                await self._confirm(pending)
            return
        if pending.state == "issued":
            await self._print_offline(pending, reprint=True)
        if pending.state == "printed":
            try:
                await self.host.offline_ticket(self.kiosk_id, pending.service, pending.number or 0,
                                               pending.priority, pending.issued_at,
                                               pending.client_ref, pending.appointment_id)
            except HostRefused as err:
                log.error("host refused offline ticket %s: %s", pending.label, err.detail)
            if pending.appointment_id is not None:
                self._checked_in(pending.appointment_id)
            self.journal.update(pending, state="reported")


def wait_words(wait: WaitWords | None) -> tuple[str, str]:
    """The host's one wording of a ticket's or a queue's wait (zh, en), none when the host gave
    none: the kiosk screen and the paper show these words and no others."""
    return (wait.text_zh, wait.text_en) if wait is not None else ("", "")


def _arrival_note(arrival: str, slot: str, answer: CheckedIn | None) -> tuple[str, str]:
    """The words under a check-in's number (zh, en): the host's, or offline the catalogue's
    (on time A01, early A02, late A03)."""
    if answer is not None and answer.message_zh and answer.message_en:
        return answer.message_zh, answer.message_en
    code = {"on_time": "A01", "early": "A02"}.get(arrival, "A03")
    note = messages.formatted(code, time=slot)
    return note.text_zh, note.text_en


def _too_many(wait_s: float) -> CustomerMessage:
    return messages.formatted("A05", minutes=max(1, math.ceil(wait_s / 60)))


def _code_refusal(err: HostRefused) -> HostDeclined:
    """The host's no to a code, in the customer's words: too many tries (429), checked in
    already or cancelled (409), else the catalogue's refusal."""
    if err.status == 429:
        return HostDeclined(_too_many(err.retry_after or 60), err.detail)
    if err.status == 409:
        return HostDeclined(messages.message("A06"), err.detail)
    return HostDeclined(messages.for_host_refusal(err.status), err.detail)


def printer_fault_from(err: PrinterError) -> KioskUnavailable:
    return KioskUnavailable(messages.for_printer_fault(err.fault))
