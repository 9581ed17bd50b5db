"""Who the caller is: the web pages greet the holder and offer only the counters it may act for."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from branchq.host.api.deps import Observer, ServiceDep

router = APIRouter(prefix="/api/v1", tags=["me"])


class MePublic(BaseModel):
    """The credential as its holder may see it: never the token, its hash or its database id."""

    role: str
    name: str
    counter: int | None  # the counter a teller token is bound to
    counters: list[int]  # every counter this credential may act for (none for screens and kiosks)


@router.get("/me")
async def me(service: ServiceDep, principal: Observer) -> MePublic:
    counters = [c.number for c in service.config.counters if principal.may_act_for(c.number)]
    return MePublic(role=principal.role.value, name=principal.name, counter=principal.counter,
                    counters=counters)
