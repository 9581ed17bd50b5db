"""The region view's figures: every branch of a region host on one page (``/region``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel

from branchq.host.api.deps import require
from branchq.host.auth import Principal, Role
from branchq.host.region import Region

router = APIRouter(prefix="/api/v1/region", tags=["region"])  # a region host's app only

RegionManager = Annotated[Principal, require(Role.REGION_MANAGER)]


def region_of(request: Request) -> Region:
    region: Region = request.app.state.region
    return region


class BranchFiguresPublic(BaseModel):
    branch: str
    name_zh: str
    name_en: str
    waiting: int
    longest_wait_s: int
    counters_open: int
    counters: int
    devices_in_fault: int
    rated: int
    # The share of today's rated services rated "satisfied"; null before the first rating.
    satisfaction: float | None
    # The branch's lobby dashboard, read-only for the region manager.
    lobby: str


@router.get("/branches")
async def branches(request: Request, _: RegionManager) -> list[BranchFiguresPublic]:
    """Every branch's live figures: waiting, longest wait, counters open, devices in fault,
    satisfaction (each branch is loaded if it was not resident)."""
    return [BranchFiguresPublic(
        branch=f.branch, name_zh=f.name_zh, name_en=f.name_en, waiting=f.waiting,
        longest_wait_s=f.longest_wait_s, counters_open=f.counters_open, counters=f.counters,
        devices_in_fault=f.devices_in_fault, rated=f.rated, satisfaction=f.satisfaction,
        lobby=f"/b/{f.branch}/lobby",
    ) for f in await region_of(request).all_figures()]
