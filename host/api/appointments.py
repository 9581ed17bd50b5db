"""Appointments and remote tickets: the bank's app books visits and takes numbers (role
``booking``), the kiosk checks customers in by code, the lobby manager sees the day.

The rules are the engine's (host/engine/appointments.py); the contract is docs/web.md,
"Appointments and remote tickets". Check-in and confirmation codes are six digits, so wrong
guesses are limited per credential (:class:`WrongCodes`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections import deque
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Annotated
from weakref import WeakKeyDictionary

from fastapi import APIRouter, HTTPException, Path, Query, Response
from fastapi.concurrency import run_in_threadpool

from branchq.host.api import views
from branchq.host.api.deps import Booker, Issuer, KioskDep, RemoteIssuer, ServiceDep
from branchq.host.api.schemas import (
    AppointmentArrival,
    AppointmentCreate,
    AppointmentPublic,
    ArrivalConfirm,
    CachedAppointment,
    CheckInCreate,
    CheckInPublic,
    KioskCachePublic,
    RemoteTicketCreate,
    RemoteTicketPublic,
    SlotPublic,
    SlotsPublic,
    TicketPublic,
)
from branchq.host.api.tickets import owned_ref
from branchq.host.auth import Principal, Role
from branchq.host.engine import EngineError, Event, NotFound, QueueEngine
from branchq.host.engine.appointments import WRONG_CODE, Appointment, WrongCode
from branchq.host.service import BranchService, CommandFailed
from branchq.host.storage import StorageError
from branchq.host.ticket_ids import new_ticket_id

log = logging.getLogger("branchq.appointments")

router = APIRouter(prefix="/api/v1", tags=["appointments and remote tickets"])

AppointmentId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{8,40}$")]
DayQuery = Annotated[date, Query(description="a day in branch time, e.g. 2026-12-09")]

WRONG_CODES_ALLOWED = 5
WRONG_CODE_WINDOW = timedelta(minutes=5)
EXPIRY_CHECK_S = 2.0  # how late at most an unconfirmed remote ticket becomes a no-show
EXPIRY_ACTOR = "host:timer"

TOO_MANY_MESSAGE = ("输入错误次数较多，请稍候再试，或请大堂经理帮忙 / Too many codes did not match. "
                    "Please wait a few minutes or ask the lobby manager for help")
ARRIVAL_MESSAGES = {
    "early": ("您来早了，预约时间 {slot} 到时将优先叫号 / You are early: you will be called at "
              "{slot}, ahead of walk-in customers"),
    "on_time": ("欢迎，您的预约 {slot} 将优先叫号 / Welcome: your {slot} appointment is called "
                "ahead of walk-in customers"),
    "late_walk_in": "您已迟到，已为您改为普通排队 / You are late; you have been given a walk-in ticket",
}


class WrongCodes:
    """Wrong check-in or confirmation codes per credential (kiosk) in a sliding window: after
    ``WRONG_CODES_ALLOWED`` of them, every code is refused until the oldest leaves the window.
    In memory: a restart forgets them, which costs a guesser a restart of the host."""

    def __init__(self) -> None:
        self._wrong: dict[int, deque[datetime]] = {}

    def retry_after(self, who: int, now: datetime) -> int | None:
        """Seconds until ``who`` may try again (None: now)."""
        seen = self._wrong.get(who)
        if seen is None:
            return None
        while seen and now - seen[0] >= WRONG_CODE_WINDOW:
            seen.popleft()
        if len(seen) < WRONG_CODES_ALLOWED:
            return None
        return max(1, int((seen[0] + WRONG_CODE_WINDOW - now).total_seconds() + 0.999))

    def wrong(self, who: int, now: datetime) -> None:
        if len(self._wrong) > 10_000:
            self._wrong.clear()
        self._wrong.setdefault(who, deque()).append(now)


_LIMITERS: WeakKeyDictionary[BranchService, WrongCodes] = WeakKeyDictionary()


def _limiter(service: BranchService) -> WrongCodes:
    found = _LIMITERS.get(service)
    if found is None:
        found = _LIMITERS[service] = WrongCodes()
    return found


async def _guarded(service: BranchService, principal: Principal,
                   command: Callable[[QueueEngine, datetime], list[Event]]) -> list[Event]:
    """Run a command that looks a code up, counting the wrong ones; 429 once too many were."""
    limiter = _limiter(service)
    wait = limiter.retry_after(principal.token_id, service.clock())
    if wait is not None:
        raise HTTPException(429, TOO_MANY_MESSAGE, {"Retry-After": str(wait)})
    try:
        return await service.execute(command)
    except WrongCode:
        limiter.wrong(principal.token_id, service.clock())
        raise


def _free_code(taken: Callable[[str], bool]) -> str:
    """A random six-digit code that ``taken`` says is free (a day has a few hundred codes of a
    million, so a draw or two)."""
    while True:
        code = f"{secrets.randbelow(1_000_000):06d}"
        if not taken(code):
            return code


def _code_in_use(engine: QueueEngine, day: date, code: str) -> bool:
    """Appointment and remote codes are kept apart from each other too, so that a code typed
    at the kiosk means one thing."""
    return (day, code) in engine.appointments.codes or (
        engine.day == day and code in engine.remote_codes)


def _public(found: Appointment, with_code: bool, service: BranchService) -> AppointmentPublic:
    grace = timedelta(seconds=service.config.appointments.grace_late_s)
    return AppointmentPublic(
        id=found.id, code=found.code if with_code else None,
        qr=f"BQA:{found.code}" if with_code else None, service=found.service,
        slot_start=found.slot_start, slot_end=found.slot_end, status=found.status,
        arrival=found.arrival, checked_in_at=found.checked_in_at,
        missed=found.status == "booked" and service.clock() > found.slot_start + grace)


def _own(principal: Principal, found: Appointment) -> bool:
    """A booking client sees and cancels only its own bookings (and sees their codes)."""
    return (found.client_ref or "").startswith(owned_ref(principal, ""))


def _visible(principal: Principal, found: Appointment) -> Appointment:
    if principal.role is Role.BOOKING and not _own(principal, found):
        raise NotFound("no such appointment (today or later)")
    return found


# ---------------------------------------------------------------- appointments
@router.get("/appointments/slots")
async def appointment_slots(service: ServiceDep, _: Booker,
                            service_key: Annotated[str, Query(alias="service", max_length=32)],
                            day: DayQuery) -> SlotsPublic:
    """The slots of a service on a day with their free places (none on a holiday or a closed
    weekday; past slots are listed, not bookable)."""
    now = service.clock()
    slots = await service.read_async(lambda e: e.appointment_slots(service_key, day, now))
    return SlotsPublic(
        service=service_key, day=day.isoformat(),
        slot_minutes=service.config.appointments.slot_minutes,
        open=service.config.branch.open_on(day),
        slots=[SlotPublic(start=s.start, end=s.end, capacity=s.capacity,
                          free=max(s.capacity - s.taken, 0), bookable=s.bookable) for s in slots])


@router.post("/appointments", status_code=201, responses={
    200: {"description": "the same idempotency key again: the booking made the first time"},
    409: {"description": "the slot is fully booked (`slot_full`)"},
    422: {"description": "no such slot: outside opening hours, a holiday, over, or too far ahead"},
})
async def book_appointment(body: AppointmentCreate, service: ServiceDep, principal: Booker,
                           response: Response) -> AppointmentPublic:
    """Book a visit. Double booking is impossible: the single writer checks the slot's capacity
    and stores the booking in one step, also across host processes (docs/architecture.md §7)."""
    appointment_id = new_ticket_id()
    ref = owned_ref(principal, body.idempotency_key)
    salt = secrets.token_hex(16)

    def book(engine: QueueEngine, now: datetime) -> list[Event]:
        day = body.slot_start.astimezone(engine.tz).date()
        code = _free_code(lambda c: _code_in_use(engine, day, c))
        return engine.book_appointment(
            appointment_id=appointment_id, service=body.service, slot_start=body.slot_start,
            code=code, salt=salt, client_ref=ref, at=now, actor=principal.actor)

    events = await service.execute(book)
    if not events:
        response.status_code = 200
        appointment_id = await service.read_async(lambda e: e.appointments.refs[ref])
    found = await service.read_async(lambda e: e.appointment(appointment_id))
    return _public(found, True, service)


@router.get("/appointments")
async def list_appointments(service: ServiceDep, principal: Booker,
                            day: DayQuery) -> list[AppointmentPublic]:
    """A day's appointments by slot: the lobby's day view (no codes), or a booking client's own
    bookings (with their codes). Days before today are in the reports."""
    found = await service.read_async(lambda e: e.appointments.on_day(day))
    if principal.role is Role.BOOKING:
        return [_public(a, True, service) for a in found if _own(principal, a)]
    return [_public(a, False, service) for a in found]


@router.get("/appointments/kiosk-cache")
async def kiosk_cache(service: ServiceDep, _: KioskDep) -> KioskCachePublic:
    """Today's appointments still to check in, for check-in while the host is unreachable:
    ``code_digest = HMAC-SHA256(key=salt, message=code)`` in hex (UTF-8 both); the kiosk
    computes it for a typed code and compares."""
    now = service.clock()

    def view(engine: QueueEngine) -> KioskCachePublic:
        today = now.astimezone(engine.tz).date()
        salt = engine.appointments.salts.get(today, "")
        live = [a for a in engine.appointments.on_day(today) if a.status == "booked"]
        rules = engine.config.appointments
        return KioskCachePublic(key_id=today.isoformat(), salt=salt, day=today.isoformat(),
                                early_window_s=rules.early_window_s, grace_late_s=rules.grace_late_s,
                                appointments=[CachedAppointment(
                                    id=a.id, code_digest=code_digest(salt, a.code),
                                    service=a.service, slot_start=a.slot_start,
                                    slot_end=a.slot_end) for a in live])

    return await service.read_async(view)


def code_digest(salt: str, code: str) -> str:
    return hmac.new(salt.encode(), code.encode(), hashlib.sha256).hexdigest()


@router.post("/appointments/check-in", status_code=201, responses={
    404: {"description": "no appointment today has this code (`wrong_code`)"},
    409: {"description": "already checked in, cancelled, or too early"},
    429: {"description": "too many wrong codes from this kiosk in 5 minutes (Retry-After)"},
})
async def check_in(body: CheckInCreate, service: ServiceDep, principal: Issuer) -> CheckInPublic:
    """Check today's appointment in by its code (typed, or the QR text ``BQA:`` + code): its
    ticket waits for the slot and is then called ahead of walk-ins; later than the grace it is
    an ordinary walk-in ticket (``arrival``, and the message to show)."""
    code = body.code.removeprefix("BQA:")
    ticket_id = new_ticket_id()
    client_ref = body.client_ref
    if client_ref is None and principal.role is Role.KIOSK:
        client_ref = secrets.token_urlsafe(12)  # the kiosk confirms or voids its print after
    ref = None if client_ref is None else owned_ref(principal, client_ref)
    await _guarded(service, principal, lambda engine, now: engine.check_in(
        code=code, ticket_id=ticket_id, at=now, actor=principal.actor, client_ref=ref,
        await_print=body.await_print, at_kiosk=principal.role is Role.KIOSK))
    now = service.clock()

    def view(engine: QueueEngine) -> CheckInPublic:
        found = engine.appointments.by_id[engine.appointments.codes[
            (now.astimezone(engine.tz).date(), code)]]
        ticket = engine.tickets[found.ticket_id or ticket_id]
        arrival = found.arrival or "on_time"
        slot = f"{found.slot_start.astimezone(engine.tz):%H:%M}"
        zh, _, en = ARRIVAL_MESSAGES[arrival].format(slot=slot).partition(" / ")
        return CheckInPublic(
            **views.ticket_public(engine, ticket, now).model_dump(),
            appointment=AppointmentArrival(id=found.id, slot_start=found.slot_start,
                                           arrival=arrival),
            message_zh=zh, message_en=en)

    return await service.read_async(view)


@router.get("/appointments/{appointment_id}", responses={404: {"description": "no such appointment"}})
async def get_appointment(appointment_id: AppointmentId, service: ServiceDep,
                          principal: Booker) -> AppointmentPublic:
    """One appointment, today or later (a booking client: its own, with the code)."""
    found = _visible(principal, await service.read_async(lambda e: e.appointment(appointment_id)))
    return _public(found, principal.role is Role.BOOKING, service)


@router.delete("/appointments/{appointment_id}", responses={
    404: {"description": "no such appointment"},
    409: {"description": "already checked in"}})
async def cancel_appointment(appointment_id: AppointmentId, service: ServiceDep,
                             principal: Booker) -> AppointmentPublic:
    """Cancel a booking, freeing its place (cancelling again answers the same)."""
    def cancel(engine: QueueEngine, now: datetime) -> list[Event]:
        _visible(principal, engine.appointment(appointment_id))
        return engine.cancel_appointment(appointment_id, now, principal.actor)

    await service.execute(cancel)
    found = await service.read_async(lambda e: e.appointment(appointment_id))
    return _public(found, principal.role is Role.BOOKING, service)


# ---------------------------------------------------------------- remote tickets
@router.post("/tickets/remote", status_code=201, responses={
    200: {"description": "the same idempotency key again: the ticket taken the first time"},
    409: {"description": "the service's remote tickets are all taken (`remote_cap_reached`), "
                         "or the branch is closed"},
})
async def remote_ticket(body: RemoteTicketCreate, service: ServiceDep, principal: RemoteIssuer,
                        response: Response) -> RemoteTicketPublic:
    """Take a number from the bank's app: it keeps its place in line from now and is called
    once the customer confirms arrival (``code`` at the kiosk); passed over unconfirmed, it
    becomes a no-show after ``[remote_tickets] confirm_grace_s``."""
    ticket_id = new_ticket_id()
    ref = owned_ref(principal, body.idempotency_key)
    if body.phone is not None:  # a retry files it under an id never issued: erased at day end
        filed_at = service.clock()
        await run_in_threadpool(service.webhooks.contacts.put, ticket_id,
                                filed_at.astimezone(service.config.branch.tz).date(),
                                body.phone, filed_at, principal.actor)

    def issue(engine: QueueEngine, now: datetime) -> list[Event]:
        today = now.astimezone(engine.tz).date()
        code = _free_code(lambda c: _code_in_use(engine, today, c))
        return engine.issue_remote(ticket_id=ticket_id, service=body.service, code=code,
                                   client_ref=ref, at=now, actor=principal.actor)

    events = await service.execute(issue)
    if not events:
        response.status_code = 200
    now = service.clock()

    def view(engine: QueueEngine) -> RemoteTicketPublic:
        ticket = engine.tickets.get(engine.client_refs.get(ref, ""))
        if ticket is None:
            raise NotFound("the earlier ticket for this key is no longer in today's queue")
        code = next(c for c, t in engine.remote_codes.items() if t == ticket.id)
        return RemoteTicketPublic(**views.ticket_public(engine, ticket, now).model_dump(),
                                  code=code, confirmed=ticket.confirmed)

    return await service.read_async(view)


@router.post("/tickets/confirm-arrival", responses={
    404: {"description": "no remote ticket today has this code (`wrong_code`)"},
    409: {"description": "the ticket missed its turn (a no-show: the lobby manager can put it "
                         "back) or is finished"},
    429: {"description": "too many wrong codes from this kiosk in 5 minutes (Retry-After)"},
})
async def confirm_arrival(body: ArrivalConfirm, service: ServiceDep,
                          principal: Issuer) -> TicketPublic:
    """The remote ticket's customer is here: the ticket joins the queue where it stood (at the
    front when its turn already came); the kiosk prints it."""
    await _guarded(service, principal,
                   lambda engine, now: engine.confirm_arrival(body.code, now, principal.actor))
    now = service.clock()

    def view(engine: QueueEngine) -> TicketPublic:
        ticket = engine.remote_ticket_by_code(body.code)
        if ticket is None:
            raise WrongCode(WRONG_CODE)
        return views.ticket_public(engine, ticket, now)

    return await service.read_async(view)


def _due(now: datetime) -> Callable[[QueueEngine], bool]:
    return lambda engine: engine.unconfirmed_due(now)


async def expire_unconfirmed_when_due(service: BranchService) -> None:
    """Runs as long as the host: makes each remote ticket passed over unconfirmed for longer
    than its grace a no-show. An engine command, so the log says when (the engine itself never
    looks at a clock)."""
    while True:
        await asyncio.sleep(EXPIRY_CHECK_S)
        try:
            # Memory, kept current by the commits' notifications: a timer every two seconds
            # is no reason for a database round trip (a region has hundreds of branches).
            if not service.read_local(_due(service.clock())):
                continue
            await service.execute(lambda engine, at: engine.expire_unconfirmed(at, EXPIRY_ACTOR))
        except (EngineError, StorageError, CommandFailed) as err:
            log.warning("unconfirmed remote tickets not expired yet (%s); trying again in %.0f s",
                        err, EXPIRY_CHECK_S)

