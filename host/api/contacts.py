"""A phone number on file for a ticket, for the SMS or WeChat gateway's webhooks only.

Personal data (docs/security.md §7): stored apart from the event log, put only in webhook
payloads, never logged, never shown on a public page, erased when the ticket's business day
ends. Nothing here logs a request body; a refused number is not echoed back.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict

from branchq.host.api.deps import Booker, ServiceDep
from branchq.host.api.schemas import Phone
from branchq.host.api.tickets import TicketId, owned_ref
from branchq.host.auth import Principal, Role
from branchq.host.engine import InvalidState, NotFound, Ticket, TicketStatus

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])

_FINISHED = (TicketStatus.DONE, TicketStatus.VOIDED, TicketStatus.EXPIRED)


class ContactSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: Phone


class ContactPublic(BaseModel):
    ticket_id: str
    number: str
    phone: str
    erased_after: date  # the business day at whose end the number is erased


async def _today(service: ServiceDep, principal: Principal, ticket_id: str) -> Ticket:
    """Today's ticket, when ``principal`` may file a number for it: the bank's app backend
    (booking) only for the remote tickets it took itself (another's is as unknown to it as a
    ticket that does not exist), the lobby manager for any."""
    ticket = await service.read_async(lambda engine: engine.tickets.get(ticket_id))
    if ticket is None or (principal.role is Role.BOOKING and not (
            ticket.client_ref or "").startswith(owned_ref(principal, ""))):
        raise NotFound("no such ticket today")
    return ticket


@router.put("/{ticket_id}/contact", responses={404: {"description": "no such ticket today"},
                                                 409: {"description": "the ticket is finished"}})
async def put_contact(ticket_id: TicketId, body: ContactSet, service: ServiceDep,
                      principal: Booker) -> ContactPublic:
    """File the customer's phone number for this ticket (replacing one filed before): the
    webhooks' payloads carry it (docs/web.md, "Webhooks"). Erased at the end of the day."""
    ticket = await _today(service, principal, ticket_id)
    if ticket.status in _FINISHED:
        raise InvalidState(f"ticket {ticket.label} is {ticket.status.value}")
    await run_in_threadpool(service.webhooks.contacts.put, ticket_id, ticket.business_day,
                            body.phone, service.clock(), principal.actor)
    return ContactPublic(ticket_id=ticket_id, number=ticket.label, phone=body.phone,
                         erased_after=ticket.business_day)


@router.delete("/{ticket_id}/contact", status_code=204,
               responses={404: {"description": "no phone number on file"}})
async def delete_contact(ticket_id: TicketId, service: ServiceDep,
                         principal: Booker) -> Response:
    """Erase the ticket's phone number now (the customer asked, or it was wrong)."""
    if principal.role is Role.BOOKING:
        await _today(service, principal, ticket_id)
    if not await run_in_threadpool(service.webhooks.contacts.remove, ticket_id):
        raise NotFound("no phone number on file for this ticket")
    return Response(status_code=204)

