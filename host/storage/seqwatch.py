"""How far each branch's event log has been committed, read for many readers at once (PostgreSQL).

A read on PostgreSQL first asks the database for the branch's last committed seq, so that it
sees what other host processes committed before it began (host/service.py ``read_async``). One
query per read through the connection pool cost a thread hop, a pool checkout and four round
trips, and was most of a ticket's cost (docs/performance.md, PostgreSQL). Here the question is
asked on the event loop, on one connection of its own, and one query answers every reader that
asked before it was sent (of any branch: a region host asks for all of them at once). A reader
never takes the answer of a query sent before it asked: that one may predate a commit it must see.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from typing import Any

from branchq.host.storage.faults import StorageError

_QUERY = "SELECT branch, last_seq FROM branch_state WHERE branch = ANY(%s)"
RETRY_AFTER_S = 1.0  # after a failed connection, readers serve local state this long unasked
CONNECT_TIMEOUT_S = 2


class _OnLoop:
    """The connection and the waiting readers of one event loop."""

    def __init__(self) -> None:
        self.conn: Any = None  # psycopg.AsyncConnection, opened on first use
        self.waiting: dict[str, list[asyncio.Future[int]]] = {}
        self.running = False
        self.failed_at = -RETRY_AFTER_S


class CommittedSeqs:
    """The last committed seq of branches of one database (see the module docstring)."""

    def __init__(self, connect_args: dict[str, Any]) -> None:
        self._connect_args = connect_args
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _OnLoop] = (
            weakref.WeakKeyDictionary())

    async def last_seq(self, branch: str) -> int:
        """The branch's last committed seq, read after this call began; raises
        :class:`StorageError` when the database cannot answer."""
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state is None:
            state = self._loops[loop] = _OnLoop()
        if time.monotonic() - state.failed_at < RETRY_AFTER_S:
            raise StorageError("the database was unreachable a moment ago")
        future: asyncio.Future[int] = loop.create_future()
        state.waiting.setdefault(branch, []).append(future)
        if not state.running:
            state.running = True
            loop.create_task(self._rounds(state))
        return await future

    async def _rounds(self, state: _OnLoop) -> None:
        """Query for every reader waiting, until none is left."""
        import psycopg

        try:
            while state.waiting:
                asked, state.waiting = state.waiting, {}
                try:
                    if state.conn is None:
                        state.conn = await psycopg.AsyncConnection.connect(
                            autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                            **self._connect_args)
                    cursor = await state.conn.execute(_QUERY, (list(asked),), prepare=True)
                    found = {str(b): int(seq) for b, seq in await cursor.fetchall()}
                except psycopg.Error as err:
                    self._drop(state)
                    state.failed_at = time.monotonic()
                    _answer(asked, StorageError(f"last committed seq: {str(err).strip()}"))
                    continue
                _answer(asked, found)
        finally:
            state.running = False

    @staticmethod
    def _drop(state: _OnLoop) -> None:
        if state.conn is not None:
            # psycopg's close only finishes the libpq connection: no need for the loop.
            state.conn.pgconn.finish()
            state.conn = None

    def close(self) -> None:
        for state in list(self._loops.values()):
            self._drop(state)


def _answer(asked: dict[str, list[asyncio.Future[int]]],
            result: dict[str, int] | StorageError) -> None:
    """Each waiting reader gets its branch's seq (0: no such branch yet), or the failure."""
    for branch, futures in asked.items():
        for future in futures:
            if future.done():  # the reader was cancelled
                continue
            if isinstance(result, StorageError):
                future.set_exception(result)
            else:
                future.set_result(result.get(branch, 0))
