"""The PostgreSQL write and read path (docs/performance.md, PostgreSQL): a batch's lock goes with
the read of other processes' events and its rows with the COMMIT; reads ask for the committed
seq on the event loop, one query for every reader waiting; a multi-host URL finds the server
that takes writes."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from branchq.host.config import load_config
from branchq.host.engine import Event, QueueEngine
from branchq.host.insight.estimate import ProjectedWait
from branchq.host.storage import StorageRefused, Store
from branchq.host.storage.store import connect_args, database_url, make_engine
from tests.pg import PgServer, free_port

AT = datetime(2026, 11, 13, 1, 0, tzinfo=UTC)


def _note(text: str) -> list[Event]:
    return [Event("notice_posted", AT, "test", None, None, {"text": text})]


def _stored(store: Store, events: list[Event]) -> list[int]:
    with store.write_transaction() as tx:
        return [e.seq for e in tx.append(tx.prepare(events, {}))]


@pytest.fixture
def url(pg_server: PgServer) -> str:
    url = pg_server.create_database(f"pgpath_{uuid.uuid4().hex[:8]}")
    store = Store(url, "b1")
    store.migrate()
    store.close()
    return url


def test_a_batch_reads_the_events_another_process_committed_in_its_lock_round_trip(
    url: str,
) -> None:
    one, other = Store(url, "b1"), Store(url, "b1")  # two host processes' stores
    try:
        assert _stored(one, _note("one")) == [1]
        assert _stored(other, _note("other 1") + _note("other 2")) == [2, 3]
        with one.write_transaction() as tx:
            assert tx.last_seq == 3
            assert [e.data["text"] for e in tx.events_since(1)] == ["other 1", "other 2"]
            assert [e.data["text"] for e in tx.events_since(0)] == ["one", "other 1", "other 2"]
            assert tx.events_since(3) == []
            assert [e.seq for e in tx.append(tx.prepare(_note("one again"), {}))] == [4]
        assert [e.seq for e in other.load_events()] == [1, 2, 3, 4]
        # What the lock's round trip read is what SQLAlchemy reads: same values, same types.
        with other.write_transaction() as tx:
            assert tx.events_since(3) == one.load_events(3)
    finally:
        one.close()
        other.close()


def test_a_row_refused_in_the_pipeline_stores_nothing_and_the_next_batch_is_stored(
    url: str,
) -> None:
    store = Store(url, "b1")
    try:
        for attempt, ticket_id in enumerate(("first-ticket-id", "second-ticket-id")):
            engine = QueueEngine(load_config(None), ProjectedWait())  # numbers A001 again
            events = engine.issue(ticket_id=ticket_id, service="cash", at=AT, actor="test")
            if attempt == 0:
                with store.write_transaction() as tx:
                    tx.append(tx.prepare(events, engine.tickets))
            else:
                with pytest.raises(StorageRefused), store.write_transaction() as tx:
                    tx.append(tx.prepare(events[-1:], engine.tickets))
        assert store.count_tickets(AT.date()) == 1
        assert store.last_seq() == len(store.load_events())  # the refused events are not there
        assert _stored(store, _note("after")) == [store.last_seq()]
    finally:
        store.close()


def test_readers_waiting_together_share_one_query_and_never_an_older_answer(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(url, "b1")
    assert store.committed is not None
    queries: list[str] = []
    execute = psycopg.AsyncConnection.execute

    async def counted(self: psycopg.AsyncConnection[Any], query: Any, *args: Any,
                      **kwargs: Any) -> Any:
        queries.append(str(query))
        return await execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncConnection, "execute", counted)

    async def scenario() -> None:
        assert store.committed is not None
        assert await store.committed.last_seq("b1") == 0
        queries.clear()
        seqs = await asyncio.gather(*(store.committed.last_seq("b1") for _ in range(20)),
                                    store.committed.last_seq("no-such-branch"))
        assert seqs == [0] * 21
        assert len(queries) == 1  # one query answered all 21
        in_flight = asyncio.ensure_future(store.committed.last_seq("b1"))
        await asyncio.sleep(0)  # its query is sent
        await asyncio.to_thread(_stored, store, _note("committed meanwhile"))
        assert await store.committed.last_seq("b1") == 1  # asked after the commit: sees it
        assert await in_flight in (0, 1)

    try:
        asyncio.run(scenario())
    finally:
        store.close()


def test_a_multi_host_url_finds_the_server_that_takes_writes(pg_server: PgServer) -> None:
    pg_server.create_database("multihost")
    nobody = free_port()  # a host of the list that is down
    url = (f"postgresql://postgres@127.0.0.1:{nobody},127.0.0.1:{pg_server.port}/multihost"
           "?target_session_attrs=read-write")
    parsed = database_url(url)
    assert parsed.drivername == "postgresql+psycopg" and parsed.database == "multihost"
    assert parsed.query["host"] == (f"127.0.0.1:{nobody}", f"127.0.0.1:{pg_server.port}")
    args = connect_args(make_engine(url))
    assert (args["host"], args["port"]) == ("127.0.0.1,127.0.0.1", f"{nobody},{pg_server.port}")
    assert args["target_session_attrs"] == "read-write"
    store = Store(url, "b1")
    try:
        store.migrate()
        assert _stored(store, _note("through the second host")) == [1]
        assert next(iter(store.listen(timeout=0.1))) == "connected"
    finally:
        store.close()

