"""A region host: every branch of a PostgreSQL database served by one process.

``branchq host run --region --branches DIR`` (docs/deploy.md, region). What differs from a branch
host (``host/app.py``), and why:

- **One engine per branch, loaded on first use.** A request finds its branch (below); the
  branch's :class:`BranchService` is built and replayed from the database then, and stopped
  again once it has had no request and no event subscriber for ``idle_s`` seconds. Its events
  stay in the database, so nothing is lost by forgetting it.
- **Shared per process, not per branch:** one SQLAlchemy connection pool, one PostgreSQL
  LISTEN connection (its notifications go to the resident branch they name), one token
  verifier. A resident branch costs its engine, its writer and housekeeping threads and a
  timer task; an idle one well under 1 MB (``bench/region_load.py`` measures it).
- **Which branch a request is for.** A credential belongs to one branch (its ``api_tokens``
  row), so the API paths are those of a branch host. Pages without a credential (hall screen,
  status page) are addressed ``/b/{branch}/...``; the prefix is taken off before routing, and
  a branch credential presented under another branch's prefix is refused with 403. The
  region-wide credential (``region-manager``, stored under :data:`REGION_WIDE`) names the
  branch it reads by the prefix; its role is admitted to reads only.
- Several region processes share a database as branch hosts do: per-branch row locks number
  the events, LISTEN/NOTIFY carries each commit to the other processes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from branchq.host.api import appointments, views
from branchq.host.api.deps import REGION_SERVICE
from branchq.host.api.events import presented_token
from branchq.host.auth import REGION_WIDE, Principal, RegionVerifier
from branchq.host.config import BranchConfig
from branchq.host.engine import QueueEngine, ReplayError, TicketStatus
from branchq.host.service import BranchService
from branchq.host.storage import StorageError, Store
from branchq.host.storage.store import make_engine
from branchq.host.storage.tables import branch_state

log = logging.getLogger("branchq.region")

DEFAULT_IDLE_S = 600.0
# Connections per region process (as many again at a peak): every resident branch's writer and
# the reads share them; a few region processes stay well under PostgreSQL's max_connections.
POOL_SIZE = 24
_PREFIX = re.compile(r"^/b/([a-z0-9][a-z0-9-]{0,31})(/.*)?$")
_FAULTY = frozenset({"fault", "offline"})


class RegionError(Exception):
    """The region cannot start: the message says why and what to do."""


def branch_timers(service: BranchService) -> list[Coroutine[Any, Any, None]]:
    """The background work of a running branch service: for the process's life at a branch
    host, while the branch is resident at a region host."""
    return [service.end_second_services_when_due(),
            appointments.expire_unconfirmed_when_due(service)]


@dataclass
class _Resident:
    service: BranchService
    timers: list[asyncio.Task[None]]
    last_used: float = field(default_factory=time.monotonic)
    in_flight: int = 0


@dataclass(frozen=True)
class BranchFigures:
    """One branch's line on the region page."""

    branch: str
    name_zh: str
    name_en: str
    waiting: int
    longest_wait_s: int
    counters_open: int
    counters: int
    devices_in_fault: int
    rated: int
    satisfied: int

    @property
    def satisfaction(self) -> float | None:
        """The share of today's rated tickets rated "satisfied" (None before the first)."""
        return self.satisfied / self.rated if self.rated else None


def figures(branch: str, engine: QueueEngine, *, now: datetime) -> BranchFigures:
    """The branch's live figures from its engine (call under the service's read lock). Devices
    in fault are those whose last report (an event) says fault or offline."""
    queues = views.queues_public(engine, now)
    rated = [t.rating for t in engine.tickets.values()
             if t.rating is not None and t.status is TicketStatus.DONE]
    info = engine.config.branch
    return BranchFigures(
        branch=branch, name_zh=info.name_zh, name_en=info.name_en,
        waiting=sum(q.waiting for q in queues),
        longest_wait_s=max((q.longest_wait_s for q in queues), default=0),
        counters_open=sum(1 for c in engine.counters.values() if not c.paused),
        counters=len(engine.counters),
        devices_in_fault=sum(1 for d in engine.devices.values() if d.status in _FAULTY),
        rated=len(rated), satisfied=sum(1 for r in rated if r == 3),
    )


class Region:
    """The branches of one region host and their resident engines (see the module docstring).

    Residency changes only in the event loop; loading and stopping run in worker threads."""

    def __init__(self, configs: dict[str, BranchConfig], db_url: str,
                 idle_s: float = DEFAULT_IDLE_S) -> None:
        if not db_url.startswith("postgresql"):
            raise RegionError(
                "a region host needs PostgreSQL (--db postgresql://...): its branches and its "
                "other region processes share one database; a SQLite branch runs `branchq host "
                "run --config branch.toml`")
        self.configs = configs
        self.idle_s = idle_s
        self.engine = make_engine(db_url, pool_size=POOL_SIZE)
        self.url = db_url
        self.tokens = Store(db_url, REGION_WIDE, self.engine)
        self.verifier = RegionVerifier(self.tokens)
        self._resident: dict[str, _Resident] = {}
        self._loading: dict[str, asyncio.Lock] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = threading.Event()
        self._sweeper: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ life cycle
    def prepare(self) -> None:
        """Migrate the schema once and give every configured branch its ``branch_state`` row
        (one transaction), so that loading a branch later is a replay and nothing else."""
        branches = sorted(self.configs)
        Store(self.url, branches[0], self.engine).migrate()
        try:
            with self.engine.begin() as conn:
                known = set(conn.execute(select(branch_state.c.branch)).scalars())
                missing = [b for b in branches if b not in known]
                if missing:  # another region process may be starting too: a row once
                    conn.execute(insert(branch_state).on_conflict_do_nothing(),
                                 [{"branch": b, "last_seq": 0} for b in missing])
        except SQLAlchemyError as err:
            raise StorageError(f"cannot prepare the region's branches: {err}") from err

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping.clear()
        threading.Thread(target=self._listen, name="branchq-region-listen", daemon=True).start()
        self._sweeper = asyncio.create_task(self._sweep())

    async def stop(self) -> None:
        self._stopping.set()
        if self._sweeper is not None:
            self._sweeper.cancel()
        for branch in list(self._resident):
            await self._evict(branch)
        self.engine.dispose()

    # ------------------------------------------------------------------ residency
    def resident(self) -> list[str]:
        return sorted(self._resident)

    @asynccontextmanager
    async def using(self, branch: str) -> AsyncIterator[BranchService]:
        """The branch's service, loaded if need be, kept resident while the block runs."""
        resident = self._resident.get(branch) or await self._load(branch)
        resident.in_flight += 1
        try:
            yield resident.service
        finally:
            resident.in_flight -= 1
            resident.last_used = time.monotonic()

    async def _load(self, branch: str) -> _Resident:
        config = self.configs[branch]
        lock = self._loading.setdefault(branch, asyncio.Lock())
        async with lock:
            resident = self._resident.get(branch)
            if resident is not None:
                return resident
            service = BranchService(config, Store(self.url, branch, self.engine), listen=False)
            await run_in_threadpool(service.load, False)
            service.start()
            resident = _Resident(service, [asyncio.create_task(t) for t in branch_timers(service)])
            self._resident[branch] = resident
            log.info("branch %s loaded (seq %d); %d resident", branch, service.engine.seq,
                     len(self._resident))
        # A commit another process made between the replay and now was announced while the
        # branch was not resident here: read it now.
        await run_in_threadpool(service.catch_up)
        return resident

    async def _evict(self, branch: str) -> None:
        resident = self._resident.pop(branch, None)
        if resident is None:
            return
        for timer in resident.timers:
            timer.cancel()
        await run_in_threadpool(resident.service.stop)
        log.info("branch %s evicted; %d resident", branch, len(self._resident))

    def idle(self, now: float) -> list[str]:
        """Resident branches with nothing in flight, no subscriber and no use for ``idle_s``."""
        return [b for b, r in self._resident.items()
                if r.in_flight == 0 and r.service.hub.subscriber_count == 0
                and now - r.last_used >= self.idle_s]

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(max(0.5, min(60.0, self.idle_s / 4)))
            for branch in self.idle(time.monotonic()):
                await self._evict(branch)

    def _listen(self) -> None:
        """One LISTEN connection for every branch: each commit notification goes to the branch
        it names, if resident here (one that is not reads the log when it is loaded)."""
        while not self._stopping.is_set():
            try:
                for payload in self.tokens.listen(timeout=1.0):
                    if self._stopping.is_set():
                        return
                    if payload == "connected":
                        for each in list(self._resident.values()):
                            each.service.catch_up()
                        continue
                    branch, _, seq = payload.rpartition(":")
                    resident = self._resident.get(branch)
                    if resident is not None and seq.isdigit():
                        resident.service.notified(int(seq))
            except (StorageError, SQLAlchemyError) as err:
                log.warning("event notifications: %s; listening again in 1 s", err)
            self._stopping.wait(1.0)

    # ------------------------------------------------------------------ the region view
    async def all_figures(self) -> list[BranchFigures]:
        """Every branch's figures. Each branch is caught up with the others' commits first
        (one query for all: ``branch_state``), then read from memory."""
        last = await run_in_threadpool(self._last_seqs)
        out = []
        for branch in sorted(self.configs):
            async with self.using(branch) as service:
                if last.get(branch, 0) > service.engine.seq:
                    await run_in_threadpool(service.catch_up)
                out.append(service.read_local(partial(figures, branch, now=service.clock())))
        return out

    def _last_seqs(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(branch_state.c.branch, branch_state.c.last_seq))
            return {str(b): int(s) for b, s in rows}


class RegionRouting:
    """ASGI middleware: find each request's branch and hand its service to the routes.

    The branch is the credential's, or the ``/b/{branch}`` prefix's (taken off the path). A
    credential of one branch under another's prefix is refused (403); a branch this region
    does not serve is 404. Without either, only region-wide routes answer (the routes' own
    dependency says so, ``host/api/deps.py``)."""

    def __init__(self, app: ASGIApp, region: Region) -> None:
        self.app = app
        self.region = region

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path_branch = None
        match = _PREFIX.match(scope["path"])
        if match:
            path_branch, rest = match.group(1), match.group(2) or "/"
            scope = {**scope, "path": rest, "raw_path": rest.encode("utf-8")}
        try:
            principal = await self._principal(scope)
        except StorageError as err:
            await _refuse(scope, receive, send, 503, "unavailable", str(err))
            return
        branch = path_branch
        if principal is not None and principal.branch is not None:
            if path_branch is not None and path_branch != principal.branch:
                await _refuse(scope, receive, send, 403, "forbidden",
                              f"this credential belongs to another branch, not {path_branch!r}")
                return
            branch = principal.branch
        if branch is None:
            if scope["path"] == "/healthz" and scope["type"] == "http":
                await self._health(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        if branch not in self.region.configs:
            await _refuse(scope, receive, send, 404, "not_found",
                          f"no branch {branch!r} in this region")
            return
        stack = AsyncExitStack()
        try:
            service = await stack.enter_async_context(self.region.using(branch))
        except (StorageError, SQLAlchemyError, ReplayError) as err:  # it could not be loaded
            log.error("branch %s cannot be loaded: %s", branch, err)
            await _refuse(scope, receive, send, 503, "unavailable",
                          f"branch {branch!r} cannot be loaded now; try again later")
            return
        async with stack:
            state = {**scope.get("state", {}), REGION_SERVICE: service}
            await self.app({**scope, "state": state}, receive, send)

    async def _principal(self, scope: Scope) -> Principal | None:
        token = presented_token(HTTPConnection(scope))
        if not token:
            return None
        verifier = self.region.verifier
        return verifier.cached(token) or await run_in_threadpool(verifier.verify, token)

    async def _health(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The region's own liveness (a proxy's health check): the database answers."""
        try:
            await run_in_threadpool(self.region._last_seqs)
        except SQLAlchemyError:
            await _refuse(scope, receive, send, 503, "unavailable", "the database does not answer")
            return
        await _json(send, 200, {"status": "ok", "database": "ok",
                                "branches": len(self.region.configs),
                                "resident_branches": self.region.resident()})


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, error: str,
                  detail: str) -> None:
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 1013 if status >= 500 else 4000 + status,
                    "reason": detail[:120]})
        return
    await _json(send, status, {"error": error, "detail": detail})


async def _json(send: Send, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})

