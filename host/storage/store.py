"""Durable storage: the event log, the ticket projection and API tokens, on SQLite or PostgreSQL.

Durability: SQLite runs in WAL mode with ``synchronous=FULL``, so every commit is fsync'ed to the
WAL before the host acknowledges it; an acknowledged ticket survives a crash of the process *and*
of the machine (``NORMAL`` would survive only a process crash). PostgreSQL commits are durable
with its default ``synchronous_commit=on``.

Writers serialise per branch on the ``branch_state`` row (SQLite: ``BEGIN IMMEDIATE`` takes the
database write lock; PostgreSQL: ``SELECT ... FOR UPDATE``), so event sequence numbers, and with
them ticket numbers, are gap-free and unique across every host process sharing the database.
"""

from __future__ import annotations

import logging
import sqlite3
import time
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    RootTransaction,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError

from branchq.host.engine.events import DAY_OPENED, TICKET_ISSUED, Event
from branchq.host.engine.model import Ticket, TicketStatus
from branchq.host.storage.direct import DirectStatements
from branchq.host.storage.faults import (
    SqliteFile,
    StorageError,
    StorageRefused,
    storage_error,
)
from branchq.host.storage.migrations import HEAD
from branchq.host.storage.seqwatch import CommittedSeqs
from branchq.host.storage.tables import api_tokens, branch_state, events, tickets

log = logging.getLogger("branchq.storage")

_MIGRATIONS = Path(__file__).parent / "migrations"
NOTIFY_CHANNEL = "branchq_events"
_PG_MIGRATION_LOCK = 0x6272_7100  # "brq\0": one migrator at a time across host processes


# The statements of the write path, built once and run by branchq.host.storage.direct (compiled once per
# dialect, executed on the DB-API cursor): the writer thread that every request waits for spends
# a few microseconds per statement instead of about 0.1 ms.
_LOCK_STATE = select(branch_state.c.last_seq).where(branch_state.c.branch == bindparam("b_branch"))
_LOCK_STATE_SHARED = _LOCK_STATE.with_for_update()  # PostgreSQL: other host processes wait
_SET_LAST_SEQ = (update(branch_state).where(branch_state.c.branch == bindparam("b_branch"))
                 .values(last_seq=bindparam("b_last_seq")))
_EVENTS_AFTER = (select(events)
                 .where(events.c.branch == bindparam("b_branch"), events.c.seq > bindparam("b_after"))
                 .order_by(events.c.seq))
_NOTIFY = select(func.pg_notify(bindparam("b_channel"), bindparam("b_payload")))
_INSERT_EVENTS = insert(events)
_INSERT_TICKETS = insert(tickets)
_UPDATE_TICKET = update(tickets).where(tickets.c.id == bindparam("b_id")).values(
    {c.name: bindparam(c.name) for c in tickets.columns if c.name != "id"})


def default_sqlite_url(var_dir: Path = Path("var")) -> str:
    var_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(var_dir / 'branchq.db').resolve()}"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    return Path(database) if database and database != ":memory:" else None


def database_url(url: str) -> URL:
    """The SQLAlchemy URL of a database URL as operators write it.

    ``postgresql://`` means psycopg 3. libpq's multi-host form,
    ``postgresql://USER@HOST1:PORT1,HOST2:PORT2/DB?target_session_attrs=read-write`` (a primary
    and its standby: docs/deploy.md), is one SQLAlchemy's URL parser refuses; it becomes
    SQLAlchemy's own spelling of it, ``?host=HOST1:PORT1&host=HOST2:PORT2``, which psycopg gets
    back as libpq's host and port lists. Raises ``ValueError`` or SQLAlchemy's
    ``ArgumentError`` for what is not a URL.
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    parts = urlsplit(url)
    userinfo, _, hosts = parts.netloc.rpartition("@")
    if not url.startswith("postgresql") or "," not in hosts:
        return make_url(url)
    user, _, password = userinfo.partition(":")
    query: dict[str, str | tuple[str, ...]] = dict(parse_qsl(parts.query))
    query["host"] = tuple(h for h in hosts.split(",") if h)
    return URL.create(parts.scheme, username=unquote(user) or None,
                      password=unquote(password) or None,
                      database=unquote(parts.path.lstrip("/")) or None, query=query)


IDLE_PING_S = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled PostgreSQL connection before use when it sat idle for a second: the
    server may have restarted or failed over meanwhile. One in steady use is not checked
    (SQLAlchemy's ``pool_pre_ping`` cost every write batch and read a round trip); if it
    breaks in use, SQLAlchemy or the writer's fault handling drops the pool (host/service.py)."""

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < IDLE_PING_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as err:
            # The pool then opens a fresh connection in its place (SQLAlchemy's own recipe).
            raise DisconnectionError(f"a pooled connection was lost: {err}") from err


def make_engine(url: str, existing_file: bool = False, pool_size: int = 8) -> Engine:
    """Create the SQLAlchemy engine with the durability and locking settings described above.

    ``existing_file``: a SQLite connection never creates the file (a deleted database must
    not come back empty under its old name); :meth:`Store.migrate` creates it at first start.
    ``pool_size``: PostgreSQL connections kept (as many again opened at a peak); a region host,
    whose branches' writers share one pool, keeps more.
    """
    if not url.startswith("sqlite"):
        engine = create_engine(database_url(url), pool_size=pool_size, max_overflow=pool_size)
        _ping_when_idle(engine)
        return engine
    path = sqlite_file(url)
    if existing_file and path is not None:
        uri = f"file:{quote(str(path))}?mode=rw"
        engine = create_engine(url, creator=lambda: sqlite3.connect(
            uri, uri=True, timeout=30, check_same_thread=False))
    else:
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Checkpoints run from a background thread (Store.checkpoint), not inside a commit
        # that a customer is waiting for.
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Connection) -> None:
        # A write transaction takes the write lock up front, so two writers never deadlock
        # upgrading a read lock; plain reads stay concurrent under WAL.
        mode = "IMMEDIATE" if conn.get_execution_options().get("branchq_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


_COMMITTED: weakref.WeakKeyDictionary[Engine, CommittedSeqs] = weakref.WeakKeyDictionary()


def committed_seqs(engine: Engine) -> CommittedSeqs:
    """The one :class:`CommittedSeqs` of a connection pool (a region's branches share it)."""
    found = _COMMITTED.get(engine)
    if found is None:
        found = _COMMITTED[engine] = CommittedSeqs(connect_args(engine))
    return found


def connect_args(engine: Engine) -> dict[str, Any]:
    """psycopg's connection parameters for the engine's database (every host of a multi-host
    URL, ``target_session_attrs`` and all), for the connections kept outside the pool."""
    _args, kwargs = engine.dialect.create_connect_args(engine.url)
    return {k: v for k, v in kwargs.items() if k != "context"}  # SQLAlchemy's type adapters


@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str
    role: str
    counter: int | None
    counters: tuple[int, ...]
    created_at: datetime
    revoked_at: datetime | None


class Store:
    """All database access of the host. Methods are blocking: call them from a worker thread."""

    def __init__(self, url: str, branch: str, engine: Engine | None = None) -> None:
        """``engine``: a connection pool shared with the stores of other branches (a region
        host, ``host/region.py``); the store then never disposes of it on :meth:`close`."""
        self.url = url
        self.branch = branch
        self._own_engine = engine is None
        self.engine = engine if engine is not None else make_engine(url, existing_file=True)
        self.dialect = self.engine.dialect.name
        self.direct = DirectStatements(self.engine.dialect)
        # Several host processes may share a PostgreSQL database; a SQLite file has one.
        self.shared = self.dialect == "postgresql"
        path = sqlite_file(url)
        self.file = SqliteFile(path) if path is not None else None
        self.committed = committed_seqs(self.engine) if self.shared else None
        # The last seq this store committed: where the next write transaction's read of other
        # processes' events starts (None: not known yet, read them when asked).
        self._committed_seq: int | None = None

    def close(self) -> None:
        if self._own_engine:
            if self.committed is not None:
                self.committed.close()
            self.engine.dispose()
        if self.file is not None:
            self.file.close()

    # ------------------------------------------------------------------ schema
    def migrate(self) -> None:
        """Create or upgrade the schema to the newest revision; safe with concurrent starters."""
        try:
            if self.file is not None and not self.file.path.exists():
                sqlite3.connect(self.file.path).close()  # a new branch: an empty database
            if self._up_to_date():
                self._adopt_file()
                return  # nothing to write: a read-only database still starts, read-only
            with self._write() as conn:
                if self.dialect == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
                _upgrade(conn)
                exists = conn.execute(
                    select(branch_state.c.branch).where(branch_state.c.branch == self.branch)
                ).first()
                if exists is None:
                    conn.execute(insert(branch_state).values(branch=self.branch, last_seq=0))
            self._adopt_file()
        except (SQLAlchemyError, sqlite3.Error, OSError) as err:
            raise StorageError(f"cannot prepare the database: {err}") from err

    def _up_to_date(self) -> bool:
        """The schema is at the newest revision and this branch has its row (a read only)."""
        with self.engine.connect() as conn:
            if not sa_inspect(conn).has_table("alembic_version"):
                return False
            if conn.execute(text("SELECT version_num FROM alembic_version")).all() != [(HEAD,)]:
                return False
            query = select(branch_state.c.branch).where(branch_state.c.branch == self.branch)
            return conn.execute(query).first() is not None

    def _adopt_file(self) -> None:
        if self.file is not None:
            self.file.adopt()

    def recover_file(self) -> bool:
        """SQLite: if the database file was deleted while the host ran and its folder exists
        again, write the data back and reopen it (call from the writer, between transactions);
        True when done."""
        if self.file is None or not self.file.restore():
            return False
        self.engine.dispose()  # pooled connections hold the deleted file
        self.file.adopt()
        return True

    def check_file(self) -> None:
        """Raise :class:`StorageMissing` if the SQLite file was deleted or replaced."""
        if self.file is not None:
            self.file.check()

    def reset_connections(self) -> None:
        """Drop pooled connections after a fault: one opened while the database was read-only
        stays read-only even after the fault is fixed."""
        self.engine.dispose()

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(branchq_write=True) as conn:
            with conn.begin():
                yield conn

    @contextmanager
    def write_transaction(self) -> Iterator[WriteTransaction]:
        """Open a write transaction holding the branch lock; on clean exit write the rows
        appended and commit.

        PostgreSQL, two round trips (docs/performance.md): the lock goes with a read of the
        events committed after the last seq this store committed (other processes' events,
        usually none), and the rows go with the COMMIT. Each of the two statements of the first
        sees what was committed before it ran, so the events read are those of every writer
        that held the lock before us.
        """
        self.check_file()
        try:
            conn, transaction, tx = self._locked()
            with conn, transaction:
                yield tx
                tx.flush(commit=self.shared)
                self.check_file()  # never commit (and acknowledge) into a deleted file
            self._committed_seq = tx.last_seq
        except SQLAlchemyError as err:
            raise storage_error(err) from err

    def _locked(self) -> tuple[Connection, RootTransaction, WriteTransaction]:
        """A connection in a write transaction that holds the branch lock.

        A pooled PostgreSQL connection found dead at the first round trip (the server restarted,
        failed over or ended the session since it was last used) is replaced once, with the
        rest of the pool, as SQLAlchemy's pre-ping would have: nothing was done in it yet.
        """
        for last_try in (not self.shared, True):
            conn = self.engine.connect().execution_options(branchq_write=True)
            try:
                transaction = conn.begin()
                return conn, transaction, self._begin(conn)
            except SQLAlchemyError:
                raw = conn.connection.dbapi_connection if not conn.invalidated else None
                lost = raw is None or bool(getattr(raw, "closed", False))
                if lost:
                    conn.invalidate()
                conn.close()
                if lost:
                    self.engine.dispose()  # its pooled siblings are most likely dead too
                if last_try or not lost:
                    raise
        raise AssertionError("unreachable")  # the last try returns or raises

    def _begin(self, conn: Connection) -> WriteTransaction:
        params = {"b_branch": self.branch}
        after = self._committed_seq if self.shared else None
        with self.direct.pipeline(conn):
            lock = self.direct.execute(conn, _LOCK_STATE_SHARED if self.shared else _LOCK_STATE,
                                       params)
            newer = (None if after is None else
                     self.direct.execute(conn, _EVENTS_AFTER, {**params, "b_after": after}))
        (last_seq,) = lock.fetchone()
        lock.close()
        tx = WriteTransaction(self, conn, int(last_seq))
        if after is not None and newer is not None:
            rows = self.direct.get(_EVENTS_AFTER, ("b_branch", "b_after")).fetch_all(newer)
            tx.read_ahead(after, [_event(r) for r in rows])
        return tx

    def probe_write(self) -> None:
        """One small real write (this branch's row rewritten as it is); raises the kind of
        :class:`StorageError` that keeps the database from taking writes."""
        with self.write_transaction() as tx:
            self.direct.execute(tx.conn, _SET_LAST_SEQ,
                                {"b_branch": self.branch, "b_last_seq": tx.last_seq}).close()

    def listen(self, timeout: float) -> Iterator[str]:
        """Yield the payload (``branch:seq``) of every commit notification, on a dedicated
        PostgreSQL connection; returns when the connection breaks (the caller reconnects)."""
        import psycopg

        try:
            with psycopg.connect(autocommit=True, connect_timeout=5,
                                 **connect_args(self.engine)) as conn:
                conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                yield "connected"
                while True:
                    for note in conn.notifies(timeout=timeout):
                        yield note.payload
                    yield ""  # a heartbeat, so the caller can check whether to stop
        except psycopg.Error as err:
            raise StorageError(f"event notifications: {err}") from err

    def checkpoint(self) -> None:
        """Copy the SQLite WAL into the database file without blocking writers (no-op on
        PostgreSQL). Called periodically by the host's maintenance thread."""
        if self.dialect != "sqlite":
            return
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except SQLAlchemyError as err:
            log.warning("WAL checkpoint failed: %s", err)

    # ------------------------------------------------------------------ reads
    def last_seq(self) -> int:
        with self.engine.connect() as conn:
            query = select(branch_state.c.last_seq).where(branch_state.c.branch == self.branch)
            return int(conn.execute(query).scalar_one())

    def load_events(self, after: int = 0, limit: int | None = None) -> list[Event]:
        with self.engine.connect() as conn:
            return self._events_after(conn, after, limit)

    def _events_after(self, conn: Connection, after: int, limit: int | None) -> list[Event]:
        query = (
            select(events)
            .where(events.c.branch == self.branch, events.c.seq > after)
            .order_by(events.c.seq)
        )
        if limit is not None:
            query = query.limit(limit)
        return [_event(r._mapping) for r in conn.execute(query)]

    def ticket_row(self, ticket_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(tickets).where(tickets.c.id == ticket_id)).first()
        return dict(row._mapping) if row else None

    def count_tickets(self, day: date) -> int:
        with self.engine.connect() as conn:
            query = select(func.count()).select_from(tickets).where(
                tickets.c.branch == self.branch, tickets.c.business_day == day
            )
            return int(conn.execute(query).scalar_one())

    # ------------------------------------------------------------------ tokens
    def add_token(self, name: str, role: str, counter: int | None, token_hash: str,
                  created_at: datetime, counters: tuple[int, ...] = ()) -> int:
        with self._write() as conn:
            result = conn.execute(
                insert(api_tokens).values(
                    branch=self.branch, name=name, role=role, counter=counter,
                    counters=",".join(str(c) for c in counters),
                    token_hash=token_hash, created_at=created_at, note="",
                )
            )
            return inserted_id(result)

    def find_token(self, token_hash: str) -> TokenRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(api_tokens).where(
                    api_tokens.c.token_hash == token_hash,
                    api_tokens.c.branch == self.branch,
                    api_tokens.c.revoked_at.is_(None),
                )
            ).first()
        return _token(row) if row else None

    def find_token_any_branch(self, token_hash: str) -> tuple[str, TokenRow] | None:
        """(branch, token) of an active token of any branch: a region host serves every branch
        and learns the request's branch from its credential (docs/deploy.md, region)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(api_tokens).where(api_tokens.c.token_hash == token_hash,
                                         api_tokens.c.revoked_at.is_(None))
            ).first()
        return (str(row.branch), _token(row)) if row else None

    def list_tokens(self) -> list[TokenRow]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(api_tokens).where(api_tokens.c.branch == self.branch).order_by(api_tokens.c.id)
            )
            return [_token(r) for r in rows]

    def revoke_token(self, token_id: int, at: datetime) -> bool:
        with self._write() as conn:
            result = conn.execute(
                update(api_tokens)
                .where(api_tokens.c.id == token_id, api_tokens.c.branch == self.branch,
                       api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            return result.rowcount == 1


def _upgrade(conn: Connection) -> None:
    """Alembic's upgrade to the newest revision on ``conn`` (imported here: a start on an
    up-to-date database never needs Alembic)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def inserted_id(result: CursorResult[Any]) -> int:
    """The integer key of the row a single-row INSERT just wrote."""
    key = result.inserted_primary_key
    if key is None:  # only for an INSERT of several rows or with RETURNING, which we never send
        raise StorageError("the database reported no key for the new row")
    return int(key[0])


def _event(row: Mapping[Any, Any]) -> Event:
    return Event(row["kind"], row["at"], row["actor"], row["ticket_id"], row["counter"],
                 dict(row["data"]), int(row["seq"]))


def _token(row: Any) -> TokenRow:
    counters = tuple(int(c) for c in row.counters.split(",") if c)
    return TokenRow(row.id, row.name, row.role, row.counter, counters, row.created_at,
                    row.revoked_at)


class WriteTransaction:
    """One write transaction: catch up with events other processes wrote, then append ours."""

    def __init__(self, store: Store, conn: Connection, last_seq: int) -> None:
        self.store = store
        self.conn = conn
        self.last_seq = last_seq
        self._read_after: int | None = None  # the events after this seq are in _read
        self._read: list[Event] = []
        self._pending: list[PreparedRows] = []

    def read_ahead(self, after: int, newer: list[Event]) -> None:
        """The events after ``after`` up to :attr:`last_seq`, read with the lock."""
        self._read_after, self._read = after, newer

    def events_since(self, seq: int) -> list[Event]:
        if seq >= self.last_seq:
            return []
        if self._read_after is not None and seq >= self._read_after:
            return [e for e in self._read if e.seq > seq]
        return self.store._events_after(self.conn, seq, None)

    def prepare(self, new_events: list[Event], live: dict[str, Ticket]) -> PreparedRows:
        """Number the events and snapshot the rows to write (called under the engine lock, so
        the ticket state copied is consistent); no I/O."""
        stored = [
            Event(e.kind, e.at, e.actor, e.ticket_id, e.counter, e.data, seq)
            for seq, e in enumerate(new_events, start=self.last_seq + 1)
        ]
        new_ids = {e.ticket_id for e in stored if e.kind == TICKET_ISSUED}
        touched = {e.ticket_id for e in stored if e.ticket_id and e.ticket_id in live}
        branch = self.store.branch
        return PreparedRows(
            events=stored,
            inserts=[_ticket_values(branch, live[t]) for t in touched if t in new_ids],
            updates=[_ticket_values(branch, live[t]) for t in touched if t not in new_ids],
        )

    def append(self, rows: PreparedRows) -> list[Event]:
        """Store the prepared events and ticket rows with the commit (when the transaction
        ends); returns the events with their ``seq``."""
        if not rows.events:
            return []
        self._pending.append(rows)
        self.last_seq = rows.events[-1].seq
        return rows.events

    def flush(self, commit: bool) -> None:
        """Write the rows appended (PostgreSQL: in one round trip, with the COMMIT when
        ``commit``); the event log's seq and, on PostgreSQL, the notification go with them."""
        if not self._pending:
            return
        store = self.store
        try:
            for rows in self._pending:
                self._expire_past_days(rows)
            with store.direct.pipeline(self.conn, commit=commit):
                for rows in self._pending:
                    self._write(rows)
                store.direct.execute(self.conn, _SET_LAST_SEQ, {
                    "b_branch": store.branch, "b_last_seq": self.last_seq}).close()
                if store.shared:
                    # Delivered to every listening host process when (and only if) this commits.
                    store.direct.execute(self.conn, _NOTIFY, {
                        "b_channel": NOTIFY_CHANNEL,
                        "b_payload": f"{store.branch}:{self.last_seq}"}).close()
        except (TypeError, ValueError, OverflowError) as err:
            # A value the driver cannot convert (a date out of range, a wrong type): the data
            # is at fault, not the database.
            raise StorageRefused(f"{type(err).__name__}: {err}") from err
        self._pending = []

    def _expire_past_days(self, rows: PreparedRows) -> None:
        """A new business day ends the tickets left from earlier days (once a day: not worth
        a direct statement)."""
        for e in rows.events:
            if e.kind == DAY_OPENED:
                self.conn.execute(
                    update(tickets)
                    .where(tickets.c.branch == self.store.branch,
                           tickets.c.business_day < date.fromisoformat(e.data["day"]),
                           tickets.c.status.in_([TicketStatus.WAITING, TicketStatus.CALLED,
                                                 TicketStatus.PRINTING]))
                    .values(status=TicketStatus.EXPIRED.value)
                )

    def _write(self, rows: PreparedRows) -> None:
        branch = self.store.branch
        direct = self.store.direct
        direct.execute_many(
            self.conn, _INSERT_EVENTS,
            [
                {"branch": branch, "seq": e.seq, "kind": e.kind, "at": e.at, "actor": e.actor,
                 "ticket_id": e.ticket_id, "counter": e.counter, "data": e.data}
                for e in rows.events
            ],
        )
        direct.execute_many(self.conn, _INSERT_TICKETS, rows.inserts)
        direct.execute_many(self.conn, _UPDATE_TICKET, [_keyed_by_id(v) for v in rows.updates])


@dataclass(frozen=True)
class PreparedRows:
    events: list[Event]
    inserts: list[dict[str, Any]]
    updates: list[dict[str, Any]]


def _keyed_by_id(values: dict[str, Any]) -> dict[str, Any]:
    """Parameters for _UPDATE_TICKET: the id only in its WHERE clause, never SET."""
    params = dict(values)
    params["b_id"] = params.pop("id")
    return params


def _ticket_values(branch: str, t: Ticket) -> dict[str, Any]:
    return {
        "id": t.id, "branch": branch, "business_day": t.business_day, "service": t.service,
        "number": t.number, "label": t.label, "priority": t.priority.value,
        "status": t.status.value, "channel": t.channel, "issued_at": t.issued_at,
        "called_at": t.called_at, "finished_at": t.finished_at, "counter": t.counter,
        "recalls": t.recalls, "routed_from": t.routed_from, "transferred_from": t.transferred_from,
    }
