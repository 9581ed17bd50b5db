"""The branch service: the one place where commands meet the engine and the database.

A single writer thread takes commands from a queue and applies them in batches: one database
transaction per batch (group commit), so sixteen kiosks issuing at once cost one fsync, not
sixteen. A command is acknowledged (its future resolved) only after its batch has committed.
Inside the transaction the writer first applies events that other host processes committed, so
several processes on one PostgreSQL database see one consistent queue.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import SQLAlchemyError

from host.config import BranchConfig
from host.engine import EngineError, Event, QueueEngine
from host.hub import EventHub
from host.storage import StorageError, Store

log = logging.getLogger("branchq.service")

Command = Callable[[QueueEngine, datetime], list[Event]]
T = TypeVar("T")
_BATCH_MAX = 64
CHECKPOINT_INTERVAL_S = 1.0


def utcnow() -> datetime:
    return datetime.now(UTC)


class KioskLiveness:
    """When each kiosk last sent a heartbeat and what offline numbers it holds.

    Kept in memory only: it is rebuilt within one heartbeat period after a restart, and a
    heartbeat every few seconds does not belong in the event log."""

    def __init__(self) -> None:
        self._seen: dict[str, datetime] = {}
        self.offline_numbers_left: dict[str, dict[str, int]] = {}

    def beat(self, kiosk: str, at: datetime, offline_numbers_left: dict[str, int]) -> None:
        self._seen[kiosk] = at
        self.offline_numbers_left[kiosk] = dict(offline_numbers_left)

    def last_seen(self, kiosk: str) -> datetime | None:
        return self._seen.get(kiosk)


@dataclass
class _Pending:
    command: Command
    future: asyncio.Future[list[Event]]
    loop: asyncio.AbstractEventLoop


class BranchService:
    """Owns the engine for one branch; see the module docstring for the threading model."""

    def __init__(self, config: BranchConfig, store: Store,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.hub = EventHub()
        self.kiosks = KioskLiveness()
        self.engine = QueueEngine(config)
        self._lock = threading.Lock()  # guards self.engine
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None  # where subscribers live (PostgreSQL)
        self._dirty = False  # memory may hold a batch that never committed

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        self.store.migrate()
        self._rebuild()
        self.hub.start_after(self.engine.seq)
        self._stopping.clear()
        self._thread = threading.Thread(target=self._writer, name="branchq-writer", daemon=True)
        self._thread.start()
        threading.Thread(target=self._housekeeping, name="branchq-housekeeping", daemon=True).start()
        if self.store.shared:
            self._loop = asyncio.get_running_loop()
            threading.Thread(target=self._listen, name="branchq-listen", daemon=True).start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def _listen(self) -> None:
        """PostgreSQL only: events committed by *other* host processes (workers, or hosts behind
        a proxy) are applied here and published to this process's WebSocket subscribers."""
        while not self._stopping.is_set():
            try:
                for payload in self.store.listen(timeout=1.0):
                    if self._stopping.is_set():
                        return
                    if payload == "connected":
                        self._apply_foreign()  # catch up with what was missed while away
                    elif payload.startswith(f"{self.store.branch}:"):
                        seq = int(payload.rpartition(":")[2])
                        if seq > self.engine.seq:  # not our own commit, not yet seen
                            self._apply_foreign()
            except (StorageError, SQLAlchemyError) as err:
                log.warning("event notifications: %s; listening again in 1 s", err)
            self._stopping.wait(1.0)

    def _apply_foreign(self) -> None:
        """Apply events other host processes committed and publish them to our subscribers
        (raises SQLAlchemyError when the database cannot be read)."""
        fresh = self.store.load_events(self.engine.seq)
        applied = []
        with self._lock:
            for e in fresh:
                if e.seq > self.engine.seq:
                    self.engine.apply(e)
                    applied.append(e)
        if applied and self._loop is not None:
            self._loop.call_soon_threadsafe(self.hub.publish, applied)

    def writer_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _housekeeping(self) -> None:
        while not self._stopping.wait(CHECKPOINT_INTERVAL_S):
            self.store.checkpoint()

    def _rebuild(self) -> None:
        """Rebuild the engine from the event log (start-up, or after a failed transaction)."""
        with self._lock:
            engine = QueueEngine(self.config)
            engine.replay(self.store.load_events(0))
            self.engine = engine
        log.info("engine rebuilt from the event log up to seq %d", self.engine.seq)

    # ------------------------------------------------------------------ commands
    async def execute(self, command: Command) -> list[Event]:
        """Run ``command`` in the writer; return its events once they are durably stored.

        Raises the command's EngineError, or StorageError when the batch could not commit.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Event]] = loop.create_future()
        self._queue.put(_Pending(command, future, loop))
        return await future

    def execute_blocking(self, command: Command) -> list[Event]:
        """Same as :meth:`execute`, for callers without an event loop (CLI, tests)."""
        async def run() -> list[Event]:
            return await self.execute(command)
        return asyncio.run(run())

    def _writer(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < _BATCH_MAX:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)
                    break
                batch.append(item)
            try:
                self._commit(batch)
            except Exception:  # the writer must survive anything; each caller got its error
                log.exception("writer batch failed")

    def _commit(self, batch: list[_Pending]) -> None:
        if self._dirty:
            self._rebuild_after_failure()
            if self._dirty:  # never apply a command to a state the database does not hold
                down = StorageError("the database is not reachable")
                for item in batch:
                    item.loop.call_soon_threadsafe(_resolve, item.future, down)
                return
        results: list[list[Event] | BaseException] = []
        stored: list[Event] = []
        foreign: list[Event] = []
        try:
            with self.store.write_transaction() as tx:
                # The engine lock covers only in-memory work, never the database round trips,
                # so reads are not held up by an fsync.
                with self._lock:
                    foreign = tx.events_since(self.engine.seq)  # other host processes' events
                    self.engine.replay(foreign)
                    new: list[Event] = []
                    for item in batch:
                        try:
                            events = item.command(self.engine, self.clock())
                        except EngineError as err:
                            results.append(err)
                            continue
                        results.append(events)
                        new.extend(events)
                    rows = tx.prepare(new, self.engine.tickets)
                    if rows.events:
                        # Claimed now, so a concurrent catch-up read never applies them twice.
                        self.engine.seq = rows.events[-1].seq
                stored = tx.append(rows)
        except StorageError as err:
            log.error("could not store %d command(s): %s", len(batch), err)
            self._rebuild_after_failure()
            results = [err] * len(batch)
            stored = []
        # Hand each caller the stored (seq-numbered) copies of its own events.
        by_identity = iter(stored)
        for item, result in zip(batch, results, strict=True):
            if isinstance(result, list):
                result = [next(by_identity) for _ in result]
            item.loop.call_soon_threadsafe(_resolve, item.future, result)
        if stored or foreign:
            batch[0].loop.call_soon_threadsafe(self.hub.publish, foreign + stored)

    def _rebuild_after_failure(self) -> None:
        """The batch did not commit, but the engine applied it: rebuild from the log. With the
        database unreachable, keep serving reads from memory and rebuild before the next batch."""
        try:
            self._rebuild()
            self._dirty = False
        except (StorageError, SQLAlchemyError) as err:
            log.error("database unreachable; rebuilding when it is back: %s", err)
            self._dirty = True

    # ------------------------------------------------------------------ reads
    def read(self, query: Callable[[QueueEngine], T]) -> T:
        """Run ``query`` on an up-to-date engine.

        With PostgreSQL other host processes may have written since our last transaction, so
        their events are applied first (a database round trip: call from a worker thread, or
        use :meth:`read_async`). A SQLite database has one host process (DESIGN.md section 7):
        memory is up to date and the query runs without I/O.
        """
        if self.store.shared:
            try:
                if self.store.last_seq() > self.engine.seq:
                    self._apply_foreign()
            except SQLAlchemyError as err:
                # Serve what this process knows rather than fail a read; writes report the fault.
                log.warning("catch-up read failed, serving local state: %s", err)
        with self._lock:
            return query(self.engine)

    async def read_async(self, query: Callable[[QueueEngine], T]) -> T:
        if self.store.shared:
            return await run_in_threadpool(self.read, query)
        return self.read(query)


def _resolve(future: asyncio.Future[list[Event]], result: list[Event] | BaseException) -> None:
    if future.cancelled():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
