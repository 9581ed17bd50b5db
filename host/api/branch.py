"""Branch facts for kiosks and screens, and the kiosk's offline number leases."""

from __future__ import annotations

from fastapi import APIRouter, status

from branchq.host.api.deps import KioskDep, Observer, ServiceDep
from branchq.host.api.schemas import BranchPublic, LeaseCreate, LeasePublic, ServicePublic
from branchq.host.engine.events import NUMBERS_LEASED

router = APIRouter(prefix="/api/v1", tags=["branch"])


@router.get("/branch")
async def branch_info(service: ServiceDep, _: Observer) -> BranchPublic:
    info = service.config.branch
    return BranchPublic(
        id=info.id, name_zh=info.name_zh, name_en=info.name_en, timezone=info.timezone,
        open_now=info.is_open(service.clock()), hours=info.hours,
        services=[ServicePublic(key=s.key, kind=s.kind, prefix=s.prefix, name_zh=s.name_zh,
                                name_en=s.name_en, guidance_zh=s.guidance_zh,
                                guidance_en=s.guidance_en) for s in service.config.services],
    )


@router.post("/leases", status_code=status.HTTP_201_CREATED)
async def lease_numbers(body: LeaseCreate, service: ServiceDep, principal: KioskDep) -> LeasePublic:
    """Reserve a block of today's numbers for the kiosk to issue while the host is unreachable."""
    events = await service.execute(lambda engine, now: engine.lease(
        body.kiosk, body.service, body.count, now, principal.actor))
    d = next(e.data for e in events if e.kind == NUMBERS_LEASED)
    prefix = next(s.prefix for s in service.config.services if s.key == body.service)
    return LeasePublic(kiosk=d["kiosk"], service=d["service"], prefix=prefix, first=d["first"],
                       last=d["last"], day=d["day"])
