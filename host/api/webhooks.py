"""Outbound webhooks' dead letters: the lobby dashboard lists them and puts one back.

docs/web.md, "Webhooks". A dead letter shows its ticket number, never a phone number.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from branchq.host.api.deps import ServiceDep, Supervisor
from branchq.host.engine import InvalidState, NotFound
from branchq.host.storage.outbox import Delivery

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

DeliveryId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="X-Branchq-Delivery")]


class DeadLetterPublic(BaseModel):
    """A delivery given up on: its receiver refused it, or never took it in every attempt."""

    id: str
    webhook: str
    type: str
    event_id: str
    number: str
    attempts: int
    last_error: str | None
    created_at: datetime


def _public(d: Delivery) -> DeadLetterPublic:
    return DeadLetterPublic(
        id=d.id, webhook=d.webhook, type=d.event_type, event_id=str(d.payload.get("event_id")),
        number=str(d.payload.get("ticket", {}).get("number", "")), attempts=d.attempts,
        last_error=d.last_error, created_at=d.created_at)


@router.get("/dead-letters")
async def dead_letters(service: ServiceDep, _: Supervisor) -> list[DeadLetterPublic]:
    """Deliveries given up on, newest first (at most 200)."""
    found = await run_in_threadpool(service.webhooks.outbox.dead_letters)
    return [_public(d) for d in found]


@router.post("/deliveries/{delivery_id}/retry")
async def retry(delivery_id: DeliveryId, service: ServiceDep, _: Supervisor) -> DeadLetterPublic:
    """Put a dead letter back in the outbox with a fresh set of attempts, under its own
    delivery id (a receiver that did take it after all dedupes it)."""
    outbox = service.webhooks.outbox
    found = await run_in_threadpool(outbox.get, delivery_id)
    if found is None:
        raise NotFound("no such delivery")
    if not await run_in_threadpool(outbox.retry, delivery_id, service.clock()):
        raise InvalidState(f"delivery {delivery_id} is {found.status}, not a dead letter")
    service.webhooks.wake(found.webhook)
    again = await run_in_threadpool(outbox.get, delivery_id)
    return _public(again or found)
