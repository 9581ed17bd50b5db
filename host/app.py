"""The FastAPI application: one router per resource, one branch service per process (or, on a
region host, one per branch of the region: ``host/region.py``)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from branchq.drivers.platform import sdnotify
from branchq.host.api import (
    appointments,
    branch,
    contacts,
    counters,
    devices,
    errors,
    events,
    health,
    help,
    insight,
    limits,
    me,
    notices,
    opening,
    opinions,
    queues,
    tickets,
    vip,
    voice,
    webhooks,
)
from branchq.host.api import region as region_api
from branchq.host.auth import TokenVerifier
from branchq.host.config import BranchConfig
from branchq.host.region import DEFAULT_IDLE_S, Region, RegionRouting, branch_timers
from branchq.host.service import BranchService
from branchq.host.storage import Store
from branchq.host.web import pages


async def _watchdog(alive: Callable[[], bool]) -> None:
    """Ping systemd's watchdog from the event loop while ``alive()`` (the writer thread is): a
    hung loop or a dead writer stops the pings and systemd restarts the host."""
    interval = sdnotify.watchdog_interval_s()
    if interval is None:
        return
    while True:
        await asyncio.sleep(interval)
        if alive():
            sdnotify.notify("WATCHDOG=1")


def create_app(config: BranchConfig, db_url: str) -> FastAPI:
    """Build the app: migrate the database and rebuild the engine from its log now, before
    the server starts, so an event log that does not replay stops the start with
    :class:`branchq.host.engine.ReplayError` (naming the event) rather than a server traceback."""
    store = Store(db_url, config.branch.id)
    service = BranchService(config, store)
    service.load()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        service.start()
        # Everything loaded so far lives as long as the process: keep it out of the cyclic
        # garbage collector's scans, which otherwise stall requests for milliseconds.
        gc.collect()
        gc.freeze()
        watchdog = asyncio.create_task(_watchdog(service.writer_alive))
        timers = [asyncio.create_task(timer) for timer in branch_timers(service)]
        sdnotify.notify("READY=1\nSTATUS=serving")
        try:
            yield
        finally:
            sdnotify.notify("STOPPING=1")
            watchdog.cancel()
            for timer in timers:
                timer.cancel()
            service.stop()
            store.close()

    app = FastAPI(
        title="branchq host",
        version="1",
        summary="Queue management for a bank branch: tickets, counters, queues, events.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.verifier = TokenVerifier(store)
    _serve_branch_routes(app)
    return app


def _serve_branch_routes(app: FastAPI) -> None:
    """What every host serves: the API of a branch, its pages and their files."""
    errors.install(app)
    app.add_middleware(limits.RequestLimits, limits=limits.Limits.from_env())
    for module in (branch, me, tickets, counters, queues, notices, devices, vip, events, health):
        app.include_router(module.router)
    app.include_router(voice.router)
    app.include_router(insight.router)
    app.include_router(opinions.router)
    app.include_router(opening.router)
    app.include_router(appointments.router)
    app.include_router(help.router)
    app.include_router(contacts.router)
    app.include_router(webhooks.router)
    app.include_router(pages.router)
    app.mount(pages.STATIC_PREFIX, pages.static_files(), name="static")


def create_region_app(configs: dict[str, BranchConfig], db_url: str,
                      idle_s: float = DEFAULT_IDLE_S) -> FastAPI:
    """A region host (``host/region.py``): every branch of ``configs`` from one PostgreSQL
    database, each engine loaded on its first request and forgotten when idle. The schema is
    migrated and every branch given its row now, before the server starts."""
    region = Region(configs, db_url, idle_s)
    region.prepare()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await region.start()
        gc.collect()
        gc.freeze()  # the code and settings; branches come and go and are collected as usual
        watchdog = asyncio.create_task(_watchdog(lambda: True))
        sdnotify.notify("READY=1\nSTATUS=serving a region")
        try:
            yield
        finally:
            sdnotify.notify("STOPPING=1")
            watchdog.cancel()
            await region.stop()

    app = FastAPI(
        title="branchq region host",
        version="1",
        summary="Queue management for the branches of a region: one process, every branch.",
        lifespan=lifespan,
    )
    app.state.region = region
    app.state.verifier = region.verifier
    app.include_router(region_api.router)
    app.include_router(pages.region_router)
    _serve_branch_routes(app)
    # Outermost: the branch is found before limits, routes and pages see the request.
    app.add_middleware(RegionRouting, region=region)
    return app


def app_from_env() -> FastAPI:
    """App factory for several uvicorn workers (``branchq host run --workers N``): each worker
    process builds its own app from ``BRANCHQ_CONFIG`` and ``BRANCHQ_DB_URL``."""
    import os

    from branchq.host.config import load_config

    return create_app(load_config(os.environ.get("BRANCHQ_CONFIG") or None),
                      os.environ["BRANCHQ_DB_URL"])
