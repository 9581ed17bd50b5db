"""The morning check (开门检查, host/opening.py): run it, or run it and keep it in the day's log."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from branchq.host import opening
from branchq.host.api.deps import ServiceDep, Supervisor, require
from branchq.host.api.schemas import _In
from branchq.host.auth import Principal, Role
from branchq.host.engine import QueueEngine
from branchq.host.service import BranchService

router = APIRouter(prefix="/api/v1/opening-check", tags=["opening"])

# The kiosk's own credential may run it (``branchq maint health --opening`` on the kiosk): it
# shows device states the kiosk reports anyway, and nothing of any customer.
Checker = Annotated[Principal, require(Role.MANAGER, Role.TECHNICIAN, Role.ADMIN, Role.KIOSK,
                                       Role.REGION_MANAGER)]


async def run_check(service: BranchService) -> opening.OpeningCheck:
    now = service.clock()
    kiosks = service.kiosks.known()
    displays = service.hub.connected(Role.DISPLAY.value)

    def from_engine(engine: QueueEngine) -> tuple[list[opening.Item], list[opening.Item]]:
        return (opening.device_items(engine, kiosks, now),
                [*opening.equipment_items(engine), opening.notice_item(engine, now)])

    devices, hall = await service.read_async(from_engine)
    voice = await run_in_threadpool(opening.voice_item)
    backup = await run_in_threadpool(opening.backup_item, service.config, opening.backup_dir(), now)
    return opening.OpeningCheck(now, [*devices, opening.hall_item(displays), voice, *hall, backup])


@router.get("")
async def check_now(service: ServiceDep, _: Checker) -> dict[str, Any]:
    """Run every item now: ``ok`` is true when all are green; each red item says what to do."""
    return (await run_check(service)).as_data()


class TestSlipCreate(_In):
    kiosk: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_.-]+$")]


@router.post("/test-slip", status_code=202)
async def print_test_slip(body: TestSlipCreate, service: ServiceDep, principal: Supervisor
                          ) -> dict[str, str]:
    """Ask a kiosk for a test slip on its printer; its result is the checklist's
    ``test_slip:<kiosk>`` item (the kiosk reports it in its next heartbeat)."""
    if body.kiosk not in service.kiosks.known():
        raise HTTPException(404, f"no kiosk {body.kiosk!r} has sent a heartbeat to this host")
    slip_id = secrets.token_hex(4)
    await service.execute(lambda engine, now: engine.request_test_slip(
        slip_id, body.kiosk, now, principal.actor))
    return {"id": slip_id, "kiosk": body.kiosk}


@router.post("")
async def check_and_record(service: ServiceDep, principal: Supervisor) -> dict[str, Any]:
    """Run it and keep the result in today's event log (the daily work log shows it)."""
    result = (await run_check(service)).as_data()
    [event] = await service.execute(
        lambda engine, now: engine.record_opening_check(result, now, principal.actor))
    return {**result, "seq": event.seq}
