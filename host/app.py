"""The FastAPI application: one router per resource, one branch service per process."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from branchq.drivers.platform import sdnotify
from branchq.host.api import (
    branch,
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
)
from branchq.host.auth import TokenVerifier
from branchq.host.config import BranchConfig
from branchq.host.service import BranchService
from branchq.host.storage import Store
from branchq.host.web import pages


async def _watchdog(service: BranchService) -> None:
    """Ping systemd's watchdog from the event loop while the writer thread is alive: a hung
    loop or a dead writer stops the pings and systemd restarts the host."""
    interval = sdnotify.watchdog_interval_s()
    if interval is None:
        return
    while True:
        await asyncio.sleep(interval)
        if service.writer_alive():
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
        watchdog = asyncio.create_task(_watchdog(service))
        expiry = asyncio.create_task(service.end_second_services_when_due())
        sdnotify.notify("READY=1\nSTATUS=serving")
        try:
            yield
        finally:
            sdnotify.notify("STOPPING=1")
            watchdog.cancel()
            expiry.cancel()
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
    errors.install(app)
    app.add_middleware(limits.RequestLimits, limits=limits.Limits.from_env())
    for module in (branch, me, tickets, counters, queues, notices, devices, vip, events, health):
        app.include_router(module.router)
    app.include_router(voice.router)
    app.include_router(insight.router)
    app.include_router(opinions.router)
    app.include_router(opening.router)
    app.include_router(help.router)
    app.include_router(pages.router)
    app.mount(pages.STATIC_PREFIX, pages.static_files(), name="static")
    return app


def app_from_env() -> FastAPI:
    """App factory for several uvicorn workers (``branchq host run --workers N``): each worker
    process builds its own app from ``BRANCHQ_CONFIG`` and ``BRANCHQ_DB_URL``."""
    import os

    from branchq.host.config import load_config

    return create_app(load_config(os.environ.get("BRANCHQ_CONFIG") or None),
                      os.environ["BRANCHQ_DB_URL"])
