"""Queue overview and equipment (ATMs and other self-service devices)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from branchq.host.api import views
from branchq.host.api.deps import EquipmentEditor, Observer, ServiceDep
from branchq.host.api.schemas import EquipmentPublic, EquipmentUpdate, QueuePublic

router = APIRouter(prefix="/api/v1", tags=["queues"])

EquipmentId = Annotated[str, Path(min_length=1, max_length=32)]


@router.get("/queues")
async def list_queues(service: ServiceDep, _: Observer) -> list[QueuePublic]:
    """Per service: people waiting, longest wait, estimated wait, counters open."""
    return await service.read_async(lambda engine: views.queues_public(engine, service.clock()))


@router.get("/equipment")
async def list_equipment(service: ServiceDep, _: Observer) -> list[EquipmentPublic]:
    return await service.read_async(
        lambda engine: [views.equipment_public(engine, e) for e in engine.equipment.values()]
    )


@router.put("/equipment/{equipment_id}")
async def set_equipment(
    equipment_id: EquipmentId, body: EquipmentUpdate, service: ServiceDep,
    principal: EquipmentEditor,
) -> EquipmentPublic:
    """Mark a device in or out of service; self-service choices fall back to counters when no
    ATM is in service."""
    in_service = body.status == "in_service"
    await service.execute(
        lambda engine, now: engine.set_equipment(
            equipment_id, in_service, body.note, now, principal.actor
        )
    )
    return await service.read_async(
        lambda engine: views.equipment_public(engine, engine.equipment[equipment_id])
    )
