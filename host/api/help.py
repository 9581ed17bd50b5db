"""Calls for help from the kiosks (需要帮助): the kiosk sends them, the lobby manager answers.

A kiosk sends ``POST /api/v1/help`` when a customer presses "需要帮助 / I need help"; the press
is kept in the kiosk's journal until the host took it, so a press made while the host was down
arrives later with its own time, and its ``client_ref`` makes a re-sent press the same alert.
The lobby dashboard and the manager's phone page (``/lobby/help``) list the open alerts, follow
them on the event stream (``help_requested``, ``help_acknowledged``, ``help_closed``) and
acknowledge ("on my way": the kiosk then says "工作人员马上到 / Staff are on their way") and close
them (docs/web.md, "Call for help").
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Response, status
from pydantic import AwareDatetime, BaseModel, Field

from branchq.host.api.deps import KioskDep, ServiceDep, Supervisor
from branchq.host.api.schemas import ClientRef, _In
from branchq.host.engine import Event, QueueEngine
from branchq.host.engine.model import HelpAlert
from branchq.host.service import BranchService

router = APIRouter(prefix="/api/v1/help", tags=["help"])

#: A kiosk's clock may run a little ahead of the host's; further ahead is a wrong clock.
CLOCK_AHEAD = timedelta(seconds=60)
#: A queued press older than this is not worth a manager's run to the door any more.
OLDEST = timedelta(hours=12)

AlertId = Annotated[str, Path(min_length=1, max_length=16, pattern=r"^[0-9a-f]+$")]


class HelpCreate(_In):
    kiosk: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_.-]+$")]
    screen: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$",
                                 description="the kiosk screen the customer was on")]
    requested_at: AwareDatetime
    client_ref: ClientRef


class HelpPublic(BaseModel):
    id: str
    kiosk: str
    screen: str
    requested_at: datetime
    received_at: datetime
    state: Literal["open", "acknowledged", "closed"]
    acknowledged_at: datetime | None
    acknowledged_by: str
    closed_at: datetime | None


def public(alert: HelpAlert) -> HelpPublic:
    state: Literal["open", "acknowledged", "closed"] = (
        "closed" if alert.closed_at else "acknowledged" if alert.acknowledged_at else "open")
    return HelpPublic(id=alert.id, kiosk=alert.kiosk, screen=alert.screen,
                      requested_at=alert.requested_at, received_at=alert.received_at, state=state,
                      acknowledged_at=alert.acknowledged_at, acknowledged_by=alert.acknowledged_by,
                      closed_at=alert.closed_at)


@router.post("", status_code=status.HTTP_201_CREATED)
async def request_help(body: HelpCreate, service: ServiceDep, principal: KioskDep,
                       response: Response) -> HelpPublic:
    """A press at a kiosk. 201 with a new alert; 200 with the alert it already is (the same
    ``client_ref`` again, or the kiosk's alert still open: repeated presses do not spam)."""
    now = service.clock()
    if body.requested_at > now + CLOCK_AHEAD:
        raise HTTPException(422, "requested_at is in the future: check the kiosk's clock")
    if body.requested_at < now - OLDEST:
        raise HTTPException(422, "requested_at is more than 12 hours ago")
    alert_id = secrets.token_hex(6)
    events = await service.execute(lambda engine, at: engine.request_help(
        alert_id, body.kiosk, body.screen, body.requested_at, body.client_ref, at,
        principal.actor))
    if not events:
        response.status_code = status.HTTP_200_OK
    alert = await service.read_async(lambda engine: engine.help_for(body.client_ref, body.kiosk))
    if alert is None:  # closed between the two steps: the press is answered all the same
        raise HTTPException(409, "this call for help was closed meanwhile")
    return public(alert)


@router.get("")
async def open_alerts(service: ServiceDep, _: Supervisor) -> list[HelpPublic]:
    """The calls for help not yet closed, oldest first."""
    def view(engine: QueueEngine) -> list[HelpPublic]:
        alerts = [a for a in engine.help.values() if a.closed_at is None]
        return [public(a) for a in sorted(alerts, key=lambda a: a.requested_at)]

    return await service.read_async(view)


async def _answer(service: BranchService, alert_id: str,
                  command: Callable[[QueueEngine, datetime], list[Event]]) -> HelpPublic:
    await service.execute(command)
    return await service.read_async(lambda engine: public(engine.help[alert_id]))


@router.post("/{alert_id}/ack")
async def acknowledge(alert_id: AlertId, service: ServiceDep, principal: Supervisor) -> HelpPublic:
    """"On my way": the kiosk shows "工作人员马上到 / Staff are on their way"."""
    return await _answer(service, alert_id, lambda engine, at: engine.acknowledge_help(
        alert_id, at, principal.actor))


@router.post("/{alert_id}/close")
async def close(alert_id: AlertId, service: ServiceDep, principal: Supervisor) -> HelpPublic:
    """The customer has been helped: the alert leaves the lists and the kiosk."""
    return await _answer(service, alert_id, lambda engine, at: engine.close_help(
        alert_id, at, principal.actor))
