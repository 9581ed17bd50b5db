"""Counter actions: what a teller's call button and console do."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response

from branchq.host.api import views
from branchq.host.api.deps import CounterActor, Observer, ServiceDep, Supervisor
from branchq.host.api.events import PUBLIC_SCREENS
from branchq.host.api.schemas import (
    CallTicketRequest,
    CounterActionResult,
    CounterPublic,
    RatingRequest,
    SecondServiceRequest,
    TransferRequest,
)
from branchq.host.auth import Principal
from branchq.host.engine import Event, NotFound, QueueEngine
from branchq.host.engine.events import TICKET_CALLED
from branchq.host.service import BranchService, Command

router = APIRouter(prefix="/api/v1/counters", tags=["counters"])

CounterNo = Annotated[int, Path(ge=1, le=999)]


@router.get("")
async def list_counters(service: ServiceDep, principal: Observer) -> list[CounterPublic]:
    """Every counter and whom it serves; screens in public view get no ticket ids (each one is
    the key to a customer's status page)."""
    counters = await service.read_async(
        lambda engine: [views.counter_public(engine, c) for c in engine.counters.values()]
    )
    if principal.role in PUBLIC_SCREENS:
        for c in counters:
            if c.serving is not None:
                c.serving.ticket_id = None
    return counters


async def _act(
    service: BranchService, principal: Principal, n: int, command: Command
) -> tuple[list[Event], CounterActionResult]:
    if n not in {c.number for c in service.config.counters}:
        raise NotFound(f"no counter {n}")
    if not principal.may_act_for(n):
        raise HTTPException(403, f"this credential may not act for counter {n}")
    events = await service.execute(command)
    ticket_ids = [e.ticket_id for e in events if e.ticket_id]

    def view(engine: QueueEngine) -> CounterActionResult:
        ticket = engine.tickets.get(ticket_ids[-1]) if ticket_ids else None
        return CounterActionResult(
            counter=views.counter_public(engine, engine.counters[n]),
            ticket=views.ticket_public(engine, ticket, service.clock()) if ticket else None,
        )

    return events, await service.read_async(view)


@router.post("/{n}/call-next", responses={204: {"description": "nobody is waiting"}})
async def call_next(n: CounterNo, service: ServiceDep, principal: CounterActor) -> object:
    """Finish the current customer (if any) and call the next one; 204 when nobody waits."""
    events, result = await _act(
        service, principal, n, lambda e, now: e.call_next(n, now, principal.actor)
    )
    if not any(e.kind == TICKET_CALLED for e in events):
        return Response(status_code=204)
    return result


@router.post("/{n}/call")
async def call_ticket(
    n: CounterNo, body: CallTicketRequest, service: ServiceDep, principal: CounterActor
) -> CounterActionResult:
    """Call one waiting ticket by id (a customer who came back to the counter)."""
    return (await _act(service, principal, n,
                       lambda e, now: e.call_ticket(n, body.ticket_id, now, principal.actor)))[1]


@router.post("/{n}/transfer")
async def transfer(
    n: CounterNo, body: TransferRequest, service: ServiceDep, principal: CounterActor
) -> CounterActionResult:
    """Send the current customer to another service: same number, front of that queue."""
    return (await _act(service, principal, n,
                       lambda e, now: e.transfer(n, body.service, now, principal.actor)))[1]


@router.post("/{n}/rating")
async def rating(
    n: CounterNo, body: RatingRequest, service: ServiceDep, principal: CounterActor
) -> CounterActionResult:
    """The customer's satisfaction key (keypad or console), for the ticket just served."""
    return (await _act(service, principal, n,
                       lambda e, now: e.rate(n, body.score, now, principal.actor)))[1]


@router.post("/{n}/second-service")
async def take_second_service(
    n: CounterNo, body: SecondServiceRequest, service: ServiceDep, principal: Supervisor
) -> CounterActionResult:
    """The lobby manager lets an idle counter also serve another queue for ``minutes`` (窗口调整).
    It calls that queue after its own and gives it back by itself when the time is up; 409 when
    the counter is not idle, paused, already serves it or already has a second service."""

    def command(engine: QueueEngine, now: datetime) -> list[Event]:
        until = now + timedelta(minutes=body.minutes)
        return engine.take_second_service(n, body.service, until, now, principal.actor)

    return (await _act(service, principal, n, command))[1]


@router.delete("/{n}/second-service")
async def end_second_service(n: CounterNo, service: ServiceDep, principal: Supervisor
                             ) -> CounterActionResult:
    """Undo a second service before its time is up (409 when the counter has none)."""
    return (await _act(service, principal, n,
                       lambda e, now: e.end_second_service(n, now, principal.actor)))[1]


def _simple_action(path: str, method: str, doc: str) -> None:
    """Register ``POST /{n}/<path>``: an engine counter command that takes no request body."""

    async def action(n: CounterNo, service: ServiceDep, principal: CounterActor
                     ) -> CounterActionResult:
        return (await _act(service, principal, n,
                           lambda e, now: getattr(e, method)(n, now, principal.actor)))[1]

    action.__name__ = action.__qualname__ = method  # the OpenAPI operation id
    action.__doc__ = doc
    router.post(f"/{{n}}/{path}")(action)


for _path, _method, _doc in (
    ("recall", "recall", "Call the current customer again (counted)."),
    ("no-show", "no_show", "The called customer did not come: reinstatable within the grace period."),
    ("done", "done", "The current customer is served."),
    ("pause", "pause", "Stop calling at this counter."),
    ("resume", "resume", "Call at this counter again."),
):
    _simple_action(_path, _method, _doc)
