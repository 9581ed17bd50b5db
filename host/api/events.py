"""The event stream: every committed event as JSON, in ``seq`` order, resumable with ``after``."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from typing import Annotated, Any
from weakref import WeakKeyDictionary

from fastapi import APIRouter, HTTPException, Query, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from branchq.host.api.deps import service_of
from branchq.host.auth import Principal, Role, TokenVerifier
from branchq.host.engine import Event
from branchq.host.service import BranchService
from branchq.host.storage import StorageError

log = logging.getLogger("branchq.api.events")
router = APIRouter(tags=["events"])

SUBPROTOCOL = "branchq"
_CATCH_UP_CHUNK = 1000
# A client that takes in nothing for this long has stopped reading (a hung browser tab, a
# half-dead Wi-Fi link): its connection is dropped (TCP reset, host/serving.py) rather than
# left holding megabytes; it reconnects with after=SEQ and loses nothing.
SEND_STALL_S = 10.0
# Roles whose screens and signs are in public view (hall screens; the lobby kiosk and the LED signs
# its keypad gateway drives) get no ticket ids (the status page key) and no actors.
PUBLIC_SCREENS = frozenset({Role.DISPLAY, Role.KIOSK, Role.KEYPAD_GATEWAY})


# Kept in the log, sent to no audience: the reference an issuer chose for a ticket (scoped to
# its credential, host/api/tickets.py) is that issuer's business alone.
# Nor do appointments' check-in codes, remote tickets' codes and the kiosks' offline-cache key:
# a code is the customer's proof of a booking (docs/security.md, "Appointments").
_PRIVATE_DATA = frozenset({"client_ref", "code", "remote_code", "salt"})


def event_json(event: Event, principal: Principal) -> dict[str, Any]:
    data = event.data
    if not _PRIVATE_DATA.isdisjoint(data):
        data = {k: v for k, v in data.items() if k not in _PRIVATE_DATA}
    body: dict[str, Any] = {
        "seq": event.seq, "kind": event.kind, "at": event.at.isoformat(),
        "counter": event.counter, "data": data,
    }
    if principal.role not in PUBLIC_SCREENS:
        body["ticket_id"] = event.ticket_id
        body["actor"] = event.actor
    return body


class _EncodedEvents:
    """Each event is encoded once per audience (public screens, staff), not once per
    subscriber: a hall of a hundred displays then costs one ``json.dumps`` per event."""

    def __init__(self, size: int = 4096) -> None:
        self._texts: OrderedDict[tuple[int, bool], str] = OrderedDict()
        self._size = size

    def text(self, event: Event, principal: Principal) -> str:
        key = (event.seq, principal.role in PUBLIC_SCREENS)
        text = self._texts.get(key)
        if text is None:
            text = json.dumps(event_json(event, principal), ensure_ascii=False,
                              separators=(",", ":"))
            self._texts[key] = text
            if len(self._texts) > self._size:
                self._texts.popitem(last=False)
        return text


#: One cache per branch service: ``seq`` numbers an event within its own branch's log only, so two
#: services in one process (tests serving one app after another, a region's branches) must not
#: share encodings. Weak keys: a stopped service takes its cache with it.
_encoded: WeakKeyDictionary[BranchService, _EncodedEvents] = WeakKeyDictionary()


def _encoder(service: BranchService) -> _EncodedEvents:
    encoder = _encoded.get(service)
    if encoder is None:
        encoder = _encoded[service] = _EncodedEvents()
    return encoder


def presented_token(ws: HTTPConnection) -> str | None:
    """The token from ``Authorization: Bearer`` or, for browsers that cannot set headers, from
    the subprotocol list ``["branchq", TOKEN]`` (kept out of URLs so it never reaches a log)."""
    header = ws.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    offered = [p.strip() for p in ws.headers.get("sec-websocket-protocol", "").split(",")]
    if SUBPROTOCOL in offered:
        rest = [p for p in offered if p != SUBPROTOCOL]
        return rest[0] if rest else None
    return None


@router.websocket("/api/v1/events")
async def event_stream(
    ws: WebSocket, after: Annotated[int, Query(ge=0, le=2**62)] = 0
) -> None:
    """Send every event with ``seq > after``, then each new one as it commits."""
    verifier: TokenVerifier = ws.app.state.verifier
    token = presented_token(ws)
    try:
        principal = await run_in_threadpool(verifier.verify, token) if token else None
    except StorageError:
        await ws.close(code=1013, reason="database unreachable; try again later")
        return
    offered = ws.headers.get("sec-websocket-protocol", "")
    await ws.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
    if principal is None:
        await ws.close(code=4401, reason="a valid token is required")
        return
    if principal.role is Role.BOOKING:  # the bank's app backend follows no queue events
        await ws.close(code=4403, reason="role 'booking' may not follow the event stream")
        return
    try:
        service = service_of(ws)
    except HTTPException as err:  # a region-wide credential that named no branch
        await ws.close(code=4404, reason=str(err.detail)[:120])
        return
    queue = service.hub.subscribe(principal.role.value)
    # The client's messages are read (and ignored) alongside: a disconnect is noticed at once,
    # not at the next event, and keepalive pongs keep being processed.
    pump = asyncio.create_task(_pump(ws, principal, service, queue, after))
    reader = asyncio.create_task(_until_disconnect(ws))
    try:
        await asyncio.wait((pump, reader), return_when=asyncio.FIRST_COMPLETED)
    finally:
        pump.cancel()
        reader.cancel()
        service.hub.unsubscribe(queue)


async def _until_disconnect(ws: WebSocket) -> None:
    while (await ws.receive())["type"] != "websocket.disconnect":
        pass


async def _pump(ws: WebSocket, principal: Principal, service: BranchService,
                queue: asyncio.Queue[Event | None], after: int) -> None:
    """Send the events after ``after`` from the database, then each one the hub delivers."""
    last = after
    encoder = _encoder(service)

    async def send(event: Event) -> None:
        nonlocal last
        async with asyncio.timeout(SEND_STALL_S):
            await ws.send_text(encoder.text(event, principal))
        last = event.seq

    try:
        while True:  # catch up from the database, in chunks
            missed = await run_in_threadpool(service.store.load_events, last, _CATCH_UP_CHUNK)
            for old in missed:
                await send(old)
            if len(missed) < _CATCH_UP_CHUNK:
                break
        while True:
            e = await queue.get()
            if e is None:
                await ws.close(code=4408, reason="too slow; reconnect with after=SEQ")
                return
            if e.seq > last + 1:
                # Another host process's events can arrive around ours: fill any gap from the
                # database so the client always sees every seq, in order.
                for missed_event in await run_in_threadpool(service.store.load_events, last, None):
                    if missed_event.seq < e.seq:
                        await send(missed_event)
            if e.seq > last:
                await send(e)
    except WebSocketDisconnect:
        pass
    except TimeoutError:
        log.warning("an event subscriber took nothing in for %.0f s; dropping it", SEND_STALL_S)
