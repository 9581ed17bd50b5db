"""Request and response models of the v1 API (``...Create`` in, ``...Public`` out)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from branchq.host.engine import Priority
from branchq.host.engine.model import DeviceStatus

ServiceKey = Annotated[str, Field(min_length=1, max_length=32, examples=["cash"])]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


CardDigest = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$",
                                  description="HMAC-SHA256 of the card number with the branch key")]
ClientRef = Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _plausible(at: datetime) -> datetime:
    """A time any clock of the branch could show: far from the ends of the calendar, so that
    moving it into another time zone can never overflow (the engine checks the business day)."""
    if not _EARLIEST <= at < _LATEST:
        raise ValueError(f"must be between {_EARLIEST.year} and {_LATEST.year}")
    return at


# An ISO 8601 time with its UTC offset ("2026-11-13T09:30:00+08:00"); one without is refused.
IssueTime = Annotated[AwareDatetime, AfterValidator(_plausible)]


class TicketCreate(_In):
    service: ServiceKey
    priority: Priority = Priority.NORMAL
    lang: Literal["zh", "en"] = "zh"
    # Idempotency key chosen by the kiosk per tap: a retried request returns the same ticket.
    client_ref: ClientRef | None = None
    # The kiosk prints first and confirms with POST .../printed; until then it is not called.
    await_print: bool = False
    # A kiosk asks for a VIP ticket only with a recognised VIP card.
    vip_card: CardDigest | None = None


class VipCard(_In):
    digest: CardDigest


class VipCheck(BaseModel):
    vip: bool


class VoidRequest(_In):
    reason: Annotated[str, Field(min_length=1, max_length=100)]


class LeaseCreate(_In):
    kiosk: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_.-]+$")]
    service: ServiceKey
    count: Annotated[int, Field(ge=1, le=500)]


class LeasePublic(BaseModel):
    kiosk: str
    service: str
    prefix: str
    first: int
    last: int
    day: str


class OfflineTicketCreate(_In):
    kiosk: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_.-]+$")]
    service: ServiceKey
    number: Annotated[int, Field(ge=1, le=99_999)]
    priority: Priority = Priority.NORMAL
    issued_at: IssueTime
    client_ref: ClientRef
    # A cached appointment the kiosk checked in while offline: the ticket becomes that
    # appointment's (once; docs/web.md, "Appointments and remote tickets").
    appointment_id: Annotated[str | None, Field(pattern=r"^[A-Za-z0-9_-]{8,40}$")] = None


class ServicePublic(BaseModel):
    key: str
    kind: Literal["counter", "self_service"]
    prefix: str
    name_zh: str
    name_en: str
    guidance_zh: str = ""
    guidance_en: str = ""


class BranchPublic(BaseModel):
    """What a kiosk needs to draw its home screen: no queue state, no personal data."""

    id: str
    name_zh: str
    name_en: str
    timezone: str
    open_now: bool
    hours: str
    services: list[ServicePublic]


class WaitPublic(BaseModel):
    """People ahead, the estimate and their wording, made only by
    :func:`branchq.host.insight.wait_text.describe_wait`: every surface shows these very strings."""

    ahead: int
    estimate_s: int | None
    text_zh: str
    text_en: str
    # The estimate's 80% range (seconds), which the texts word (docs/insight.md, "Ranges").
    low_s: int | None = None
    high_s: int | None = None


class TicketPublic(BaseModel):
    """A ticket as the customer may see it: no personal data, ever."""

    id: str
    route: Literal["counter"] = "counter"
    number: str
    service: str
    service_name_zh: str
    service_name_en: str
    priority: Priority
    status: str
    people_ahead: int
    estimated_wait_s: int | None
    wait: WaitPublic
    issued_at: datetime
    called_at: datetime | None = None
    counter: int | None = None
    recalls: int = 0
    rating: int | None = None
    status_url: str
    # The status page nudges its customer once this few people are ahead ([nudge] ahead).
    notify_ahead: int


class GuidancePublic(BaseModel):
    """A self-service choice while ATMs work: no counter number, a guidance text instead."""

    route: Literal["self_service"] = "self_service"
    service: str
    guidance: str
    guidance_zh: str
    guidance_en: str


class TransferRequest(_In):
    service: ServiceKey


class SecondServiceRequest(_In):
    """An idle counter takes a second service for a while (窗口调整)."""

    service: ServiceKey
    minutes: Annotated[int, Field(ge=15, le=240, description="how long; it ends by itself")] = 60


class SecondServicePublic(BaseModel):
    service: str
    until: datetime


class RatingRequest(_In):
    score: Annotated[int, Field(ge=1, le=3, description="1 unsatisfied, 2 neutral, 3 satisfied")]


class CallTicketRequest(_In):
    ticket_id: Annotated[str, Field(min_length=1, max_length=40)]


class ServingPublic(BaseModel):
    ticket_id: str | None
    number: str
    service: str
    priority: Priority
    called_at: datetime | None
    recalls: int


class CounterPublic(BaseModel):
    number: int
    name_zh: str
    name_en: str
    services: list[str]
    vip: bool
    paused: bool
    serving: ServingPublic | None
    second_service: SecondServicePublic | None = None  # taken on for a while, in ``services``


class CounterActionResult(BaseModel):
    counter: CounterPublic
    ticket: TicketPublic | None


class QueuePublic(BaseModel):
    service: str
    kind: Literal["counter", "self_service"]
    prefix: str
    name_zh: str
    name_en: str
    waiting: int
    longest_wait_s: int
    estimated_wait_s: int | None
    wait: WaitPublic  # what a ticket taken now would be told
    open_counters: float


class EquipmentUpdate(_In):
    status: Literal["in_service", "out_of_service"]
    note: Annotated[str, Field(max_length=200)] = ""


class EquipmentPublic(BaseModel):
    id: str
    kind: str
    name_zh: str
    name_en: str
    status: Literal["in_service", "out_of_service"]
    note: str
    changed_at: datetime | None


class ErrorBody(BaseModel):
    error: str
    detail: object


class NoticeCreate(_In):
    text_zh: Annotated[str, Field(min_length=1, max_length=200)]
    text_en: Annotated[str, Field(min_length=1, max_length=200)]


class NoticePublic(BaseModel):
    id: str
    text_zh: str
    text_en: str
    posted_at: datetime


class DeviceReport(_In):
    device: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_.-]+$")]
    status: DeviceStatus
    detail: Annotated[str, Field(max_length=200)] = ""


class HeartbeatCreate(_In):
    """What a kiosk reports every few seconds: its devices and the offline numbers it holds."""

    kiosk: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_.-]+$")]
    devices: Annotated[list[DeviceReport], Field(max_length=32)] = []
    offline_numbers_left: dict[str, Annotated[int, Field(ge=0, le=100_000)]] = {}


class DevicePublic(BaseModel):
    kiosk: str
    device: str
    status: DeviceStatus
    detail: str
    changed_at: datetime
    last_heartbeat: datetime | None
    stale: bool  # no heartbeat from its kiosk for a while: the state shown may be out of date


# ---------------------------------------------------------------- appointments, remote tickets
# docs/web.md, "Appointments and remote tickets".

IdempotencyKey = Annotated[str, Field(
    min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$", examples=["app-7f3c9a21-0001"],
    description="chosen by the caller per booking; the same key again gets the same answer")]
# Six digits, as typed on the kiosk's keypad; a scanned QR code ("BQA:" + code) is taken too.
CheckInCode = Annotated[str, Field(pattern=r"^(BQA:)?[0-9]{6}$", examples=["042917"])]


class AppointmentCreate(_In):
    service: ServiceKey
    slot_start: Annotated[IssueTime, Field(examples=["2026-12-09T10:15:00+08:00"],
                                           description="a slot's start, with its UTC offset")]
    idempotency_key: IdempotencyKey


class AppointmentPublic(BaseModel):
    """A booked visit. ``code`` and ``qr`` go to the booking client only (null in the lobby's
    list): the customer shows or types them at the kiosk."""

    id: str
    code: str | None = Field(None, examples=["042917"])
    qr: str | None = Field(None, examples=["BQA:042917"])
    service: str
    slot_start: datetime
    slot_end: datetime
    status: Literal["booked", "cancelled", "checked_in"]
    arrival: Literal["early", "on_time", "late_walk_in"] | None = None
    checked_in_at: datetime | None = None
    # Booked, and its check-in grace ([appointments] grace_late_s after the slot began) is over.
    missed: bool = False


class SlotPublic(BaseModel):
    start: datetime
    end: datetime
    capacity: int
    free: int
    bookable: bool  # not over yet and not full


class SlotsPublic(BaseModel):
    service: str
    day: str
    slot_minutes: int
    open: bool  # the branch opens that day (not a holiday or a closed weekday)
    slots: list[SlotPublic]


class CheckInCreate(_In):
    code: CheckInCode
    client_ref: ClientRef | None = None
    await_print: bool = False


class AppointmentArrival(BaseModel):
    id: str
    slot_start: datetime
    arrival: Literal["early", "on_time", "late_walk_in"]


class CheckInPublic(TicketPublic):
    """The appointment's ticket, and how the customer arrived; a late one has a walk-in ticket
    and the message saying so."""

    appointment: AppointmentArrival
    message_zh: str | None = None
    message_en: str | None = None


class CachedAppointment(BaseModel):
    id: str
    code_digest: str  # HMAC-SHA256(key=salt, message=code), hex
    service: str
    slot_start: datetime
    slot_end: datetime


class KioskCachePublic(BaseModel):
    """Today's appointments still to check in, for a kiosk that may lose the host: codes only
    as digests (docs/security.md, "Appointments")."""

    key_id: str
    salt: str
    day: str
    appointments: list[CachedAppointment]
    # The branch's [appointments] rules, so an offline check-in judges arrival as the host would.
    early_window_s: int
    grace_late_s: int


# A phone number: personal data, manager-only, erased at day close (docs/security.md).
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 -]{4,18}[0-9]$", examples=["138 0013 8000"])]


class RemoteTicketCreate(_In):
    service: ServiceKey
    idempotency_key: IdempotencyKey
    # Filed before the ticket is issued, so a near-turn message sent at once (few people
    # ahead) already carries it; ``PUT /api/v1/tickets/{id}/contact`` files one later.
    phone: Phone | None = None


class RemoteTicketPublic(TicketPublic):
    """A remote ticket: in line from now, called once ``confirmed`` (the customer types
    ``code`` at the kiosk, or answers the call)."""

    code: str = Field(examples=["318204"])
    confirmed: bool


class ArrivalConfirm(_In):
    code: Annotated[str, Field(pattern=r"^[0-9]{6}$", examples=["318204"])]
