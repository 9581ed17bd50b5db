"""The kiosk's link to the host: the REST calls it makes, with the errors it must tell apart.

``HostUnreachable`` means "we do not know what the host did" (connection refused, timeout, 5xx):
the kiosk may go offline and must retry with the same client reference. ``HostRefused`` means the
host answered and said no (4xx): retrying will not help.

Answers come back as the small typed models below: only the fields the kiosk reads, checked when
they arrive. Fields the host adds later are ignored; an answer without a field the kiosk needs is
a :class:`HostUnreachable` ("we do not know what the host did"), never a KeyError in the middle of
a customer's tap.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("branchq.kiosk.host")


class HostError(Exception):
    """Base of the link's errors."""


class HostUnreachable(HostError):
    """No answer, or the host failed. ``maybe_applied`` is False only when the connection was
    never made, so the host certainly did not act on the request."""

    def __init__(self, message: str, maybe_applied: bool = True) -> None:
        super().__init__(message)
        self.maybe_applied = maybe_applied


class HostRefused(HostError):
    """The host answered with a 4xx; ``status`` and ``detail`` say why, ``retry_after`` (seconds,
    from a 429's Retry-After) when to ask again."""

    def __init__(self, status: int, detail: str, retry_after: float | None = None) -> None:
        super().__init__(f"host refused ({status}): {detail}")
        self.status = status
        self.detail = detail
        self.retry_after = retry_after


class HostAnswer(BaseModel):
    """Part of a host answer: extra fields ignored (the host may add some), frozen."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class WaitWords(HostAnswer):
    """The host's one wording of a wait; the screen and the paper show these words, no others."""

    text_zh: str
    text_en: str


class Service(HostAnswer):
    key: str
    kind: Literal["counter", "self_service"]
    prefix: str
    name_zh: str
    name_en: str
    guidance_zh: str = ""
    guidance_en: str = ""


class Branch(HostAnswer):
    """``GET /api/v1/branch``: what the home screen needs."""

    name_zh: str
    name_en: str
    timezone: str
    open_now: bool
    hours: str
    services: list[Service]


class Ticket(HostAnswer):
    """A counter ticket the host issued (``route: counter``)."""

    route: Literal["counter"]
    id: str
    number: str
    service: str
    service_name_zh: str
    service_name_en: str
    priority: str
    status_url: str
    wait: WaitWords


class SelfServiceRoute(HostAnswer):
    """A self-service choice while ATMs work: guidance instead of a number."""

    route: Literal["self_service"]
    guidance_zh: str
    guidance_en: str


class Queue(HostAnswer):
    service: str
    wait: WaitWords  # what a ticket taken now would be told


class Notice(HostAnswer):
    text_zh: str
    text_en: str


class Lease(HostAnswer):
    """Numbers ``first..last`` of a service for the kiosk to issue offline on ``day``."""

    day: str
    prefix: str
    first: int
    last: int


class Counter(HostAnswer):
    number: int
    paused: bool


class Arrival(HostAnswer):
    """The appointment a check-in was for, and how its customer arrived."""

    id: str
    slot_start: datetime
    arrival: Literal["early", "on_time", "late_walk_in"]


class CheckedIn(Ticket):
    """``POST /api/v1/appointments/check-in``: the appointment's ticket, and for a late arrival
    the host's words of what became of it."""

    appointment: Arrival
    message_zh: str | None = None
    message_en: str | None = None


class CachedAppointmentAnswer(HostAnswer):
    id: str
    service: str
    slot_start: datetime
    slot_end: datetime
    code_digest: str


class KioskCache(HostAnswer):
    """``GET /api/v1/appointments/kiosk-cache``: today's appointments still to check in, for an
    offline check-in; ``code_digest = HMAC-SHA256(key=salt, message=code)``. How early check-in
    opens and how late is on time are the host's defaults ([appointments] in host/config.py)
    when the host does not send its own."""

    key_id: str
    salt: str
    day: str
    appointments: list[CachedAppointmentAnswer]
    early_window_s: float = 3600
    grace_late_s: float = 600


class _VipCheck(HostAnswer):
    vip: bool


class HelpAnswer(HostAnswer):
    """``POST /api/v1/help``: the alert a press is, and where it stands."""

    id: str
    state: Literal["open", "acknowledged", "closed"]


Answer = TypeVar("Answer")

_BRANCH = TypeAdapter(Branch)
_QUEUES = TypeAdapter(list[Queue])
_NOTICES = TypeAdapter(list[Notice])
_ISSUED: TypeAdapter[Ticket | SelfServiceRoute] = TypeAdapter(
    Annotated[Ticket | SelfServiceRoute, Field(discriminator="route")])
_LEASE = TypeAdapter(Lease)
_VIP_CHECK = TypeAdapter(_VipCheck)
_COUNTERS = TypeAdapter(list[Counter])
_HELP = TypeAdapter(HelpAnswer)
_CHECKED_IN = TypeAdapter(CheckedIn)
_KIOSK_CACHE = TypeAdapter(KioskCache)
_TICKET = TypeAdapter(Ticket)


def _seconds(header: str | None) -> float | None:
    """A Retry-After of seconds (the host sends no HTTP dates)."""
    try:
        return float(header) if header is not None else None
    except ValueError:
        return None


class HostLink:
    def __init__(self, base_url: str, token: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        """The HTTP client, made for the first request: httpx (and the rich console it imports)
        loads after a restarted kiosk's first frame, not before it (docs/architecture.md §3)."""
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(
                base_url=self.base_url, timeout=self._timeout,
                headers={"Authorization": f"Bearer {self.token}"},
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def _call(self, method: str, path: str, json: Any = None) -> Any:
        import httpx

        try:
            response = await self._http().request(method, path, json=json)
        except httpx.ConnectError as err:
            raise HostUnreachable(f"{method} {path}: cannot connect: {err}", False) from err
        except httpx.HTTPError as err:
            raise HostUnreachable(f"{method} {path}: {type(err).__name__}: {err}") from err
        if response.status_code >= 500:
            raise HostUnreachable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            try:
                detail = str(response.json().get("detail", response.text))
            except ValueError:
                detail = response.text
            raise HostRefused(response.status_code, detail,
                              _seconds(response.headers.get("Retry-After")))
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as err:
            raise HostUnreachable(f"{method} {path}: the answer is not JSON: {err}") from err

    async def _ask(self, shape: TypeAdapter[Answer], method: str, path: str,
                   json: Any = None) -> Answer:
        """Call, then read the answer as ``shape``."""
        data = await self._call(method, path, json)
        try:
            return shape.validate_python(data)
        except ValidationError as err:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'answer'}: {e['msg']}"
                                 for e in err.errors())
            raise HostUnreachable(f"{method} {path}: unexpected answer ({problems})") from err

    async def branch(self) -> Branch:
        return await self._ask(_BRANCH, "GET", "/api/v1/branch")

    async def queues(self) -> list[Queue]:
        return await self._ask(_QUEUES, "GET", "/api/v1/queues")

    async def notices(self) -> list[Notice]:
        return await self._ask(_NOTICES, "GET", "/api/v1/notices")

    async def issue(self, service: str, priority: str, client_ref: str,
                    vip_card: str | None = None) -> Ticket | SelfServiceRoute:
        body: dict[str, Any] = {"service": service, "priority": priority,
                                "client_ref": client_ref, "await_print": True}
        if vip_card:
            body["vip_card"] = vip_card
        return await self._ask(_ISSUED, "POST", "/api/v1/tickets", body)

    async def printed(self, ticket_id: str) -> None:
        await self._call("POST", f"/api/v1/tickets/{ticket_id}/printed")

    async def void(self, ticket_id: str, reason: str) -> None:
        await self._call("POST", f"/api/v1/tickets/{ticket_id}/void", {"reason": reason[:100]})

    async def lease(self, kiosk: str, service: str, count: int) -> Lease:
        return await self._ask(_LEASE, "POST", "/api/v1/leases",
                               {"kiosk": kiosk, "service": service, "count": count})

    async def offline_ticket(self, kiosk: str, service: str, number: int, priority: str,
                             issued_at: str, client_ref: str,
                             appointment_id: str | None = None) -> None:
        """Report a ticket issued from a lease, perhaps to a cached appointment (the host answers
        with the ticket; the kiosk only needs to know it was taken)."""
        body: dict[str, Any] = {"kiosk": kiosk, "service": service, "number": number,
                                "priority": priority, "issued_at": issued_at,
                                "client_ref": client_ref}
        if appointment_id is not None:
            body["appointment_id"] = appointment_id
        await self._call("POST", "/api/v1/tickets/offline", body)

    async def check_in(self, code: str, client_ref: str) -> CheckedIn:
        return await self._ask(_CHECKED_IN, "POST", "/api/v1/appointments/check-in",
                               {"code": code, "client_ref": client_ref, "await_print": True})

    async def confirm_arrival(self, code: str) -> Ticket:
        return await self._ask(_TICKET, "POST", "/api/v1/tickets/confirm-arrival", {"code": code})

    async def kiosk_cache(self) -> KioskCache:
        return await self._ask(_KIOSK_CACHE, "GET", "/api/v1/appointments/kiosk-cache")

    async def heartbeat(self, kiosk: str, devices: list[dict[str, str]],
                        numbers_left: dict[str, int]) -> None:
        await self._call("POST", "/api/v1/devices/heartbeat", {
            "kiosk": kiosk, "devices": devices, "offline_numbers_left": numbers_left})

    async def request_help(self, kiosk: str, screen: str, requested_at: str,
                           client_ref: str) -> HelpAnswer:
        """A customer's call for help; the same ``client_ref`` again is the same alert."""
        return await self._ask(_HELP, "POST", "/api/v1/help", {
            "kiosk": kiosk, "screen": screen, "requested_at": requested_at,
            "client_ref": client_ref})

    async def is_vip_card(self, digest: str) -> bool:
        check = await self._ask(_VIP_CHECK, "POST", "/api/v1/vip-cards/check",
                                {"digest": digest})
        return check.vip

    async def counters(self) -> list[Counter]:
        return await self._ask(_COUNTERS, "GET", "/api/v1/counters")

    async def counter_action(self, counter: int, action: str, body: Any = None) -> None:
        """A teller's keypad action; the host's answer (the counter, the called ticket) reaches
        the signs through the event stream, not from here."""
        await self._call("POST", f"/api/v1/counters/{counter}/{action}", body)
