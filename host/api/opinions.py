"""The customer opinion book: managers record entries and replies; overdue replies are flagged.

Phone numbers are personal data: only managers and admins reach these endpoints, nothing here
logs a request body, and no event carries an opinion.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from branchq.host.api.dates import MONTH_PATTERN, parse_month
from branchq.host.api.deps import ServiceDep, Supervisor
from branchq.host.api.schemas import Phone
from branchq.host.engine import NotFound
from branchq.host.storage.opinions import Opinion, OpinionBook

router = APIRouter(prefix="/api/v1/opinions", tags=["opinions"])

# Stored in plain text columns: no control characters but line breaks and tabs (PostgreSQL
# refuses NUL in text outright).
Text = Annotated[str, Field(min_length=1, max_length=2000,
                            pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]


class OpinionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text
    phone: Phone | None = None


class ReplyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reply: Text


class OpinionPublic(BaseModel):
    id: int
    business_day: date
    created_at: datetime
    text: str
    phone: str | None
    reply: str | None
    replied_at: datetime | None
    reply_due: date | None  # the same business day, when a phone was left
    overdue: bool


class OpinionSummaryPublic(BaseModel):
    month: str
    entries: int
    with_phone: int
    replied_same_day: int
    replied_late: int
    overdue: int


def _book(service: ServiceDep) -> OpinionBook:
    return OpinionBook(service.store, service.config.branch.tz)


def _public(o: Opinion, today: date) -> OpinionPublic:
    return OpinionPublic(
        id=o.id, business_day=o.business_day, created_at=o.created_at, text=o.text, phone=o.phone,
        reply=o.reply, replied_at=o.replied_at,
        reply_due=o.business_day if o.needs_reply() else None, overdue=o.overdue(today),
    )


def _month(text: str | None, today: date) -> tuple[date, date]:
    first = today.replace(day=1) if text is None else parse_month(text)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


MonthQuery = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM (2000-2999)")]


@router.post("", status_code=201)
async def add_opinion(body: OpinionCreate, service: ServiceDep, principal: Supervisor
                      ) -> OpinionPublic:
    now = service.clock()
    book = _book(service)
    entry = await run_in_threadpool(book.add, body.text, body.phone, now, principal.actor)
    return _public(entry, now.astimezone(book.tz).date())


@router.get("")
async def list_opinions(service: ServiceDep, _: Supervisor, month: MonthQuery = None,
                        overdue: Annotated[bool, Query(description="only overdue")] = False
                        ) -> list[OpinionPublic]:
    """Entries of a month (default: this one), oldest first."""
    book = _book(service)
    today = service.clock().astimezone(book.tz).date()
    entries = await run_in_threadpool(book.between, *_month(month, today))
    return [_public(o, today) for o in entries if not overdue or o.overdue(today)]


@router.get("/summary")
async def summary(service: ServiceDep, _: Supervisor, month: MonthQuery = None
                  ) -> OpinionSummaryPublic:
    book = _book(service)
    today = service.clock().astimezone(book.tz).date()
    first, last = _month(month, today)
    entries = await run_in_threadpool(book.between, first, last)
    return OpinionSummaryPublic(month=first.strftime("%Y-%m"),
                                **book.summary(entries, today).__dict__)


OpinionId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # the column is a 32-bit integer


@router.post("/{opinion_id}/reply")
async def reply(opinion_id: OpinionId, body: ReplyCreate, service: ServiceDep,
                principal: Supervisor) -> OpinionPublic:
    book = _book(service)
    now = service.clock()
    entry = await run_in_threadpool(book.reply, opinion_id, body.reply, now, principal.actor)
    if entry is None:
        raise NotFound(f"no opinion {opinion_id}")
    return _public(entry, now.astimezone(book.tz).date())
