"""Unguessable ticket ids, drawn from a buffer of operating-system randomness.

``secrets.token_urlsafe`` makes a ``getrandom`` system call per id, and CPython lets go of the GIL
around it: at hundreds of tickets a second the event loop then waits for the writer thread to hand
the GIL back (up to the 5 ms switch interval) on every ticket. The same kernel randomness read
4 KiB at a time costs one call per 256 tickets. A forked child starts with an empty buffer, so two
processes never hand out the same bytes.
"""

from __future__ import annotations

import base64
import os
import threading

_CHUNK = 4096


class RandomPool:
    """Bytes from ``os.urandom``, read in chunks and each handed out once."""

    def __init__(self, chunk: int = _CHUNK) -> None:
        self._chunk = chunk
        self._buffer = b""
        self._lock = threading.Lock()
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._buffer = b""

    def take(self, n: int) -> bytes:
        with self._lock:
            if len(self._buffer) < n:
                self._buffer = os.urandom(max(self._chunk, n))
            out, self._buffer = self._buffer[:n], self._buffer[n:]
            return out


_pool = RandomPool()


def new_ticket_id() -> str:
    """128 random bits, URL-safe (the public status URL's secret): 22 characters."""
    return base64.urlsafe_b64encode(_pool.take(16)).rstrip(b"=").decode("ascii")
