"""FastAPI dependencies: the branch service and the caller's credential."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from host.auth import Principal, Role, TokenVerifier
from host.service import BranchService

_bearer = HTTPBearer(auto_error=False, description="A branchq token: `branchq host token create`")


async def get_service(request: Request) -> BranchService:
    service: BranchService = request.app.state.service
    return service


ServiceDep = Annotated[BranchService, Depends(get_service)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def authenticate(request: Request, credentials: Credentials) -> Principal:
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


def require(*roles: Role) -> object:
    """A dependency that admits only the given roles (one dependency per request: each extra
    layer of FastAPI dependency costs measurable time at hundreds of requests per second)."""
    allowed = frozenset(roles)
    names = ", ".join(sorted(r.value for r in allowed))

    async def check(request: Request, credentials: Credentials) -> Principal:
        principal = await authenticate(request, credentials)
        if principal.role not in allowed:
            raise HTTPException(403, f"role {principal.role.value!r} may not do this (needs {names})")
        return principal

    return Depends(check)


Issuer = Annotated[Principal, require(Role.KIOSK, Role.MANAGER, Role.ADMIN)]
CounterActor = Annotated[
    Principal, require(Role.TELLER, Role.KEYPAD_GATEWAY, Role.MANAGER, Role.ADMIN)]
Supervisor = Annotated[Principal, require(Role.MANAGER, Role.ADMIN)]
EquipmentEditor = Annotated[Principal, require(Role.MANAGER, Role.TECHNICIAN, Role.ADMIN)]
Observer = Annotated[Principal, require(*Role)]
KioskDep = Annotated[Principal, require(Role.KIOSK)]
Staff = Annotated[Principal, require(Role.TELLER, Role.MANAGER, Role.ADMIN)]
Monitor = Annotated[Principal, require(Role.MANAGER, Role.TECHNICIAN, Role.ADMIN)]
