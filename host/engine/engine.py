"""The queue engine: numbering, call order, no-shows, transfers. Pure Python, no I/O.

Every command validates against the current state, builds the events it causes and applies them
through :meth:`QueueEngine.apply`, the only method that mutates state. Time, actors and ticket ids
come in with the command, so replaying the event log gives the same state, byte for byte. Wait
estimates come from the :class:`~branchq.host.engine.estimator.WaitEstimator` the engine is built
with (host/insight/estimate.py; docs/architecture.md §4).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from branchq.host.config import BranchConfig, ServiceConfig
from branchq.host.engine import events as ev
from branchq.host.engine.appointments import HANDLERS as APPOINTMENT_HANDLERS
from branchq.host.engine.appointments import AppointmentRules
from branchq.host.engine.errors import Forbidden, InvalidState, NotFound, ReplayError, UnknownService
from branchq.host.engine.estimator import WaitEstimator
from branchq.host.engine.events import Event
from branchq.host.engine.leases import Lease, LeaseBook
from branchq.host.engine.model import (
    CounterState,
    DeviceState,
    DeviceStatus,
    EquipmentState,
    HelpAlert,
    Notice,
    Priority,
    ServiceStats,
    Ticket,
    TicketStatus,
)
from branchq.host.engine.ordering import call_key
from branchq.host.engine.queues import ServiceQueue
from branchq.host.engine.tally import DayTally


def format_number(prefix: str, number: int) -> str:
    """``A001`` ... ``A999``, then ``A1000``: at least three digits, never truncated."""
    return f"{prefix}{number:03d}"


class QueueEngine(AppointmentRules):
    """State of one branch's queues, changed only by events (appointments and remote tickets:
    :mod:`branchq.host.engine.appointments`)."""

    def __init__(self, config: BranchConfig, estimator: WaitEstimator) -> None:
        self.config = config
        self.estimator = estimator
        self.tz = config.branch.tz
        self.aging_limit = timedelta(seconds=config.branch.aging_limit_s)
        self.grace = timedelta(seconds=config.branch.no_show_grace_s)
        self.services: dict[str, ServiceConfig] = {s.key: s for s in config.services}
        self.day: date | None = None
        self.tickets: dict[str, Ticket] = {}
        self.counters: dict[int, CounterState] = {
            c.number: CounterState(c.number, tuple(c.services), c.vip) for c in config.counters
        }
        self.equipment: dict[str, EquipmentState] = {
            e.id: EquipmentState(e.id, e.kind) for e in config.equipment
        }
        self.stats: dict[str, ServiceStats] = {
            s.key: ServiceStats() for s in config.services if s.kind == "counter"
        }
        self.queues: dict[str, ServiceQueue] = {key: ServiceQueue() for key in self.stats}
        self.notices: dict[str, Notice] = {}
        self.client_refs: dict[str, str] = {}  # today's client references -> ticket id
        self.labels: set[str] = set()  # today's issued labels
        self.lease_book = LeaseBook()
        self.vip_cards: set[str] = set()  # HMAC digests of VIP card numbers
        self.tally = DayTally()
        self.devices: dict[tuple[str, str], DeviceState] = {}
        self._init_appointments()
        # Today's calls for help (open and closed) by id, and the kiosks' references for them.
        self.help: dict[str, HelpAlert] = {}
        self.help_refs: dict[str, str] = {}
        self.test_slips: dict[str, str] = {}  # kiosk -> the id of the last test slip asked of it
        self.seq = 0  # seq of the last applied event that came from the log
        # Events applied so far, stored or not: the service compares it before and after a
        # command to know whether a command that failed left anything behind to roll back.
        self.applied = 0
        # Changes with every event except a ticket issued now, which only lengthens a queue's
        # tail: an estimator may reuse what it learned while the shape stays the same.
        self.shape = 0

    # ------------------------------------------------------------------ commands
    def issue(
        self,
        *,
        ticket_id: str,
        service: str,
        at: datetime,
        actor: str,
        priority: Priority = Priority.NORMAL,
        channel: str = "kiosk",
        client_ref: str | None = None,
        await_print: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> list[Event]:
        """Issue a ticket, or guidance to the self-service area for a self-service choice.

        A self-service choice falls back to its counter service when every ATM is out of service.
        ``client_ref`` makes a retried request harmless: the same reference on the same day
        issues nothing new (the caller looks up :attr:`client_refs`). With ``await_print`` the
        ticket is not callable until :meth:`confirm_printed`. ``extra``: more ticket data (an
        appointment's slot, a remote ticket's code: :mod:`branchq.host.engine.appointments`).
        """
        svc = self.services.get(service)
        if svc is None:
            raise UnknownService(f"unknown service {service!r}")
        out = self._roll_day(at, actor)
        if client_ref is not None and client_ref in self.client_refs:
            return out
        routed_from = None
        if svc.kind == "self_service":
            if self.self_service_available():
                return out + self._emit(
                    Event(ev.GUIDANCE_GIVEN, at, actor, data={"service": service})
                )
            routed_from, svc = service, self.services[svc.fallback or ""]
        if svc.key == "vip" and priority is Priority.NORMAL:
            priority = Priority.VIP
        number = self.lease_book.next_free(self.stats[svc.key].last_number + 1)
        data: dict[str, Any] = {
            "service": svc.key,
            "number": number,
            "label": format_number(svc.prefix, number),
            "priority": priority.value,
            "channel": channel,
        }
        if routed_from:
            data["routed_from"] = routed_from
        if client_ref is not None:
            data["client_ref"] = client_ref
        if await_print:
            data["await_print"] = True
        data.update(extra or {})
        return out + self._emit(Event(ev.TICKET_ISSUED, at, actor, ticket_id, data=data))

    def kiosk_issue(
        self,
        *,
        ticket_id: str,
        service: str,
        at: datetime,
        actor: str,
        priority: Priority,
        vip_card: str | None,
        client_ref: str | None,
        await_print: bool,
    ) -> list[Event]:
        """A customer's own request at the kiosk, then :meth:`issue`: a VIP ticket needs a
        recognised VIP card (``vip_card``: its HMAC digest), and the branch must be open. The
        lobby manager, issuing on a customer's behalf, is held to neither (docs/architecture.md §4)."""
        if (priority is Priority.VIP or service == "vip") and (
                vip_card is None or vip_card not in self.vip_cards):
            raise Forbidden("VIP tickets need a recognised VIP card or the lobby manager")
        branch = self.config.branch
        if not branch.is_open(at):
            raise InvalidState(f"the branch is closed (open {branch.hours})")
        return self.issue(ticket_id=ticket_id, service=service, at=at, actor=actor,
                          priority=priority, channel="kiosk", client_ref=client_ref,
                          await_print=await_print)

    def confirm_printed(self, ticket_id: str, at: datetime, actor: str) -> list[Event]:
        """The kiosk handed the ticket out: it joins the queue (in issue-time order)."""
        ticket = self._ticket(ticket_id)
        if ticket.status is not TicketStatus.PRINTING:
            if ticket.status is TicketStatus.WAITING:
                return []  # a retried confirmation
            raise InvalidState(f"ticket {ticket.label} is {ticket.status.value}, not printing")
        return self._ticket_event(ev.TICKET_PRINTED, at, actor, ticket)

    def lease(self, kiosk: str, service: str, count: int, at: datetime, actor: str) -> list[Event]:
        """Reserve ``count`` numbers of ``service`` for ``kiosk``'s offline use today."""
        svc = self.services.get(service)
        if svc is None or svc.kind != "counter":
            raise UnknownService(f"unknown counter service {service!r}")
        out = self._roll_day(at, actor)
        first = self.lease_book.next_block_start(self.config.branch.offline_numbers_from,
                                                 self.stats[service].last_number)
        data = {"kiosk": kiosk, "service": service, "first": first, "last": first + count - 1,
                "day": str(self.day)}
        return out + self._emit(Event(ev.NUMBERS_LEASED, at, actor, data=data))

    def accept_offline(
        self, *, ticket_id: str, kiosk: str, service: str, number: int, priority: Priority,
        issued_at: datetime, client_ref: str, at: datetime, actor: str,
        appointment_id: str | None = None,
    ) -> list[Event]:
        """Take in a ticket a kiosk issued from its lease while the host was unreachable.

        Accepted once (by ``client_ref``) and only from that kiosk's own lease for today; it
        joins the queue at its real issue time, so it is merged in issue-time order. With
        ``appointment_id`` (the kiosk checked a cached appointment in offline) the ticket is that
        appointment's, once (:meth:`offline_check_in`).
        """
        svc = self.services.get(service)
        if svc is None or svc.kind != "counter":
            raise UnknownService(f"unknown counter service {service!r}")
        # Every check comes before the day rolls over: a refused command changes nothing.
        if issued_at.tzinfo is None or issued_at.utcoffset() is None:
            raise InvalidState("an offline ticket's issue time needs a time zone")
        try:
            issued_day = issued_at.astimezone(self.tz).date()
        except OverflowError as err:
            raise InvalidState("an offline ticket's issue time is out of range") from err
        today = at.astimezone(self.tz).date()
        same_day = self.day == today
        if same_day and client_ref in self.client_refs:
            return []
        if issued_day != today or issued_at > at:
            raise InvalidState("an offline ticket from another business day cannot join today's queue")
        if not same_day or not self.lease_book.covers(kiosk, service, number):
            raise InvalidState(f"number {number} of {service} is not leased to kiosk {kiosk!r} today")
        label = format_number(svc.prefix, number)
        if label in self.labels:
            raise InvalidState(f"{label} has already been issued today")
        data: dict[str, Any] = {
            "service": service, "number": number, "label": label, "priority": priority.value,
            "channel": "offline", "client_ref": client_ref, "issued_at": issued_at.isoformat(),
            "kiosk": kiosk,
        }
        checked_in: list[Event] = []
        if appointment_id is not None:
            extra, checked_in = self.offline_check_in(appointment_id, ticket_id, issued_at, at,
                                                      actor)
            data.update(extra)
        out = self._emit(Event(ev.TICKET_ISSUED, at, actor, ticket_id, data=data))
        return out + [e for event in checked_in for e in self._emit(event)]

    def call_next(self, counter: int, at: datetime, actor: str) -> list[Event]:
        """Finish the counter's current customer (if any) and call the next; [] tail if none."""
        state = self._counter(counter)
        if state.paused:
            raise InvalidState(f"counter {counter} is paused")
        out = self._roll_day(at, actor)
        if state.current is not None:
            out += self._ticket_event(ev.TICKET_DONE, at, actor, self.tickets[state.current], counter)
        out += self.expire_unconfirmed(at, actor)  # the timer's work, if it is behind
        nxt = self.next_for(counter, at)
        out += self._skip_unconfirmed(state, nxt, at, actor)
        if nxt is not None:
            out += self._ticket_event(ev.TICKET_CALLED, at, actor, nxt, counter)
        return out

    def call_ticket(self, counter: int, ticket_id: str, at: datetime, actor: str) -> list[Event]:
        """Call one waiting ticket by id (a customer who came back, picked by the teller)."""
        state = self._counter(counter)
        ticket = self._ticket(ticket_id)
        if state.paused:
            raise InvalidState(f"counter {counter} is paused")
        if ticket.status is not TicketStatus.WAITING:
            raise InvalidState(f"ticket {ticket.label} is {ticket.status.value}, not waiting")
        if ticket.service not in state.services:
            raise InvalidState(f"counter {counter} does not serve {ticket.service}")
        out: list[Event] = []
        if state.current is not None:
            out += self._ticket_event(ev.TICKET_DONE, at, actor, self.tickets[state.current], counter)
        return out + self._ticket_event(ev.TICKET_CALLED, at, actor, ticket, counter)

    def recall(self, counter: int, at: datetime, actor: str) -> list[Event]:
        ticket = self._current(counter)
        return self._ticket_event(
            ev.TICKET_RECALLED, at, actor, ticket, counter, recalls=ticket.recalls + 1
        )

    def no_show(self, counter: int, at: datetime, actor: str) -> list[Event]:
        ticket = self._current(counter)
        return self._ticket_event(ev.TICKET_NO_SHOW, at, actor, ticket, counter)

    def done(self, counter: int, at: datetime, actor: str) -> list[Event]:
        ticket = self._current(counter)
        return self._ticket_event(ev.TICKET_DONE, at, actor, ticket, counter)

    def transfer(self, counter: int, service: str, at: datetime, actor: str) -> list[Event]:
        """Send the counter's customer to another service, keeping the number, at its front."""
        target = self.services.get(service)
        if target is None or target.kind != "counter":
            raise UnknownService(f"unknown counter service {service!r}")
        ticket = self._current(counter)
        if ticket.service == service:
            raise InvalidState(f"ticket {ticket.label} is already for {service}")
        return self._ticket_event(ev.TICKET_TRANSFERRED, at, actor, ticket, counter, to=service)

    def rate(self, counter: int, score: int, at: datetime, actor: str) -> list[Event]:
        """Record the satisfaction key the customer pressed: rates the ticket being served at
        the counter, or the one just finished there."""
        if score not in (1, 2, 3):
            raise InvalidState("a rating is 1 (unsatisfied), 2 (neutral) or 3 (satisfied)")
        state = self._counter(counter)
        ticket_id = state.current or state.last_served
        if ticket_id is None or ticket_id not in self.tickets:
            raise InvalidState(f"counter {counter} has served nobody to rate")
        ticket = self.tickets[ticket_id]
        if ticket.rating is not None:
            raise InvalidState(f"ticket {ticket.label} is already rated")
        return self._ticket_event(ev.TICKET_RATED, at, actor, ticket, counter, score=score)

    def pause(self, counter: int, at: datetime, actor: str) -> list[Event]:
        if self._counter(counter).paused:
            raise InvalidState(f"counter {counter} is already paused")
        return self._emit(Event(ev.COUNTER_PAUSED, at, actor, counter=counter))

    def resume(self, counter: int, at: datetime, actor: str) -> list[Event]:
        if not self._counter(counter).paused:
            raise InvalidState(f"counter {counter} is not paused")
        return self._emit(Event(ev.COUNTER_RESUMED, at, actor, counter=counter))

    def take_second_service(self, counter: int, service: str, until: datetime, at: datetime,
                            actor: str) -> list[Event]:
        """An idle counter also serves ``service`` until ``until`` (窗口调整): it calls that
        queue after its own, so its own customers are never passed over. Idle means open and
        nobody waiting for what it already serves; a VIP queue goes only to a VIP counter."""
        state = self._counter(counter)
        svc = self.services.get(service)
        if svc is None or svc.kind != "counter":
            raise UnknownService(f"unknown counter service {service!r}")
        refusal = self._second_service_refusal(state, service)
        if refusal is not None:
            raise InvalidState(refusal)
        if until <= at:
            raise InvalidState("a second service needs an end time after now")
        data = {"service": service, "until": until.isoformat()}
        return self._emit(Event(ev.SECOND_SERVICE_TAKEN, at, actor, counter=counter, data=data))

    def _second_service_refusal(self, state: CounterState, service: str) -> str | None:
        """Why ``state`` may not take ``service`` as a second service now (None: it may)."""
        if service in state.services:
            return f"counter {state.number} already serves {service}"
        if state.second is not None:
            return f"counter {state.number} already takes {state.second} as a second service"
        if state.paused:
            return f"counter {state.number} is paused"
        if service == "vip" and not state.vip:
            return "only a VIP counter serves VIP customers"
        busy = [key for key in state.services if len(self.queues[key])]
        if busy:
            return f"counter {state.number} is not idle: customers wait for {busy[0]}"
        return None

    def second_service_candidates(self, service: str) -> list[int]:
        """The idle counters that could take ``service`` as a second service now."""
        return [c.number for c in self.counters.values()
                if self._second_service_refusal(c, service) is None]

    def end_second_service(self, counter: int, at: datetime, actor: str) -> list[Event]:
        """The counter gives its second service back (the manager undid it)."""
        state = self._counter(counter)
        if state.second is None:
            raise InvalidState(f"counter {counter} takes no second service")
        return self._second_ended(state, at, actor, "undone")

    def end_due_second_services(self, at: datetime, actor: str) -> list[Event]:
        """End every second service whose time is up at ``at`` (the host's timer)."""
        out: list[Event] = []
        for state in self.counters.values():
            if state.second_until is not None and state.second_until <= at:
                out += self._second_ended(state, at, actor, "expired")
        return out

    def _second_ended(self, state: CounterState, at: datetime, actor: str,
                      reason: str) -> list[Event]:
        data = {"service": state.second, "reason": reason}
        return self._emit(Event(ev.SECOND_SERVICE_ENDED, at, actor, counter=state.number, data=data))

    def record_opening_check(self, result: dict[str, Any], at: datetime, actor: str) -> list[Event]:
        """Keep the morning check's result in the log (host/opening.py; the daily work log
        shows it). It changes no queue state."""
        return self._emit(Event(ev.OPENING_CHECKED, at, actor, data=result))

    def request_help(self, alert_id: str, kiosk: str, screen: str, requested_at: datetime,
                     client_ref: str, at: datetime, actor: str) -> list[Event]:
        """A customer pressed "I need help" at ``kiosk`` on ``screen`` at ``requested_at`` (the
        kiosk's clock: a press queued while the host was down keeps its time). Nothing new when
        ``client_ref`` was seen before (a re-sent queued press) or the kiosk already has an open
        alert (repeated presses do not spam): the caller looks up :meth:`help_for`."""
        if requested_at.utcoffset() is None:
            raise ValueError("help requested at a time without a time zone")
        if self.help_for(client_ref, kiosk) is not None:
            return []
        data = {"id": alert_id, "kiosk": kiosk, "screen": screen, "client_ref": client_ref,
                "requested_at": min(requested_at, at).isoformat()}
        return self._emit(Event(ev.HELP_REQUESTED, at, actor, data=data))

    def help_for(self, client_ref: str, kiosk: str) -> HelpAlert | None:
        """The alert a kiosk's press with ``client_ref`` is: the one it made, else the kiosk's
        open one (None: the press would make a new alert)."""
        known = self.help_refs.get(client_ref)
        if known is not None:
            return self.help[known]
        return next((a for a in self.help.values() if a.kiosk == kiosk and a.closed_at is None),
                    None)

    def acknowledge_help(self, alert_id: str, at: datetime, actor: str) -> list[Event]:
        """A lobby manager is on the way (a second acknowledgement changes nothing)."""
        alert = self._help(alert_id)
        if alert.closed_at is not None:
            raise InvalidState(f"the call for help at {alert.kiosk} is already closed")
        if alert.acknowledged_at is not None:
            return []
        data = {"id": alert.id, "kiosk": alert.kiosk}
        return self._emit(Event(ev.HELP_ACKNOWLEDGED, at, actor, data=data))

    def close_help(self, alert_id: str, at: datetime, actor: str) -> list[Event]:
        """The customer has been helped (closing twice changes nothing)."""
        alert = self._help(alert_id)
        if alert.closed_at is not None:
            return []
        data = {"id": alert.id, "kiosk": alert.kiosk}
        return self._emit(Event(ev.HELP_CLOSED, at, actor, data=data))

    def request_test_slip(self, slip_id: str, kiosk: str, at: datetime, actor: str) -> list[Event]:
        """The morning check asks ``kiosk`` to print a test slip (host/opening.py)."""
        data = {"id": slip_id, "kiosk": kiosk}
        return self._emit(Event(ev.TEST_SLIP_REQUESTED, at, actor, data=data))

    def reinstate(self, ticket_id: str, at: datetime, actor: str) -> list[Event]:
        """Put a returned no-show back, to be served next at a counter of its service."""
        ticket = self._ticket(ticket_id)
        if ticket.status is not TicketStatus.NO_SHOW or ticket.no_show_at is None:
            raise InvalidState(f"ticket {ticket.label} is {ticket.status.value}, not a no-show")
        if at - ticket.no_show_at > self.grace:
            minutes = self.config.branch.no_show_grace_s // 60
            raise InvalidState(
                f"ticket {ticket.label} missed its call more than {minutes} min ago; issue a new one"
            )
        return self._ticket_event(ev.TICKET_REINSTATED, at, actor, ticket)

    def void(self, ticket_id: str, at: datetime, actor: str, reason: str) -> list[Event]:
        """Withdraw a ticket that never reached its customer (e.g. the print failed)."""
        ticket = self._ticket(ticket_id)
        if ticket.status not in (TicketStatus.WAITING, TicketStatus.PRINTING):
            raise InvalidState(f"ticket {ticket.label} is {ticket.status.value}, cannot be voided")
        return self._ticket_event(ev.TICKET_VOIDED, at, actor, ticket, reason=reason)

    def set_equipment(
        self, equipment_id: str, in_service: bool, note: str, at: datetime, actor: str
    ) -> list[Event]:
        if equipment_id not in self.equipment:
            raise NotFound(f"no equipment {equipment_id!r}")
        data = {"in_service": in_service, "note": note}
        return self._emit(Event(ev.EQUIPMENT_CHANGED, at, actor, data={"id": equipment_id, **data}))

    def post_notice(self, notice_id: str, text_zh: str, text_en: str, at: datetime,
                    actor: str) -> list[Event]:
        data = {"id": notice_id, "text_zh": text_zh, "text_en": text_en}
        return self._emit(Event(ev.NOTICE_POSTED, at, actor, data=data))

    def clear_notice(self, notice_id: str, at: datetime, actor: str) -> list[Event]:
        if notice_id not in self.notices:
            raise NotFound(f"no notice {notice_id!r}")
        return self._emit(Event(ev.NOTICE_CLEARED, at, actor, data={"id": notice_id}))

    def enroll_vip_card(self, digest: str, at: datetime, actor: str) -> list[Event]:
        if digest in self.vip_cards:
            raise InvalidState("this card is already enrolled")
        return self._emit(Event(ev.VIP_CARD_ENROLLED, at, actor, data={"digest": digest}))

    def remove_vip_card(self, digest: str, at: datetime, actor: str) -> list[Event]:
        if digest not in self.vip_cards:
            raise NotFound("no such VIP card")
        return self._emit(Event(ev.VIP_CARD_REMOVED, at, actor, data={"digest": digest}))

    def report_devices(self, kiosk: str, reports: Sequence[tuple[str, DeviceStatus, str]], at: datetime,
                       actor: str) -> list[Event]:
        """Record a kiosk's device states ``(device, status, detail)``; only changes become
        events, so the log keeps every fault and recovery without a row per heartbeat."""
        out: list[Event] = []
        for device, status, detail in reports:
            known = self.devices.get((kiosk, device))
            if known is None or (known.status, known.detail) != (status, detail):
                data = {"kiosk": kiosk, "device": device, "status": status, "detail": detail}
                out += self._emit(Event(ev.DEVICE_STATUS, at, actor, data=data))
        return out

    # ------------------------------------------------------------------ queries
    def next_for(self, counter: int, now: datetime) -> Ticket | None:
        state = self._counter(counter)
        heads = [t for key in state.services for t in self.queues[key].heads()
                 if self.callable_now(t, state, now, self.aging_limit)]
        if not heads:
            return None
        return min(heads, key=lambda t: call_key(t, state, now, self.aging_limit))

    def waiting(self, service: str) -> list[Ticket]:
        """Waiting tickets of a counter service (in no particular order)."""
        return list(self.queues[service])

    def people_ahead(self, ticket: Ticket, now: datetime) -> int:
        """Waiting tickets of the same service that the first counter serving it calls earlier."""
        if ticket.status not in (TicketStatus.WAITING, TicketStatus.PRINTING):
            return 0
        view = next(c for c in self.counters.values() if ticket.service in c.services)
        return self.queues[ticket.service].ahead_of(ticket, view, now, self.aging_limit)

    def mean_service_time(self, service: str) -> float:
        recent = self.stats[service].recent
        if not recent:
            return float(self.config.branch.default_service_time_s)
        return sum(recent) / len(recent)

    def open_counters(self, service: str) -> float:
        """Counters open for ``service``; a counter that prefers other services counts half."""
        return sum(
            1.0 if c.services[0] == service else 0.5
            for c in self.counters.values()
            if service in c.services and not c.paused
        )

    def estimate_wait(self, service: str, ahead: int, since: datetime | None = None) -> int | None:
        """Seconds until a customer with ``ahead`` people before them is called; None if no
        counter is open for the service. ``since``: when that customer's ticket started waiting
        (None: a ticket about to be issued). The model is the engine's estimator's."""
        return self.estimator.wait(self, service, ahead, since)

    def known_now(self) -> datetime | None:
        """"Now" as far as the engine knows: its newest ticket or call (None before the first
        ticket). Estimates are taken when a ticket is issued and must not depend on a wall clock
        to stay replayable."""
        newest = next(reversed(self.tickets.values()), None)
        if newest is None:
            return None
        return max([newest.issued_at] + [self.tickets[c.current].called_at or newest.issued_at
                                         for c in self.counters.values() if c.current])

    def self_service_available(self) -> bool:
        atms = [e for e in self.equipment.values() if e.kind in ("atm", "self_service")]
        return any(e.in_service for e in atms)

    # ------------------------------------------------------------------ mutation
    def apply(self, event: Event) -> None:
        """Apply one event to the state. Used for new events and for replay alike."""
        self.applied += 1
        handler = _HANDLERS.get(event.kind)
        if handler is not None:
            handler(self, event)
        if event.kind != ev.TICKET_ISSUED or "issued_at" in event.data:
            self.shape += 1  # not a new ticket at a queue's tail (an offline one goes mid-queue)
        if event.seq:
            self.seq = event.seq

    def replay(self, events: Iterable[Event]) -> None:
        """Apply stored events in order; :class:`ReplayError` names the first that does not apply."""
        for event in events:
            try:
                self.apply(event)
            except Exception as err:  # any fault of a stored event: say which one it was
                raise ReplayError(event.seq, event.kind, f"{type(err).__name__}: {err}") from err

    def _ticket_event(
        self, kind: str, at: datetime, actor: str, ticket: Ticket, counter: int | None = None,
        **extra: Any,
    ) -> list[Event]:
        """Emit an event about ``ticket``; its label, service and priority go along so that a
        display or a report never has to look the ticket up."""
        data = {"label": ticket.label, "service": ticket.service, "priority": ticket.priority.value}
        return self._emit(Event(kind, at, actor, ticket.id, counter, {**data, **extra}))

    def _emit(self, event: Event) -> list[Event]:
        if event.at.utcoffset() is None:
            # Stored as UTC, a naive time would come back as another instant: a bug upstream.
            raise ValueError(f"{event.kind} at {event.at}: a time without a time zone")
        self.apply(event)
        return [event]

    def _roll_day(self, at: datetime, actor: str) -> list[Event]:
        day = at.astimezone(self.tz).date()
        if self.day is not None and day <= self.day:
            # Never back: a clock stepped backwards over midnight must not restart numbering
            # (the day's numbers were already handed out).
            return []
        return self._emit(Event(ev.DAY_OPENED, at, actor, data={"day": day.isoformat()}))

    def _counter(self, number: int) -> CounterState:
        state = self.counters.get(number)
        if state is None:
            raise NotFound(f"no counter {number}")
        return state

    def _ticket(self, ticket_id: str) -> Ticket:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            raise NotFound("no such ticket today")
        return ticket

    def _help(self, alert_id: str) -> HelpAlert:
        alert = self.help.get(alert_id)
        if alert is None:
            raise NotFound("no such call for help today")
        return alert

    def _current(self, counter: int) -> Ticket:
        state = self._counter(counter)
        if state.current is None:
            raise InvalidState(f"counter {counter} is not serving anyone")
        return self.tickets[state.current]

    # ------------------------------------------------------------------ event handlers
    def _on_day_opened(self, e: Event) -> None:
        self.day = date.fromisoformat(e.data["day"])
        # Yesterday's tickets leave memory (the database keeps them, open ones marked expired);
        # numbering restarts.
        self.tickets = {}
        self.tally = DayTally()
        self.client_refs = {}
        self.labels = set()
        self.lease_book.clear()
        self.queues = {key: ServiceQueue() for key in self.stats}
        for counter in self.counters.values():
            counter.last_served = None
        for stats in self.stats.values():
            stats.last_number = 0
            stats.issued_today = 0
        self._appointments_new_day(self.day)
        for counter in self.counters.values():
            counter.current = None
            _drop_second(counter)  # a second service is for the hour, never for the next day
        # A call for help still open at midnight still wants an answer; closed ones leave.
        self.help = {k: a for k, a in self.help.items() if a.closed_at is None}
        self.help_refs = {a.client_ref: a.id for a in self.help.values()}

    def _on_issued(self, e: Event) -> None:
        d = e.data
        issued_at = datetime.fromisoformat(d["issued_at"]) if "issued_at" in d else e.at
        self.tickets[e.ticket_id or ""] = Ticket(
            id=e.ticket_id or "",
            service=d["service"],
            number=d["number"],
            label=d["label"],
            priority=Priority(d["priority"]),
            # The engine's day, not the issue time's date: a clock stepped back over midnight
            # must not give the new day's numbers the old day's date (the day never goes back).
            business_day=self.day or issued_at.astimezone(self.tz).date(),
            issued_at=issued_at,
            channel=d["channel"],
            status=TicketStatus.PRINTING if d.get("await_print") else TicketStatus.WAITING,
            queue_since=issued_at,
            routed_from=d.get("routed_from"),
            client_ref=d.get("client_ref"),
        )
        ticket = self.tickets[e.ticket_id or ""]
        self.labels.add(ticket.label)
        self.tally.issued(ticket)
        if "client_ref" in d:
            self.client_refs[d["client_ref"]] = ticket.id
        self._appointment_ticket(ticket, d)
        queue = self.queues.get(d["service"])
        if queue is not None and ticket.status is TicketStatus.WAITING and ticket.confirmed:
            queue.add(ticket)
        stats = self.stats.get(d["service"])
        if stats is not None:
            if d["channel"] != "offline":  # offline numbers live in leases, above the online run
                stats.last_number = max(stats.last_number, d["number"])
            stats.issued_today += 1

    def _on_called(self, e: Event) -> None:
        ticket = self.tickets[e.ticket_id or ""]
        self.queues[ticket.service].remove(ticket)
        self._left_pending(ticket, confirmed=True)  # a remote customer who answers the call
        self.tally.before_call(ticket)
        ticket.status = TicketStatus.CALLED
        ticket.counter = e.counter
        ticket.called_at = e.at
        ticket.front_since = None
        self.counters[e.counter or 0].current = ticket.id

    def _on_recalled(self, e: Event) -> None:
        self.tickets[e.ticket_id or ""].recalls = e.data["recalls"]

    def _release(self, e: Event, status: TicketStatus) -> Ticket:
        ticket = self.tickets[e.ticket_id or ""]
        ticket.status = status
        ticket.finished_at = e.at
        counter = self.counters.get(ticket.counter or 0)
        if counter is not None and counter.current == ticket.id:
            counter.current = None
            counter.last_served = ticket.id
        return ticket

    def _on_rated(self, e: Event) -> None:
        self.tickets[e.ticket_id or ""].rating = e.data["score"]

    def _on_done(self, e: Event) -> None:
        ticket = self._release(e, TicketStatus.DONE)
        stats = self.stats.get(ticket.service)
        if stats is not None and ticket.called_at is not None:
            stats.recent.append((e.at - ticket.called_at).total_seconds())

    def _on_no_show(self, e: Event) -> None:
        ticket = self.tickets[e.ticket_id or ""]
        if ticket.called_at is not None:  # not a remote ticket that never came (no call to count)
            self.tally.no_show(ticket, e.at)
        self._left_pending(ticket, confirmed=False)
        self._release(e, TicketStatus.NO_SHOW).no_show_at = e.at

    def _on_reinstated(self, e: Event) -> None:
        ticket = self.tickets[e.ticket_id or ""]
        ticket.status = TicketStatus.WAITING
        ticket.front_since = e.at
        ticket.finished_at = None
        ticket.confirmed = True  # back in front of the lobby manager
        self.queues[ticket.service].add(ticket)

    def _on_transferred(self, e: Event) -> None:
        ticket = self._release(e, TicketStatus.WAITING)
        ticket.finished_at = None
        ticket.transferred_from = ticket.service
        self.tally.moved(ticket, ticket.service, e.data["to"])
        ticket.service = e.data["to"]
        ticket.front_since = e.at
        ticket.counter = None
        self.queues[ticket.service].add(ticket)

    def _on_printed(self, e: Event) -> None:
        ticket = self.tickets[e.ticket_id or ""]
        ticket.status = TicketStatus.WAITING
        self.queues[ticket.service].add(ticket)

    def _on_leased(self, e: Event) -> None:
        d = e.data
        self.lease_book.grant(Lease(d["kiosk"], d["service"], d["first"], d["last"]))

    def _on_voided(self, e: Event) -> None:
        ticket = self.tickets[e.ticket_id or ""]
        if ticket.status is TicketStatus.WAITING:
            self.queues[ticket.service].remove(ticket)
        self._left_pending(ticket, confirmed=False)
        self._ticket_voided(ticket)
        self._release(e, TicketStatus.VOIDED)

    def _on_paused(self, e: Event) -> None:
        self.counters[e.counter or 0].paused = True

    def _on_resumed(self, e: Event) -> None:
        self.counters[e.counter or 0].paused = False

    def _on_second_taken(self, e: Event) -> None:
        state = self.counters[e.counter or 0]
        state.second = e.data["service"]
        state.second_until = datetime.fromisoformat(e.data["until"])
        state.services = (*state.services, e.data["service"])

    def _on_second_ended(self, e: Event) -> None:
        _drop_second(self.counters[e.counter or 0])

    def _on_equipment(self, e: Event) -> None:
        item = self.equipment.get(e.data["id"])
        if item is not None:
            item.in_service = e.data["in_service"]
            item.note = e.data["note"]
            item.changed_at = e.at


    def _on_notice_posted(self, e: Event) -> None:
        d = e.data
        self.notices[d["id"]] = Notice(d["id"], d["text_zh"], d["text_en"], e.at)

    def _on_notice_cleared(self, e: Event) -> None:
        self.notices.pop(e.data["id"], None)

    def _on_vip_enrolled(self, e: Event) -> None:
        self.vip_cards.add(e.data["digest"])

    def _on_vip_removed(self, e: Event) -> None:
        self.vip_cards.discard(e.data["digest"])

    def _on_device_status(self, e: Event) -> None:
        d = e.data
        self.devices[(d["kiosk"], d["device"])] = DeviceState(
            d["kiosk"], d["device"], d["status"], d["detail"], e.at
        )


    def _on_help_requested(self, e: Event) -> None:
        d = e.data
        self.help[d["id"]] = HelpAlert(d["id"], d["kiosk"], d["screen"],
                                       datetime.fromisoformat(d["requested_at"]), e.at,
                                       d["client_ref"])
        self.help_refs[d["client_ref"]] = d["id"]

    def _on_help_acknowledged(self, e: Event) -> None:
        alert = self.help[e.data["id"]]
        alert.acknowledged_at, alert.acknowledged_by = e.at, e.actor

    def _on_help_closed(self, e: Event) -> None:
        self.help[e.data["id"]].closed_at = e.at

    def _on_test_slip_requested(self, e: Event) -> None:
        self.test_slips[e.data["kiosk"]] = e.data["id"]


def _drop_second(state: CounterState) -> None:
    if state.second is not None:
        state.services = tuple(key for key in state.services if key != state.second)
    state.second = state.second_until = None


_HANDLERS = {
    **APPOINTMENT_HANDLERS,
    ev.DAY_OPENED: QueueEngine._on_day_opened,
    ev.TICKET_ISSUED: QueueEngine._on_issued,
    ev.TICKET_CALLED: QueueEngine._on_called,
    ev.TICKET_RECALLED: QueueEngine._on_recalled,
    ev.TICKET_DONE: QueueEngine._on_done,
    ev.TICKET_NO_SHOW: QueueEngine._on_no_show,
    ev.TICKET_REINSTATED: QueueEngine._on_reinstated,
    ev.TICKET_TRANSFERRED: QueueEngine._on_transferred,
    ev.TICKET_VOIDED: QueueEngine._on_voided,
    ev.TICKET_PRINTED: QueueEngine._on_printed,
    ev.NUMBERS_LEASED: QueueEngine._on_leased,
    ev.TICKET_RATED: QueueEngine._on_rated,
    ev.COUNTER_PAUSED: QueueEngine._on_paused,
    ev.COUNTER_RESUMED: QueueEngine._on_resumed,
    ev.EQUIPMENT_CHANGED: QueueEngine._on_equipment,
    ev.NOTICE_POSTED: QueueEngine._on_notice_posted,
    ev.NOTICE_CLEARED: QueueEngine._on_notice_cleared,
    ev.DEVICE_STATUS: QueueEngine._on_device_status,
    ev.VIP_CARD_ENROLLED: QueueEngine._on_vip_enrolled,
    ev.VIP_CARD_REMOVED: QueueEngine._on_vip_removed,
    ev.SECOND_SERVICE_TAKEN: QueueEngine._on_second_taken,
    ev.SECOND_SERVICE_ENDED: QueueEngine._on_second_ended,
    ev.HELP_REQUESTED: QueueEngine._on_help_requested,
    ev.HELP_ACKNOWLEDGED: QueueEngine._on_help_acknowledged,
    ev.HELP_CLOSED: QueueEngine._on_help_closed,
    ev.TEST_SLIP_REQUESTED: QueueEngine._on_test_slip_requested,
}

