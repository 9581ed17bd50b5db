"""Numbers stay unique and gap-free under concurrent load, across processes and across crashes."""

from __future__ import annotations

import signal
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

from branchq.host.auth import Role
from tests.host.hostproc import LOAD_TEST_ENV, HostProcess
from tests.pg import PgServer

SERVICES = ["cash", "noncash", "wealth"]


def _issue_many(bases: list[str], token: str, clients: int, per_client: int,
                stop: threading.Event | None = None,
                acknowledged: list[dict] | None = None) -> list[dict]:  # type: ignore[type-arg]
    """Each client issues ``per_client`` tickets (round-robin over services and hosts); returns
    the body of every 201 (also appended to ``acknowledged`` as they arrive)."""
    acknowledged = [] if acknowledged is None else acknowledged
    lock = threading.Lock()

    def client(i: int) -> None:
        base = bases[i % len(bases)]
        with httpx.Client(base_url=base, timeout=10,
                          headers={"Authorization": f"Bearer {token}"}) as c:
            for j in range(per_client):
                if stop is not None and stop.is_set():
                    return
                try:
                    r = c.post("/api/v1/tickets", json={"service": SERVICES[(i + j) % 3]})
                except httpx.HTTPError:
                    if stop is not None:
                        return  # the host was killed under us: expected in the crash test
                    raise
                if r.status_code == 201:
                    with lock:
                        acknowledged.append(r.json())

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return acknowledged


def _assert_distinct_and_gap_free(tickets: list[dict]) -> None:  # type: ignore[type-arg]
    by_service: dict[str, list[int]] = defaultdict(list)
    for t in tickets:
        by_service[t["service"]].append(int(t["number"][1:]))
    for service, numbers in by_service.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), service


def test_sixteen_clients_get_1600_distinct_gap_free_numbers(db_url: str, tmp_path: Path) -> None:
    host = HostProcess(db_url, tmp_path / "host.log", env=LOAD_TEST_ENV).start()
    try:
        tickets = _issue_many([host.base], host.token(Role.KIOSK), clients=16, per_client=100)
    finally:
        host.kill()
    assert len(tickets) == 1600
    assert len({t["id"] for t in tickets}) == 1600
    _assert_distinct_and_gap_free(tickets)


def test_two_host_processes_on_one_postgres_database(pg_server: PgServer, tmp_path: Path) -> None:
    url = pg_server.create_database("two_hosts")
    a = HostProcess(url, tmp_path / "a.log", env=LOAD_TEST_ENV).start()
    b = HostProcess(url, tmp_path / "b.log", env=LOAD_TEST_ENV).start()
    try:
        token = a.token(Role.KIOSK)
        tickets = _issue_many([a.base, b.base], token, clients=16, per_client=100)
        assert len(tickets) == 1600
        _assert_distinct_and_gap_free(tickets)
        # each process sees the other's tickets in its queue
        with b.client(token) as c:
            queue = {q["service"]: q["waiting"] for q in c.get("/api/v1/queues").json()}
        assert sum(queue[s] for s in SERVICES) == 1600
    finally:
        a.kill()
        b.kill()


def test_kill_9_under_load_loses_no_acknowledged_ticket(db_url: str, tmp_path: Path) -> None:
    host = HostProcess(db_url, tmp_path / "host.log", env=LOAD_TEST_ENV).start()
    token = host.token(Role.KIOSK)
    stop = threading.Event()
    result: list[dict] = []  # type: ignore[type-arg]
    loader = threading.Thread(target=_issue_many, args=([host.base], token, 16, 400, stop, result))
    loader.start()
    deadline = time.monotonic() + 30
    while len(result) < 100 and time.monotonic() < deadline:  # kill it in the middle of the load
        time.sleep(0.01)
    host.kill(signal.SIGKILL)
    stop.set()
    loader.join()
    assert result, "no ticket was acknowledged before the kill"
    restarted = HostProcess(db_url, tmp_path / "host2.log", port=host.port,
                            env=LOAD_TEST_ENV).start()
    try:
        with restarted.client() as c:
            for ticket in result:
                r = c.get(f"/api/v1/tickets/{ticket['id']}")
                assert r.status_code == 200 and r.json()["number"] == ticket["number"]
        # numbering continues after the highest number ever stored, never reusing one
        after = _issue_many([restarted.base], token, 1, 3)
        assert not {t["number"] for t in result} & {t["number"] for t in after}
    finally:
        restarted.kill()
