"""Serve an ASGI app with uvicorn until Ctrl+C (SIGINT) or SIGTERM, then end with exit status 0.

The first signal starts uvicorn's graceful shutdown: requests in flight are answered, the event
streams of hall screens and kiosks are closed (they reconnect to the next host), and the app's
shutdown runs. A second Ctrl+C forces the end. uvicorn's ``run`` would re-raise the signal
afterwards, so the process died of it (SIGINT as a KeyboardInterrupt traceback); a stop asked
for is a normal end, so here it is not re-raised.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Server(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        """As uvicorn's, without raising the signal again once the server has stopped."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        before = {sig: signal.signal(sig, self.handle_exit) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in before.items():
                signal.signal(sig, handler)


def serve(config: uvicorn.Config) -> None:
    """Run until stopped. Returns normally after a signal; exits 1 when start-up failed."""
    server = _Server(config)
    server.run()
    if not server.started:
        raise SystemExit(1)  # uvicorn has logged why (e.g. the app's start-up failed)
