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
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeVar

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import SQLAlchemyError

from branchq.host.config import BranchConfig
from branchq.host.engine import EngineError, Event, QueueEngine
from branchq.host.hub import EventHub
from branchq.host.insight.estimate import ProjectedWait
from branchq.host.insight.history import NO_HISTORY, BranchHistory, load_history
from branchq.host.storage import StorageError, StorageMissing, StorageRefused, Store, WriteTransaction
from branchq.host.webhooks import Webhooks

log = logging.getLogger("branchq.service")

Command = Callable[[QueueEngine, datetime], list[Event]]
T = TypeVar("T")
_BATCH_MAX = 64
CHECKPOINT_INTERVAL_S = 1.0
SECOND_SERVICE_CHECK_S = 1.0  # how late at most a counter's second service ends after its time
EXPIRY_ACTOR = "host:timer"


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

    def known(self) -> dict[str, datetime]:
        """Every kiosk heard from since this process started, and when last."""
        return dict(self._seen)


@dataclass
class _Pending:
    command: Command
    future: asyncio.Future[list[Event]]
    loop: asyncio.AbstractEventLoop


class BranchService:
    """Owns the engine for one branch; see the module docstring for the threading model."""

    def __init__(self, config: BranchConfig, store: Store,
                 clock: Callable[[], datetime] = utcnow, listen: bool = True) -> None:
        """``listen=False``: someone else LISTENs for other processes' commits and hands this
        service its notifications (:meth:`notified`): a region host has one listener for all
        its branches (``host/region.py``)."""
        self.config = config
        self._listens = listen
        self.store = store
        self.clock = clock
        self.hub = EventHub()
        self.kiosks = KioskLiveness()
        self.webhooks = Webhooks(config, store, clock)
        # What past business days taught the wait estimate, and the day it was read for.
        self.history: BranchHistory = NO_HISTORY
        self._history_day: date | None = None
        self.engine = self._new_engine()
        self._lock = threading.Lock()  # guards self.engine
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None  # where subscribers live (PostgreSQL)
        self._dirty = False  # memory may hold a batch that never committed
        self._loaded = False  # migrated and rebuilt (load)
        self._fault: StorageError | None = None  # why the last write failed, until one works
        self._write_lock = threading.Lock()  # one writer: a batch, or a probe of a fault

    # ------------------------------------------------------------------ life cycle
    def load(self, migrate: bool = True) -> None:
        """Migrate the database (unless the caller did: a region migrates once for all its
        branches) and rebuild the engine from its log; raises
        :class:`branchq.host.engine.ReplayError` naming the first event that does not replay."""
        if migrate:
            self.store.migrate()
        self._learn_history()
        self._rebuild()
        self._loaded = True
        try:  # a database that takes no writes is reported from the start, not at the first ticket
            self.store.probe_write()
        except StorageError as err:
            self._note_fault(err)

    def start(self) -> None:
        if not self._loaded:
            self.load()
        self.hub.start_after(self.engine.seq)
        self._stopping.clear()
        self._thread = threading.Thread(target=self._writer, name="branchq-writer", daemon=True)
        self._thread.start()
        threading.Thread(target=self._housekeeping, name="branchq-housekeeping", daemon=True).start()
        self.webhooks.start()
        if self.store.shared:
            self._loop = asyncio.get_running_loop()
            if self._listens:
                threading.Thread(target=self._listen, name="branchq-listen", daemon=True).start()

    def stop(self) -> None:
        self._stopping.set()
        self.webhooks.stop()
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
                        self.notified(int(payload.rpartition(":")[2]))
            except (StorageError, SQLAlchemyError) as err:
                log.warning("event notifications: %s; listening again in 1 s", err)
            self._stopping.wait(1.0)

    def notified(self, seq: int) -> None:
        """A commit of this branch up to ``seq`` was announced (raises SQLAlchemyError when the
        database cannot be read)."""
        if seq > self.engine.seq:  # not our own commit, not yet seen
            self._apply_foreign()

    def catch_up(self) -> None:
        """Apply whatever other processes committed (after the listener reconnected)."""
        self._apply_foreign()

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

    async def end_second_services_when_due(self) -> None:
        """Runs as long as the host: ends each counter's second service once its time is up.
        The end is an engine command like any other, so the log says when it ended and a replay
        rebuilds the same counters (the engine itself never looks at a clock)."""
        while True:
            await asyncio.sleep(SECOND_SERVICE_CHECK_S)
            with self._lock:  # memory only: a second a day is no reason for a database query
                due = _second_service_due(self.engine, self.clock())
            if not due:
                continue
            try:
                await self.execute(lambda engine, at: engine.end_due_second_services(
                    at, EXPIRY_ACTOR))
            except (EngineError, StorageError, CommandFailed) as err:
                log.warning("second services not ended yet (%s); trying again in %.0f s", err,
                            SECOND_SERVICE_CHECK_S)

    def writer_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _housekeeping(self) -> None:
        while not self._stopping.wait(CHECKPOINT_INTERVAL_S):
            try:
                self.store.checkpoint()
                self.webhooks.housekeeping(self.clock())  # phone numbers end with their day
                if self._dirty or self.storage_fault() is not None:
                    self.probe_storage()
            except Exception:  # the recovery of later faults must not end with this one
                log.exception("housekeeping failed; trying again in %.0f s", CHECKPOINT_INTERVAL_S)

    def _rebuild(self) -> None:
        """Rebuild the engine from the event log (start-up, or after a failed transaction)."""
        with self._lock:
            engine = self._new_engine()
            engine.replay(self.store.load_events(0))
            self.engine = engine
        log.info("engine rebuilt from the event log up to seq %d", self.engine.seq)

    def _new_engine(self) -> QueueEngine:
        """An empty engine with the real wait estimator (a fresh one: its memo is per engine)."""
        return QueueEngine(self.config, ProjectedWait(self.history))

    def _learn_history(self, when_new_day: bool = False) -> None:
        """Read what the last business days taught the wait estimate from the stored tickets
        (host/insight/history.py): at start, and after the first batch of a new business day
        (``when_new_day``; otherwise a comparison of dates). A database that cannot be read
        leaves the history as it was until the next batch tries again."""
        tz = self.config.branch.tz
        today = self.clock().astimezone(tz).date()
        if when_new_day and today == self._history_day:
            return
        try:
            history = load_history(self.store, tz, today)
        except (SQLAlchemyError, StorageError) as err:
            log.warning("past days' service times not read (%s); trying again later", err)
            return
        self.history, self._history_day = history, today
        with self._lock:
            if isinstance(self.engine.estimator, ProjectedWait):
                self.engine.estimator.learn(history)

    # ------------------------------------------------------------------ storage faults
    def storage_fault(self) -> StorageError | None:
        """What keeps commands from being stored now, as far as known (None: nothing)."""
        try:
            self.store.check_file()
        except StorageMissing as err:
            return err
        return self._fault

    def probe_storage(self) -> None:
        """Try a write while a fault is known: the fault clears by itself once the database
        takes writes again (space freed, permissions fixed, the folder of a deleted SQLite
        file back: its data is then written back first)."""
        with self._write_lock:
            try:
                if self.store.recover_file():
                    self._dirty = True  # reopened: read the engine back from the new file
                self.store.probe_write()
                if self._dirty:
                    self._rebuild_after_failure()
            except StorageError as err:
                self._note_fault(err)
            else:
                self._clear_fault()

    def _note_fault(self, err: StorageError) -> None:
        if isinstance(err, StorageRefused):
            return  # the data was at fault, not the database
        if self._fault is None or type(self._fault) is not type(err):
            log.error("the database takes no writes (%s): %s", err.kind, err)
        self._fault = err
        self.store.reset_connections()

    def _clear_fault(self) -> None:
        if self._fault is not None:
            log.warning("the database takes writes again (it was %s)", self._fault.kind)
            self._fault = None
            self.store.reset_connections()  # none opened during the fault stays in the pool

    # ------------------------------------------------------------------ commands
    async def execute(self, command: Command) -> list[Event]:
        """Run ``command`` in the writer; return its events once they are durably stored.

        Raises the command's EngineError; :class:`CommandFailed` when it raised anything else
        (a bug: it left no trace); StorageError when it could not be stored.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Event]] = loop.create_future()
        self._queue.put(_Pending(command, future, loop))
        return await future

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
            with self._write_lock:
                try:
                    self._commit(batch)
                except Exception:  # the writer must survive anything, and answer every caller
                    failure = _failure("writer batch failed")
                    self._rebuild_after_failure()
                    for item in batch:
                        item.loop.call_soon_threadsafe(_resolve, item.future, failure)
                self._learn_history(when_new_day=True)

    def _commit(self, batch: list[_Pending]) -> None:
        if self._dirty:
            self._rebuild_after_failure()
            if self._dirty:  # never apply a command to a state the database does not hold
                down = self._fault or StorageError("the database is not reachable")
                for item in batch:
                    item.loop.call_soon_threadsafe(_resolve, item.future, down)
                return
        results: list[list[Event] | BaseException]
        stored: list[Event] = []
        foreign: list[Event] = []
        try:
            results, stored, foreign = self._transaction(batch)
        except StorageRefused as err:
            if len(batch) > 1:
                # Which command's data the database refused is not known: each goes alone,
                # so the refused one gets its 422 and the others are stored.
                log.warning("the database refused a batch of %d (%s); storing each alone",
                            len(batch), err)
                for item in batch:
                    self._commit([item])
                return
            results = [err]
        except StorageError as err:
            log.error("could not store %d command(s): %s", len(batch), err)
            self._note_fault(err)
            results = [err] * len(batch)
        else:
            self._clear_fault()
        if stored or foreign:  # subscribers first: an answer never comes before its event
            batch[0].loop.call_soon_threadsafe(self.hub.publish, foreign + stored)
        # Hand each caller the stored (seq-numbered) copies of its own events.
        by_identity = iter(stored)
        for item, result in zip(batch, results, strict=True):
            if isinstance(result, list):
                result = [next(by_identity) for _ in result]
            item.loop.call_soon_threadsafe(_resolve, item.future, result)

    def _transaction(self, batch: list[_Pending]
                     ) -> tuple[list[list[Event] | BaseException], list[Event], list[Event]]:
        """Apply the batch and store it in one transaction: (each command's events or error,
        the stored events, the events of other host processes applied first). When it does not
        commit, the engine goes back to what the database holds."""
        before = (self.engine, self.engine.applied)
        committed = False
        try:
            with self.store.write_transaction() as tx:
                # The engine lock covers only in-memory work, never the database round trips,
                # so reads are not held up by an fsync.
                with self._lock:
                    foreign = tx.events_since(self.engine.seq)  # other host processes' events
                    self.engine.replay(foreign)
                    results, new = self._apply(batch, tx)
                    rows = tx.prepare(new, self.engine.tickets)
                    if rows.events:
                        # Claimed now, so a concurrent catch-up read never applies them twice.
                        self.engine.seq = rows.events[-1].seq
                    planned = self.webhooks.plan(self.engine, rows.events, self.clock())
                stored = tx.append(rows)
                # The deliveries these events cause commit with them, or not at all.
                self.webhooks.enqueue(tx.conn, planned, self.clock())
            committed = True
            self.webhooks.committed(planned)
        finally:
            if not committed and (self.engine, self.engine.applied) != before:
                self._rebuild_after_failure()
        return results, stored, foreign

    def _apply(self, batch: list[_Pending], tx: WriteTransaction
               ) -> tuple[list[list[Event] | BaseException], list[Event]]:
        """Run each command on the engine. One that raises leaves no trace: the engine goes
        back to the state before it, and the next command goes on from there."""
        results: list[list[Event] | BaseException] = []
        new: list[Event] = []
        for item in batch:
            applied = self.engine.applied
            try:
                events = item.command(self.engine, self.clock())
            except Exception as err:  # one command's fault must not touch the others
                if self.engine.applied != applied:
                    self._roll_back(tx, new)
                results.append(err if isinstance(err, EngineError) else _failure("command failed"))
                continue
            results.append(events)
            new.extend(events)
        return results, new

    def _roll_back(self, tx: WriteTransaction, new: list[Event]) -> None:
        """Put the engine back to the database's state plus this batch's events so far (a
        command failed half-way; its events are not among ``new``)."""
        engine = self._new_engine()
        engine.replay(tx.events_since(0))
        engine.replay(new)
        self.engine = engine

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
        use :meth:`read_async`). A SQLite database has one host process (docs/architecture.md §7):
        memory is up to date and the query runs without I/O.
        """
        if self.store.shared:
            try:
                if self.store.last_seq() > self.engine.seq:
                    self._apply_foreign()
            except SQLAlchemyError as err:
                # Serve what this process knows rather than fail a read; writes report the fault.
                log.warning("catch-up read failed, serving local state: %s", err)
        return self.read_local(query)

    def read_local(self, query: Callable[[QueueEngine], T]) -> T:
        """Run ``query`` on the engine as this process holds it (no I/O: the caller has
        caught up with other processes, or does not need to)."""
        with self._lock:
            return query(self.engine)

    async def read_async(self, query: Callable[[QueueEngine], T]) -> T:
        """:meth:`read` for the event loop: on PostgreSQL the database is asked on the loop,
        with one query for every read waiting (``host/storage/seqwatch.py``), and only events
        to catch up with take a worker thread."""
        committed = self.store.committed
        if committed is not None:
            try:
                if await committed.last_seq(self.store.branch) > self.engine.seq:
                    await run_in_threadpool(self._apply_foreign)
            except (StorageError, SQLAlchemyError) as err:
                # Serve what this process knows rather than fail a read; writes report the fault.
                log.warning("catch-up read failed, serving local state: %s", err)
        return self.read_local(query)


class CommandFailed(Exception):
    """A command raised something other than a refusal by the queue rules: a bug. It left no
    trace; the log has the traceback under :attr:`error_id`."""

    def __init__(self, error_id: str) -> None:
        super().__init__(f"internal error {error_id}")
        self.error_id = error_id


def _second_service_due(engine: QueueEngine, now: datetime) -> bool:
    return any(c.second_until is not None and c.second_until <= now
               for c in engine.counters.values())


def _failure(what: str) -> CommandFailed:
    """Log the exception being handled with a fresh error id (call from an ``except`` block)."""
    failure = CommandFailed(uuid.uuid4().hex[:12])
    log.exception("%s [error id %s]", what, failure.error_id)
    return failure


def _resolve(future: asyncio.Future[list[Event]], result: list[Event] | BaseException) -> None:
    if future.done():  # cancelled, or already answered (the writer's last-resort answer)
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
