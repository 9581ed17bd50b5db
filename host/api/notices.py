"""Notices shown on hall screens and kiosks, posted by the lobby manager."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from branchq.host.api.deps import Observer, ServiceDep, Supervisor
from branchq.host.api.schemas import NoticeCreate, NoticePublic
from branchq.host.engine import QueueEngine

router = APIRouter(prefix="/api/v1/notices", tags=["notices"])


def _all(engine: QueueEngine) -> list[NoticePublic]:
    return [NoticePublic(id=n.id, text_zh=n.text_zh, text_en=n.text_en, posted_at=n.posted_at)
            for n in engine.notices.values()]


@router.get("")
async def list_notices(service: ServiceDep, _: Observer) -> list[NoticePublic]:
    return await service.read_async(_all)


@router.post("", status_code=status.HTTP_201_CREATED)
async def post_notice(body: NoticeCreate, service: ServiceDep, principal: Supervisor) -> NoticePublic:
    notice_id = secrets.token_hex(4)
    await service.execute(lambda engine, now: engine.post_notice(
        notice_id, body.text_zh, body.text_en, now, principal.actor))
    found = await service.read_async(lambda engine: [n for n in _all(engine) if n.id == notice_id])
    return found[0]


@router.delete("/{notice_id}", status_code=status.HTTP_204_NO_CONTENT)
async def clear_notice(
    notice_id: Annotated[str, Path(max_length=16)], service: ServiceDep, principal: Supervisor
) -> Response:
    await service.execute(lambda engine, now: engine.clear_notice(notice_id, now, principal.actor))
    return Response(status_code=204)
