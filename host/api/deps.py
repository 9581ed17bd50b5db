"""FastAPI dependencies: the branch service and the caller's credential."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from host.auth import Principal, Role, TokenVerifier
from host.service import BranchService

_bearer = HTTPBearer(auto_error=False, description="A branchq token: `branchq host token create`")


def get_service(request: Request) -> BranchService:
    service: BranchService = request.app.state.service
    return service


def get_verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.verifier
    return verifier


ServiceDep = Annotated[BranchService, Depends(get_service)]


def current_principal(
    verifier: Annotated[TokenVerifier, Depends(get_verifier)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise HTTPException(401, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
    principal = verifier.verify(credentials.credentials)
    if principal is None:
        raise HTTPException(401, "unknown or revoked token", {"WWW-Authenticate": "Bearer"})
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(*roles: Role) -> object:
    """A dependency that admits only the given roles."""
    allowed = frozenset(roles)

    def check(principal: PrincipalDep) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise HTTPException(403, f"role {principal.role.value!r} may not do this (needs {names})")
        return principal

    return Depends(check)


Issuer = Annotated[Principal, require(Role.KIOSK, Role.MANAGER, Role.ADMIN)]
CounterActor = Annotated[Principal, require(Role.TELLER, Role.MANAGER, Role.ADMIN)]
Supervisor = Annotated[Principal, require(Role.MANAGER, Role.ADMIN)]
EquipmentEditor = Annotated[Principal, require(Role.MANAGER, Role.TECHNICIAN, Role.ADMIN)]
Observer = Annotated[Principal, require(*Role)]
Monitor = Annotated[Principal, require(Role.MANAGER, Role.TECHNICIAN, Role.ADMIN)]
