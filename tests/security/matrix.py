"""Who may call what: the role matrix the security tests hold the host to.

Counter actions are made for counter 1: "teller" and "gateway" are bound to it, "teller-other"
and "gateway-other" to other counters.
"""

from __future__ import annotations

from branchq.host.auth import Role

CREDENTIALS: dict[str, tuple[Role, int | None, tuple[int, ...]]] = {
    "kiosk": (Role.KIOSK, None, ()),
    "display": (Role.DISPLAY, None, ()),
    "teller": (Role.TELLER, 1, ()),
    "teller-other": (Role.TELLER, 2, ()),
    "gateway": (Role.KEYPAD_GATEWAY, None, (1, 2)),
    "gateway-other": (Role.KEYPAD_GATEWAY, None, (3, 4)),
    "technician": (Role.TECHNICIAN, None, ()),
    "manager": (Role.MANAGER, None, ()),
    "admin": (Role.ADMIN, None, ()),
    "booking": (Role.BOOKING, None, ()),
}

PUBLIC = frozenset({"public"})  # no credential needed
# Every staff and device credential: the bank's app backend (booking) sees only its bookings.
ANY = frozenset(CREDENTIALS) - {"booking"}
SUPERVISOR = frozenset({"manager", "admin"})
ISSUER = SUPERVISOR | {"kiosk"}
KIOSK = frozenset({"kiosk"})
COUNTER_1 = SUPERVISOR | {"teller", "gateway"}
STAFF = SUPERVISOR | {"teller", "teller-other"}
MONITOR = SUPERVISOR | {"technician"}
LISTENER = STAFF | {"display"}
BOOKER = SUPERVISOR | {"booking"}

MATRIX: dict[str, frozenset[str]] = {
    "GET /openapi.json": PUBLIC,
    "GET /docs": PUBLIC,
    "GET /docs/oauth2-redirect": PUBLIC,
    "GET /redoc": PUBLIC,
    "GET /healthz": PUBLIC,
    "GET /hall": PUBLIC,
    "GET /counter": PUBLIC,
    "GET /lobby": PUBLIC,
    "GET /t/{ticket_id}": PUBLIC,
    "GET /static/{path}": PUBLIC,
    "GET /api/v1/tickets/{ticket_id}": PUBLIC,
    "GET /metrics": MONITOR,
    "WS /api/v1/events": ANY,
    "GET /api/v1/branch": ANY,
    "GET /api/v1/me": ANY,
    "GET /api/v1/counters": ANY,
    "GET /api/v1/queues": ANY,
    "GET /api/v1/equipment": ANY,
    "GET /api/v1/notices": ANY,
    "GET /api/v1/devices": ANY,
    "POST /api/v1/leases": KIOSK,
    "POST /api/v1/tickets/offline": KIOSK,
    "POST /api/v1/devices/heartbeat": KIOSK,
    "POST /api/v1/vip-cards/check": KIOSK,
    "POST /api/v1/tickets": ISSUER,
    "POST /api/v1/tickets/{ticket_id}/printed": ISSUER,
    "POST /api/v1/tickets/{ticket_id}/void": ISSUER,
    "GET /api/v1/tickets": STAFF,
    "POST /api/v1/tickets/{ticket_id}/reinstate": SUPERVISOR,
    **{f"POST /api/v1/counters/{{n}}/{action}": COUNTER_1 for action in (
        "call-next", "call", "recall", "no-show", "done", "transfer", "rating", "pause", "resume")},
    "PUT /api/v1/equipment/{equipment_id}": MONITOR,
    "POST /api/v1/notices": SUPERVISOR,
    "DELETE /api/v1/notices/{notice_id}": SUPERVISOR,
    "POST /api/v1/vip-cards": SUPERVISOR,
    "DELETE /api/v1/vip-cards/{digest}": SUPERVISOR,
    "GET /api/v1/voice/call": LISTENER,
    "GET /api/v1/staffing": SUPERVISOR,
    "GET /api/v1/reports/day": SUPERVISOR,
    "GET /api/v1/reports/day.csv": SUPERVISOR,
    "GET /api/v1/reports/day/chart.png": SUPERVISOR,
    "GET /api/v1/reports/month": SUPERVISOR,
    "GET /api/v1/opinions": SUPERVISOR,
    "POST /api/v1/opinions": SUPERVISOR,
    "GET /api/v1/opinions/summary": SUPERVISOR,
    "POST /api/v1/opinions/{opinion_id}/reply": SUPERVISOR,
    # The morning check: read by whoever checks the hall (a kiosk's maint health --opening too);
    # recorded into the day's work log by the lobby only.
    "GET /api/v1/opening-check": MONITOR | {"kiosk"},
    "POST /api/v1/opening-check": SUPERVISOR,
    "POST /api/v1/opening-check/test-slip": SUPERVISOR,
    "POST /api/v1/counters/{n}/second-service": SUPERVISOR,
    "DELETE /api/v1/counters/{n}/second-service": SUPERVISOR,
    # Outbound webhooks (docs/web.md, "Webhooks"): dead letters, and a ticket's phone number.
    "GET /api/v1/webhooks/dead-letters": SUPERVISOR,
    "POST /api/v1/webhooks/deliveries/{delivery_id}/retry": SUPERVISOR,
    "PUT /api/v1/tickets/{ticket_id}/contact": BOOKER,
    "DELETE /api/v1/tickets/{ticket_id}/contact": BOOKER,
    # Calls for help: a kiosk sends them, the lobby manager answers (host/api/help.py).
    "POST /api/v1/help": KIOSK,
    "GET /api/v1/help": SUPERVISOR,
    "POST /api/v1/help/{alert_id}/ack": SUPERVISOR,
    "POST /api/v1/help/{alert_id}/close": SUPERVISOR,
    "GET /lobby/help": PUBLIC,
    # Appointments and remote tickets (docs/web.md, "Appointments and remote tickets").
    "GET /api/v1/appointments/slots": BOOKER,
    "POST /api/v1/appointments": BOOKER,
    "GET /api/v1/appointments": BOOKER,
    "GET /api/v1/appointments/{appointment_id}": BOOKER,
    "DELETE /api/v1/appointments/{appointment_id}": BOOKER,
    "GET /api/v1/appointments/kiosk-cache": KIOSK,
    "POST /api/v1/appointments/check-in": ISSUER,
    "POST /api/v1/tickets/remote": frozenset({"booking"}),
    "POST /api/v1/tickets/confirm-arrival": ISSUER,
}

# A region host (host/region.py) serves every endpoint above for each of its branches, and these.
REGION_MANAGER = "region-manager"
REGION_MATRIX: dict[str, frozenset[str]] = {
    "GET /region": PUBLIC,
    "GET /api/v1/region/branches": frozenset({REGION_MANAGER}),
}
# What the region-wide credential may call on a branch it names (/b/{branch}/...): the reads of
# the lobby dashboard it drills into, nothing that changes state and no customer's phone number.
REGION_MANAGER_READS = frozenset(
    {endpoint for endpoint, allowed in MATRIX.items() if allowed is ANY}
    | {"GET /api/v1/tickets", "GET /api/v1/staffing", "GET /api/v1/reports/day",
       "GET /api/v1/opening-check"})


def credential_for(endpoint: str) -> str | None:
    """The credential a fuzzer calls ``endpoint`` with: the manager wherever a manager may go, else
    the one role that may (None for public endpoints), so every request reaches the handler."""
    allowed = MATRIX[endpoint]
    if allowed is PUBLIC:
        return None
    return "manager" if "manager" in allowed else min(allowed)
