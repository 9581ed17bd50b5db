"""Failover with nothing lost: the PostgreSQL primary dies under load, its synchronous standby is
promoted, and the host finds the new primary by itself through its multi-host URL
(docs/deploy.md, Region: PostgreSQL with a standby).

Kiosks issue tickets with idempotency keys the whole time and retry a key until it is
acknowledged, as the real kiosk does. Afterwards every acknowledged ticket is in the database
exactly once, under the number the kiosk was given, and the numbers have no gaps.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from branchq.host.auth import Role
from branchq.host.storage import Store
from tests.host.hostproc import DEMO_BRANCH, HostProcess
from tests.pg import PgServer, start_replicated_pair

SERVICES = ["cash", "noncash"]
KIOSKS = 6
RECOVERY_LIMIT_S = 15.0


@pytest.fixture(scope="module")
def replicated() -> Iterator[tuple[PgServer, PgServer]]:
    pair = start_replicated_pair()
    if pair is None:
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    yield pair
    for server in pair:
        server.destroy()


@dataclass
class Acked:
    ticket_id: str
    number: str
    service: str
    sent_at: float  # when the attempt that was acknowledged was sent (monotonic)
    answered_at: float
    attempts: int


@dataclass
class Kiosk:
    """Issues ticket after ticket, each under a key of its own, retrying a key until a 201."""

    name: str
    host: HostProcess
    token: str
    stop: threading.Event
    acked: dict[str, Acked] = field(default_factory=dict)  # key -> the ticket acknowledged
    refusals: list[tuple[int, str]] = field(default_factory=list)  # each non-201 answer

    def run(self) -> None:
        with httpx.Client(base_url=self.host.base, timeout=10,
                          headers={"Authorization": f"Bearer {self.token}"}) as client:
            n = 0
            while not self.stop.is_set():  # a key once sent is retried until acknowledged
                n += 1
                self._issue(client, f"{self.name}-{n:05d}", SERVICES[n % len(SERVICES)])

    def _issue(self, client: httpx.Client, key: str, service: str) -> None:
        attempts = 0
        while True:
            attempts += 1
            sent_at = time.monotonic()
            r = client.post("/api/v1/tickets", json={"service": service, "client_ref": key})
            if r.status_code == 201:
                body = r.json()
                self.acked[key] = Acked(body["id"], body["number"], service, sent_at,
                                        time.monotonic(), attempts)
                return
            self.refusals.append((r.status_code, r.json().get("error", "")))
            time.sleep(0.05)


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_primary_killed_under_load_standby_promoted_nothing_lost(
    replicated: tuple[PgServer, PgServer], tmp_path: Path, record_property: Any
) -> None:
    primary, standby = replicated
    primary.create_database("failover")
    url = (f"postgresql://postgres@127.0.0.1:{primary.port},127.0.0.1:{standby.port}/failover"
           "?target_session_attrs=read-write")
    Store(url, DEMO_BRANCH).migrate()
    host = HostProcess(url, tmp_path / "host.log").start(timeout=90)
    stop = threading.Event()
    kiosks = [Kiosk(f"kiosk{i}", host, host.token(Role.KIOSK, name=f"kiosk {i}"), stop)
              for i in range(KIOSKS)]
    threads = [threading.Thread(target=k.run, name=k.name) for k in kiosks]
    health: list[tuple[int, str]] = []
    try:
        for t in threads:
            t.start()

        def acked() -> list[Acked]:
            return [a for k in kiosks for a in list(k.acked.values())]

        _wait(lambda: len(acked()) >= 60, 30, "tickets before the failover")
        primary.stop("immediate")  # the primary dies: no checkpoint, no goodbye to clients
        killed_at = time.monotonic()  # it is gone: nothing sent from now on can reach it

        def healthz() -> tuple[int, str]:
            r = httpx.get(f"{host.base}/healthz", timeout=5)
            health.append((r.status_code, r.json()["database"]))
            return health[-1]

        _wait(lambda: healthz() == (503, "unreachable"), 10, "/healthz to name the fault")
        standby.promote()

        def first_after_kill() -> Acked | None:
            later = [a for a in acked() if a.sent_at > killed_at]
            return min(later, key=lambda a: a.answered_at) if later else None

        _wait(lambda: first_after_kill() is not None, RECOVERY_LIMIT_S, "the first ticket after")
        first = first_after_kill()
        assert first is not None
        recovered_s = first.answered_at - killed_at
        before = len(acked())
        _wait(lambda: len(acked()) >= before + 60, 30, "tickets after the failover")
        _wait(lambda: healthz() == (200, "ok"), 10, "/healthz to clear")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        alive = [t.name for t in threads if t.is_alive()]
    try:
        assert not alive, f"kiosks still retrying a key: {alive}"
        tickets = [a for k in kiosks for a in k.acked.values()]
        refusals = [r for k in kiosks for r in k.refusals]
        retried = [a for a in tickets if a.attempts > 1]
        # What the kiosks saw while the database was away: clear 503s, each retried to success.
        assert refusals and set(refusals) == {(503, "storage_unavailable")}, set(refusals)
        assert retried, "no request met the failover"
        assert (503, "unreachable") in health and health[-1] == (200, "ok"), health

        # The new primary holds every acknowledged ticket exactly once, under its number.
        rows = dict(standby.query(
            f"SELECT id, label FROM tickets WHERE branch = '{DEMO_BRANCH}'", "failover"))
        assert {a.ticket_id: a.number for a in tickets} == rows
        refs = standby.query(
            "SELECT data->>'client_ref' FROM events "
            f"WHERE branch = '{DEMO_BRANCH}' AND kind = 'ticket_issued'", "failover")
        keys = [str(ref).rpartition("/")[2] for (ref,) in refs]
        assert sorted(keys) == sorted(k for kiosk in kiosks for k in kiosk.acked)
        numbers: dict[str, list[int]] = defaultdict(list)
        for a in tickets:
            numbers[a.service].append(int(a.number[1:]))
        for service, issued in numbers.items():
            assert sorted(issued) == list(range(1, len(issued) + 1)), service
        with host.client(kiosks[0].token) as client:  # the host's memory agrees
            for a in kiosks[0].acked.values():
                assert client.get(f"/api/v1/tickets/{a.ticket_id}").json()["number"] == a.number

        figure = (f"failover: primary killed -> first ticket issued on the promoted standby in "
                  f"{recovered_s:.2f} s; {len(tickets)} tickets acknowledged, {len(retried)} "
                  f"requests met the failover (503, retried with their key), 0 lost, "
                  f"0 duplicated")
        record_property("figure", figure)  # printed at the end of the run (tests/conftest.py)
        assert recovered_s < RECOVERY_LIMIT_S
    finally:
        host.kill()
