"""The host app served by uvicorn in a thread of the test process, for API contract tests.

A ``branchq host run`` subprocess costs 1.3-1.6 s to start (the interpreter, FastAPI, SQLAlchemy),
which API tests paid once per test and database. Here the same app (``create_app``, the same
uvicorn settings, a real SQLite file or PostgreSQL database, a real TCP port on 127.0.0.1 for
HTTP and WebSocket clients) starts in a few tens of milliseconds. Tests where the process itself
is the point (a crash, a restart, signals, the command line) keep :class:`HostProcess`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import uvicorn

from branchq.host.app import create_app
from branchq.host.cli_host import uvicorn_config
from branchq.host.config import BranchConfig, load_config
from tests.host.hostproc import HostAccess
from tests.pg import free_port


@dataclass
class InProcessHost(HostAccess):
    """The demo branch served from this process; ``stop()`` ends it as a SIGTERM would."""

    db_url: str
    port: int = field(default_factory=free_port)
    config: BranchConfig | None = None  # None: the bundled example branch
    # The branch service's clock (None: the real one), for rules that take time: slots, graces.
    clock: Callable[[], datetime] | None = None
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20) -> InProcessHost:
        app = create_app(self.config or load_config(None), self.db_url)
        if self.clock is not None:
            app.state.service.clock = self.clock
        server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", self.port))
        self._server = server
        # uvicorn installs no signal handlers outside the main thread; the loop is the thread's own.
        self._thread = threading.Thread(target=lambda: asyncio.run(server.serve()),
                                        name=f"host:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"in-process host on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=15)
