"""Appointments and remote tickets: the queue rules of booked visits and of numbers taken in the
bank's app (docs/web.md, "Appointments and remote tickets"). Pure Python, no I/O.

:class:`AppointmentRules` is a part of :class:`~branchq.host.engine.engine.QueueEngine`, kept in
its own module: commands validate, build events and apply them through ``QueueEngine.apply``
like every other command, so a replay of the log rebuilds the appointments too.

- An appointment is booked for a slot of ``[appointments] slot_minutes`` inside opening hours, on
  an open day that is not a holiday, up to each service's capacity per slot. The command brings
  its six-digit code (random, chosen by the caller: the engine draws nothing) and the engine
  refuses one already used that day.
- Check-in turns it into a ticket: before its slot (at most ``early_window_s`` early) or within
  ``grace_late_s`` after its start the ticket waits for the slot and is then called after green
  and before walk-ins (host/engine/ordering.py); later it is an ordinary walk-in ticket.
- A remote ticket has a number and a place from the moment it is taken, but waits outside the
  queue until its customer confirms arrival (kiosk code, or a teller calling it by number). A
  call that would have reached it passes it over (``ticket_skipped``); confirmed later it goes to
  the front, and ``confirm_grace_s`` after the first pass it becomes a no-show (reinstatable).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Literal

from branchq.host.config import BranchConfig
from branchq.host.engine import events as ev
from branchq.host.engine.errors import EngineError, InvalidState, NotFound, UnknownService
from branchq.host.engine.events import Event
from branchq.host.engine.model import CounterState, Priority, Ticket, TicketStatus
from branchq.host.engine.ordering import NOT_YET, call_key
from branchq.host.engine.queues import ServiceQueue

Arrival = Literal["early", "on_time", "late_walk_in"]
AppointmentStatus = Literal["booked", "cancelled", "checked_in"]
#: How far ahead a visit may be booked.
BOOKING_HORIZON = timedelta(days=90)
# What a customer reads at the kiosk (the API passes the engine's messages on as they are).
WRONG_CODE = ("没有找到这个号码，请核对后再试一次，或请大堂经理帮忙 / We could not find this code. "
              "Please check it and try again, or ask the lobby manager for help")


class BadRequest(EngineError):
    """The request can never succeed as it is (a slot outside opening hours, on a holiday, past)."""


class SlotFull(InvalidState):
    """Every booking of the slot is taken."""


class WrongCode(NotFound):
    """No appointment or remote ticket of today has this code."""


class RemoteCapReached(InvalidState):
    """The service already has its share of unconfirmed remote tickets."""


@dataclass
class Appointment:
    id: str
    service: str
    day: date
    slot_start: datetime
    slot_end: datetime
    code: str
    booked_at: datetime
    client_ref: str | None = None
    status: AppointmentStatus = "booked"
    cancelled_at: datetime | None = None
    checked_in_at: datetime | None = None
    arrival: Arrival | None = None
    ticket_id: str | None = None


class AppointmentBook:
    """Today's and later days' appointments (earlier days leave memory at day open)."""

    def __init__(self) -> None:
        self.by_id: dict[str, Appointment] = {}
        self.refs: dict[str, str] = {}  # booking client's reference -> appointment id
        self.codes: dict[tuple[date, str], str] = {}  # (day, code) -> id, any status
        self.taken: dict[tuple[str, datetime], int] = {}  # (service, slot start) -> bookings
        self.salts: dict[date, str] = {}  # the day's key of the kiosks' offline cache

    def on_day(self, day: date) -> list[Appointment]:
        return sorted((a for a in self.by_id.values() if a.day == day),
                      key=lambda a: (a.slot_start, a.id))

    def forget_before(self, day: date) -> None:
        gone = {k for k, a in self.by_id.items() if a.day < day}
        self.by_id = {k: a for k, a in self.by_id.items() if k not in gone}
        self.refs = {r: k for r, k in self.refs.items() if k not in gone}
        self.codes = {c: k for c, k in self.codes.items() if k not in gone}
        self.taken = {s: n for s, n in self.taken.items() if s[1].date() >= day - timedelta(days=1)}
        self.salts = {d: s for d, s in self.salts.items() if d >= day}


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    capacity: int
    taken: int
    bookable: bool  # in the future and not full


class AppointmentRules:
    """The appointment and remote-ticket commands, queries and event handlers of the engine."""

    if TYPE_CHECKING:  # provided by QueueEngine
        config: BranchConfig
        tz: tzinfo
        day: date | None
        tickets: dict[str, Ticket]
        client_refs: dict[str, str]
        queues: dict[str, ServiceQueue]
        aging_limit: timedelta

        def _emit(self, event: Event) -> list[Event]: ...
        def _roll_day(self, at: datetime, actor: str) -> list[Event]: ...
        def _ticket_event(self, kind: str, at: datetime, actor: str, ticket: Ticket,
                          counter: int | None = None, **extra: Any) -> list[Event]: ...
        def issue(self, *, ticket_id: str, service: str, at: datetime, actor: str,
                  priority: Priority = Priority.NORMAL, channel: str = "kiosk",
                  client_ref: str | None = None, await_print: bool = False,
                  extra: dict[str, Any] | None = None) -> list[Event]: ...

    def _init_appointments(self) -> None:
        self.appointments = AppointmentBook()
        self.remote_pending: dict[str, Ticket] = {}  # unconfirmed remote tickets by id
        self.remote_codes: dict[str, str] = {}  # today's remote tickets' codes -> ticket id

    # ------------------------------------------------------------------ appointments
    def appointment_slots(self, service: str, day: date, now: datetime) -> list[Slot]:
        """The slots of ``service`` on ``day`` with their bookings (none on a closed day)."""
        capacity = self._bookable_service(service)
        branch = self.config.branch
        if not branch.open_on(day):
            return []
        opens, closes = branch.opening_span(day)
        step = timedelta(minutes=self.config.appointments.slot_minutes)
        slots = []
        start = opens
        while start + step <= closes:
            taken = self.appointments.taken.get((service, start), 0)
            slots.append(Slot(start, start + step, capacity, taken,
                              start + step > now and taken < capacity))
            start += step
        return slots

    def book_appointment(self, *, appointment_id: str, service: str, slot_start: datetime,
                         code: str, salt: str, client_ref: str | None, at: datetime,
                         actor: str) -> list[Event]:
        """Book ``slot_start`` of ``service``. Nothing new for a ``client_ref`` booked before (the
        caller looks it up in ``appointments.refs``). ``salt``: the day's key of the kiosks'
        offline cache, kept only by the day's first booking."""
        capacity = self._bookable_service(service)
        if client_ref is not None and client_ref in self.appointments.refs:
            return []
        if slot_start.utcoffset() is None:
            raise BadRequest("slot_start needs a time zone (an ISO time with its offset)")
        local = slot_start.astimezone(self.tz)
        day = local.date()
        step = timedelta(minutes=self.config.appointments.slot_minutes)
        branch = self.config.branch
        if not branch.open_on(day):
            raise BadRequest(f"the branch is closed on {day} (a holiday or a closed weekday)")
        opens, closes = branch.opening_span(day)
        if local < opens or local + step > closes or (local - opens) % step:
            raise BadRequest(f"no such slot: slots of {step.seconds // 60} min from "
                             f"{branch.opens_at} to {branch.closes_at} (branch time)")
        if local + step <= at:
            raise BadRequest("that slot is over")
        if local - at > BOOKING_HORIZON:
            raise BadRequest(f"bookings open {BOOKING_HORIZON.days} days ahead at most")
        if (day, code) in self.appointments.codes:
            raise InvalidState("that check-in code is already in use that day")
        if self.appointments.taken.get((service, local), 0) >= capacity:
            raise SlotFull(f"the {local:%H:%M} slot of {service} is fully booked")
        data: dict[str, Any] = {
            "id": appointment_id, "service": service, "day": day.isoformat(),
            "slot_start": local.isoformat(), "slot_end": (local + step).isoformat(), "code": code,
        }
        if day not in self.appointments.salts:
            data["salt"] = salt
        if client_ref is not None:
            data["client_ref"] = client_ref
        return self._emit(Event(ev.APPOINTMENT_BOOKED, at, actor, data=data))

    def cancel_appointment(self, appointment_id: str, at: datetime, actor: str) -> list[Event]:
        """Cancel a booked visit, freeing its place (cancelling twice changes nothing)."""
        found = self.appointment(appointment_id)
        if found.status == "cancelled":
            return []
        if found.status == "checked_in":
            raise InvalidState("the customer has checked in already; their ticket is in the queue")
        data = {"id": found.id, "service": found.service, "slot_start": found.slot_start.isoformat()}
        return self._emit(Event(ev.APPOINTMENT_CANCELLED, at, actor, data=data))

    def check_in(self, *, code: str, ticket_id: str, at: datetime, actor: str,
                 client_ref: str | None, await_print: bool, at_kiosk: bool) -> list[Event]:
        """The customer of today's appointment with ``code`` is here: issue their ticket.

        A retried request (its ``client_ref`` known) issues nothing (the caller looks it up)."""
        today = at.astimezone(self.tz).date()
        appointment_id = self.appointments.codes.get((today, code))
        if appointment_id is None:
            raise WrongCode(WRONG_CODE)
        found = self.appointments.by_id[appointment_id]
        if found.status == "checked_in" and client_ref is not None and (
                self.tickets.get(found.ticket_id or "") is not None
                and self.tickets[found.ticket_id or ""].client_ref == client_ref):
            return []
        if found.status != "booked":
            raise InvalidState(f"this appointment is {found.status.replace('_', ' ')}")
        if at_kiosk and not self.config.branch.is_open(at):
            raise InvalidState(f"the branch is closed (open {self.config.branch.hours})")
        opens = found.slot_start - timedelta(seconds=self.config.appointments.early_window_s)
        if at < opens:
            raise InvalidState(f"check-in for the {found.slot_start.astimezone(self.tz):%H:%M} "
                               f"appointment opens at {opens.astimezone(self.tz):%H:%M}")
        arrival = self._arrival(found, at)
        extra: dict[str, Any] = {"appointment": found.id}
        if arrival != "late_walk_in":
            extra["slot_start"] = found.slot_start.isoformat()
        out = self.issue(ticket_id=ticket_id, service=found.service, at=at, actor=actor,
                         channel="appointment", client_ref=client_ref, await_print=await_print,
                         extra=extra)
        return out + self._emit(Event(ev.APPOINTMENT_CHECKED_IN, at, actor, ticket_id, data={
            "id": found.id, "service": found.service, "arrival": arrival}))

    def _arrival(self, found: Appointment, at: datetime) -> Arrival:
        if at < found.slot_start:
            return "early"
        if at - found.slot_start <= timedelta(seconds=self.config.appointments.grace_late_s):
            return "on_time"
        return "late_walk_in"

    def offline_check_in(self, appointment_id: str, ticket_id: str, issued_at: datetime,
                         at: datetime, actor: str) -> tuple[dict[str, Any], list[Event]]:
        """For a ticket a kiosk issued offline to today's appointment ``appointment_id``: the
        ticket data that makes it the appointment's (``{}`` when it does not: unknown, already
        checked in, or cancelled; the ticket is then an ordinary one) and the check-in event to
        emit after the ticket. The arrival is judged at the kiosk's issue time."""
        found = self.appointments.by_id.get(appointment_id)
        if found is None or found.status != "booked" or found.day != at.astimezone(self.tz).date():
            return {}, []
        arrival = self._arrival(found, issued_at)
        extra: dict[str, Any] = {"appointment": found.id}
        if arrival != "late_walk_in":
            extra["slot_start"] = found.slot_start.isoformat()
        event = Event(ev.APPOINTMENT_CHECKED_IN, at, actor, ticket_id, data={
            "id": found.id, "service": found.service, "arrival": arrival, "offline": True})
        return extra, [event]

    def appointment(self, appointment_id: str) -> Appointment:
        found = self.appointments.by_id.get(appointment_id)
        if found is None:
            raise NotFound("no such appointment (today or later)")
        return found

    def _bookable_service(self, service: str) -> int:
        capacity = self.config.appointments.capacity(service)
        if capacity == 0:
            raise UnknownService(f"{service!r} takes no appointments")
        return capacity

    # ------------------------------------------------------------------ remote tickets
    def issue_remote(self, *, ticket_id: str, service: str, code: str, client_ref: str | None,
                     at: datetime, actor: str) -> list[Event]:
        """A number taken in the bank's app: in line from now, called once confirmed."""
        svc = next((s for s in self.config.services if s.key == service), None)
        if svc is None or svc.kind != "counter":
            raise UnknownService(f"unknown counter service {service!r}")
        today = at.astimezone(self.tz).date()
        if client_ref is not None and self.day == today and client_ref in self.client_refs:
            return []
        if not self.config.branch.is_open(at):
            raise InvalidState(f"the branch is closed (open {self.config.branch.hours})")
        if self.day == today and code in self.remote_codes:
            raise InvalidState("that code is already in use today")
        cap = self.config.remote_tickets.cap_per_service
        pending = sum(1 for t in self.remote_pending.values() if t.service == service)
        if self.day == today and pending >= cap:
            raise RemoteCapReached(
                f"远程取号暂时已满，请到网点取号 / {cap} remote tickets for {service} already wait "
                "for their customers; please take a ticket at the branch")
        return self.issue(ticket_id=ticket_id, service=service, at=at, actor=actor,
                          channel="remote", client_ref=client_ref,
                          extra={"remote_code": code, "unconfirmed": True})

    def confirm_arrival(self, code: str, at: datetime, actor: str) -> list[Event]:
        """The remote ticket's customer is here (its code typed at the kiosk or shown to the
        lobby manager). A second confirmation changes nothing."""
        ticket_id = self.remote_codes.get(code) if self.day == at.astimezone(self.tz).date() else None
        if ticket_id is None or ticket_id not in self.tickets:
            raise WrongCode(WRONG_CODE)
        ticket = self.tickets[ticket_id]
        if ticket.confirmed and ticket.status in (TicketStatus.WAITING, TicketStatus.CALLED):
            return []
        if ticket.status is TicketStatus.NO_SHOW:
            raise InvalidState(f"ticket {ticket.label} missed its turn; the lobby manager can "
                               "put it back")
        if ticket.status is not TicketStatus.WAITING:
            raise InvalidState(f"ticket {ticket.label} is {ticket.status.value}")
        return self._ticket_event(ev.ARRIVAL_CONFIRMED, at, actor, ticket)

    def remote_ticket_by_code(self, code: str) -> Ticket | None:
        ticket_id = self.remote_codes.get(code)
        return None if ticket_id is None else self.tickets.get(ticket_id)

    def _skip_unconfirmed(self, state: CounterState, chosen: Ticket | None, at: datetime,
                          actor: str) -> list[Event]:
        """At a call: pass over each unconfirmed remote ticket of the counter's services that
        would have been called before ``chosen`` (the first time only)."""
        if not self.remote_pending:
            return []
        bar = None if chosen is None else call_key(chosen, state, at, self.aging_limit)
        out: list[Event] = []
        for ticket in list(self.remote_pending.values()):
            if ticket.skipped_at is not None or ticket.service not in state.services:
                continue
            if bar is None or call_key(ticket, state, at, self.aging_limit) < bar:
                out += self._ticket_event(ev.TICKET_SKIPPED, at, actor, ticket, state.number,
                                          reason="unconfirmed")
        return out

    def expire_unconfirmed(self, at: datetime, actor: str) -> list[Event]:
        """Every remote ticket passed over ``confirm_grace_s`` ago and still unconfirmed becomes
        a no-show (the host's timer; reinstatable like any no-show)."""
        grace = timedelta(seconds=self.config.remote_tickets.confirm_grace_s)
        out: list[Event] = []
        for ticket in list(self.remote_pending.values()):
            if ticket.skipped_at is not None and at - ticket.skipped_at >= grace:
                out += self._ticket_event(ev.TICKET_NO_SHOW, at, actor, ticket,
                                          reason="unconfirmed")
        return out

    def unconfirmed_due(self, now: datetime) -> bool:
        """A remote ticket's grace has run out at ``now`` (the timer's cheap check)."""
        grace = timedelta(seconds=self.config.remote_tickets.confirm_grace_s)
        return any(t.skipped_at is not None and now - t.skipped_at >= grace
                   for t in self.remote_pending.values())

    @staticmethod
    def callable_now(ticket: Ticket, state: CounterState, now: datetime,
                     aging_limit: timedelta) -> bool:
        return call_key(ticket, state, now, aging_limit)[0] != NOT_YET

    # ------------------------------------------------------------------ event handlers
    def _appointment_ticket(self, ticket: Ticket, data: dict[str, Any]) -> None:
        """A new ticket's appointment and remote fields (called by the engine's issue handler
        before the ticket joins its queue)."""
        ticket.appointment_id = data.get("appointment")
        if "slot_start" in data:
            ticket.slot_start = datetime.fromisoformat(data["slot_start"])
        if "remote_code" in data:
            ticket.remote = True
            self.remote_codes[data["remote_code"]] = ticket.id
        if data.get("unconfirmed"):
            ticket.confirmed = False
            self.remote_pending[ticket.id] = ticket

    def _left_pending(self, ticket: Ticket, confirmed: bool) -> None:
        """The ticket is called, voided, a no-show or reinstated: no longer waiting outside."""
        self.remote_pending.pop(ticket.id, None)
        if confirmed:
            ticket.confirmed = True

    def _ticket_voided(self, ticket: Ticket) -> None:
        """An appointment's ticket that never reached its customer (the print failed): the
        appointment is booked again, so the customer can check in once more."""
        found = self.appointments.by_id.get(ticket.appointment_id or "")
        if found is not None and found.ticket_id == ticket.id:
            found.status, found.arrival, found.checked_in_at, found.ticket_id = (
                "booked", None, None, None)

    def _appointments_new_day(self, day: date) -> None:
        self.appointments.forget_before(day)
        self.remote_pending = {}
        self.remote_codes = {}

    def _on_appointment_booked(self, e: Event) -> None:
        d = e.data
        start = datetime.fromisoformat(d["slot_start"])
        found = Appointment(d["id"], d["service"], date.fromisoformat(d["day"]), start,
                            datetime.fromisoformat(d["slot_end"]), d["code"], e.at,
                            d.get("client_ref"))
        book = self.appointments
        book.by_id[found.id] = found
        book.codes[(found.day, found.code)] = found.id
        book.taken[(found.service, start)] = book.taken.get((found.service, start), 0) + 1
        if found.client_ref is not None:
            book.refs[found.client_ref] = found.id
        if "salt" in d:
            book.salts.setdefault(found.day, d["salt"])

    def _on_appointment_cancelled(self, e: Event) -> None:
        found = self.appointments.by_id[e.data["id"]]
        found.status = "cancelled"
        found.cancelled_at = e.at
        slot = (found.service, found.slot_start)
        self.appointments.taken[slot] = self.appointments.taken.get(slot, 1) - 1

    def _on_appointment_checked_in(self, e: Event) -> None:
        found = self.appointments.by_id[e.data["id"]]
        found.status = "checked_in"
        found.checked_in_at = e.at
        found.arrival = e.data["arrival"]
        found.ticket_id = e.ticket_id

    def _on_arrival_confirmed(self, e: Event) -> None:
        ticket = self.tickets[e.ticket_id or ""]
        self._left_pending(ticket, confirmed=True)
        if ticket.skipped_at is not None:
            ticket.front_since = e.at  # its turn came and went: it is called next
        self.queues[ticket.service].add(ticket)

    def _on_skipped(self, e: Event) -> None:
        ticket = self.tickets[e.ticket_id or ""]
        if ticket.skipped_at is None:
            ticket.skipped_at = e.at


HANDLERS: dict[str, Callable[[Any, Event], None]] = {
    ev.APPOINTMENT_BOOKED: AppointmentRules._on_appointment_booked,
    ev.APPOINTMENT_CANCELLED: AppointmentRules._on_appointment_cancelled,
    ev.APPOINTMENT_CHECKED_IN: AppointmentRules._on_appointment_checked_in,
    ev.ARRIVAL_CONFIRMED: AppointmentRules._on_arrival_confirmed,
    ev.TICKET_SKIPPED: AppointmentRules._on_skipped,
}
