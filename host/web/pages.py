"""Routes for the web screens and their static files, each response with security headers.

The headers are set here rather than by a global middleware so that the JSON API keeps its own
behaviour; the pages need a strict Content-Security-Policy because they hold staff tokens.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PREFIX = "/static"
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")

router = APIRouter(include_in_schema=False)


def security_headers(host: str | None) -> dict[str, str]:
    """Only the host itself may serve scripts, styles, media and the event WebSocket."""
    connect = "'self'"
    if host and _HOST.match(host):
        connect += f" ws://{host} wss://{host}"
    policy = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"media-src 'self' blob:; connect-src {connect}; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }


def _page(request: Request, name: str) -> FileResponse:
    headers = security_headers(request.headers.get("host"))
    # Pages change with a host upgrade; a hall TV must not keep an old copy for a day.
    headers["Cache-Control"] = "no-cache"
    return FileResponse(STATIC_DIR / name, media_type="text/html; charset=utf-8", headers=headers)


@router.get("/hall")
async def hall(request: Request) -> FileResponse:
    """Hall display (TV). Open once as ``/hall#token=DISPLAY_TOKEN``; the token is kept locally."""
    return _page(request, "hall.html")


@router.get("/counter")
async def counter(request: Request) -> FileResponse:
    """Counter console for a teller."""
    return _page(request, "counter.html")


@router.get("/lobby")
async def lobby(request: Request) -> FileResponse:
    """Lobby dashboard for the manager."""
    return _page(request, "lobby.html")


@router.get("/lobby/help")
async def lobby_help(request: Request) -> FileResponse:
    """The lobby manager's phone: the calls for help from the kiosks, to acknowledge at once."""
    return _page(request, "help.html")


@router.get("/t/{ticket_id}")
async def ticket_status(
    request: Request,
    ticket_id: Annotated[str, PathParam(min_length=8, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")],
) -> FileResponse:
    """The customer's status page (the ticket's QR code); the script reads the id from the URL."""
    return _page(request, "status.html")


class SecureStatic(StaticFiles):
    """Static files with the same security headers as the pages."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
        response.headers.update(security_headers(host))
        response.headers["Cache-Control"] = "no-cache"
        return response


def static_files() -> SecureStatic:
    return SecureStatic(directory=STATIC_DIR)


#: Pages of a region host only (``host/region.py``).
region_router = APIRouter(include_in_schema=False)


@region_router.get("/region")
async def region(request: Request) -> FileResponse:
    """The region view of a region host (every branch's figures), for the region manager."""
    return _page(request, "region.html")
