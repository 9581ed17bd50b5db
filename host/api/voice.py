"""Spoken call announcements for hall screens (WAV rendered on the host, see ``branchq.host.voice``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from branchq.host.api.deps import require
from branchq.host.auth import Principal, Role
from branchq.host.voice import (
    COUNTER_MAX,
    COUNTER_MIN,
    NUMBER_PATTERN,
    Announcement,
    Lang,
    VoiceError,
    VoiceRenderer,
    default_cache_dir,
)

router = APIRouter(prefix="/api/v1/voice", tags=["voice"])

Listener = Annotated[Principal, require(Role.DISPLAY, Role.TELLER, Role.MANAGER, Role.ADMIN)]


def get_renderer() -> VoiceRenderer:
    return VoiceRenderer(default_cache_dir())


RendererDep = Annotated[VoiceRenderer, Depends(get_renderer)]


@router.get(
    "/call",
    response_class=FileResponse,
    responses={200: {"content": {"audio/wav": {}}, "description": "the spoken call, WAV"},
               503: {"description": "the speech synthesiser is not available"}},
)
async def call_audio(
    _: Listener,
    renderer: RendererDep,
    number: Annotated[str, Query(pattern=NUMBER_PATTERN, examples=["A023"])],
    counter: Annotated[int, Query(ge=COUNTER_MIN, le=COUNTER_MAX)],
    lang: Annotated[Lang, Query()] = "zh",
) -> FileResponse:
    """"A023, please go to counter 3" in Chinese or English, as audio/wav (cached on the host)."""
    announcement = Announcement(number, counter)
    try:
        path = await run_in_threadpool(renderer.render, announcement, lang)
    except VoiceError as err:
        raise HTTPException(503, str(err)) from err
    return FileResponse(path, media_type="audio/wav",
                        headers={"Cache-Control": "private, max-age=86400"})
