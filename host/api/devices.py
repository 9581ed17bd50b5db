"""Kiosk heartbeats and the state of every device attached to a kiosk."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Response

from branchq.host.api.deps import KioskDep, Observer, ServiceDep
from branchq.host.api.schemas import DevicePublic, HeartbeatCreate
from branchq.host.engine import QueueEngine

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])

STALE_AFTER = timedelta(seconds=90)


@router.post("/heartbeat", status_code=204)
async def heartbeat(body: HeartbeatCreate, service: ServiceDep, principal: KioskDep) -> Response:
    """Record device states (only changes enter the event log) and the kiosk's liveness."""
    service.kiosks.beat(body.kiosk, service.clock(), body.offline_numbers_left)
    reports = [(d.device, d.status, d.detail) for d in body.devices]
    await service.execute(lambda engine, now: engine.report_devices(
        body.kiosk, reports, now, principal.actor))
    return Response(status_code=204)


@router.get("")
async def list_devices(service: ServiceDep, _: Observer) -> list[DevicePublic]:
    now = service.clock()

    def view(engine: QueueEngine) -> list[DevicePublic]:
        out = []
        for d in engine.devices.values():
            last = service.kiosks.last_seen(d.kiosk)
            out.append(DevicePublic(
                kiosk=d.kiosk, device=d.device, status=d.status,
                detail=d.detail, changed_at=d.changed_at, last_heartbeat=last,
                stale=last is None or now - last > STALE_AFTER,
            ))
        return out

    return await service.read_async(view)
