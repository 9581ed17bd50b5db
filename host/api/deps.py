"""FastAPI dependencies: the branch service and the caller's credential."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from branchq.host.auth import Principal, Role, TokenVerifier
from branchq.host.service import BranchService

#: Where a region host's routing leaves the request's branch service (``host/region.py``).
REGION_SERVICE = "branchq_service"


def service_of(conn: HTTPConnection) -> BranchService:
    """The branch service serving this request: the process's own (a branch host), or the one a
    region host found for the request's branch (``host/region.py``)."""
    found: BranchService | None = conn.scope.get("state", {}).get(REGION_SERVICE)
    if found is None:
        found = getattr(conn.app.state, "service", None)
    if found is None:
        raise HTTPException(404, "this region host serves many branches: use a credential of "
                                 "the branch, or address it as /b/{branch}/...")
    return found


async def get_service(request: Request) -> BranchService:
    return service_of(request)


ServiceDep = Annotated[BranchService, Depends(get_service)]


async def authenticate(request: HTTPConnection,
                       credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The caller's principal from ``Authorization: Bearer``; 401 when missing or unknown."""
    if credentials is None:
        raise HTTPException(401, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
    verifier: TokenVerifier = request.app.state.verifier
    token = credentials.credentials
    principal = verifier.cached(token)
    if principal is None:
        principal = await run_in_threadpool(verifier.verify, token)
    if principal is None:
        raise HTTPException(401, "unknown or revoked token", {"WWW-Authenticate": "Bearer"})
    return principal


class RoleBearer(HTTPBearer):
    """The bearer-token scheme that also admits only the given roles.

    One security dependency that does both, rather than a role check depending on the bearer
    scheme: every extra layer of FastAPI dependency costs measurable time at hundreds of requests
    per second. OpenAPI still shows a single "HTTPBearer" scheme on every guarded route.
    """

    def __init__(self, roles: frozenset[Role]) -> None:
        super().__init__(auto_error=False, scheme_name="HTTPBearer",
                         description="A branchq token: `branchq host token create`")
        self.roles = roles
        self.names = ", ".join(sorted(r.value for r in roles))

    async def __call__(self, request: HTTPConnection) -> Principal:  # type: ignore[override]
        principal = await authenticate(request, await super().__call__(request))
        if principal.role not in self.roles:
            raise HTTPException(
                403, f"role {principal.role.value!r} may not do this (needs {self.names})")
        return principal


def require(*roles: Role) -> object:
    """A dependency that admits only the given roles."""
    return Depends(RoleBearer(frozenset(roles)))


Issuer = Annotated[Principal, require(Role.KIOSK, Role.MANAGER, Role.ADMIN)]
CounterActor = Annotated[
    Principal, require(Role.TELLER, Role.KEYPAD_GATEWAY, Role.MANAGER, Role.ADMIN)]
Supervisor = Annotated[Principal, require(Role.MANAGER, Role.ADMIN)]
EquipmentEditor = Annotated[Principal, require(Role.MANAGER, Role.TECHNICIAN, Role.ADMIN)]
# Every staff and device role; not the bank's app backend (booking), which sees only its own
# bookings and remote tickets.
Observer = Annotated[Principal, require(*(r for r in Role if r is not Role.BOOKING))]
Booker = Annotated[Principal, require(Role.BOOKING, Role.MANAGER, Role.ADMIN)]
RemoteIssuer = Annotated[Principal, require(Role.BOOKING)]
KioskDep = Annotated[Principal, require(Role.KIOSK)]
Staff = Annotated[Principal, require(Role.TELLER, Role.MANAGER, Role.ADMIN)]
# The reads of the lobby dashboard, which a region manager also has (read-only, host/region.py).
StaffReader = Annotated[Principal, require(Role.TELLER, Role.MANAGER, Role.ADMIN,
                                           Role.REGION_MANAGER)]
SupervisorReader = Annotated[Principal, require(Role.MANAGER, Role.ADMIN, Role.REGION_MANAGER)]
Monitor = Annotated[Principal, require(Role.MANAGER, Role.TECHNICIAN, Role.ADMIN)]
