"""VIP cards: the host keeps HMAC digests (never card numbers); kiosks ask whether a swipe is VIP."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from branchq.host.api.deps import KioskDep, ServiceDep, Supervisor
from branchq.host.api.schemas import VipCard, VipCheck

router = APIRouter(prefix="/api/v1/vip-cards", tags=["vip"])

Digest = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]


@router.post("", status_code=201)
async def enroll(body: VipCard, service: ServiceDep, principal: Supervisor) -> Response:
    """Enrol a card by its digest (``branchq kiosk card-digest`` computes it on the kiosk)."""
    await service.execute(lambda e, now: e.enroll_vip_card(body.digest, now, principal.actor))
    return Response(status_code=201)


@router.delete("/{digest}", status_code=204)
async def remove(digest: Digest, service: ServiceDep, principal: Supervisor) -> Response:
    await service.execute(lambda e, now: e.remove_vip_card(digest, now, principal.actor))
    return Response(status_code=204)


@router.post("/check")
async def check(body: VipCard, service: ServiceDep, _: KioskDep) -> VipCheck:
    return VipCheck(vip=await service.read_async(lambda e: body.digest in e.vip_cards))
