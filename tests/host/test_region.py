"""A region host (``branchq host run --region``): every branch of a database in one process, and
two such processes behind a proxy sharing the work; branches loaded on first use, unloaded idle."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from branchq.drivers.platform.cli import BRANCHQ_COMMAND
from branchq.host.app import create_region_app
from branchq.host.auth import REGION_WIDE, Role, create_token
from branchq.host.config import example_config_text, load_branch_dir
from branchq.host.storage import Store
from tests.host.hostproc import HostProcess
from tests.pg import PgServer
from tests.security.matrix import MATRIX, PUBLIC, REGION_MANAGER_READS, REGION_MATRIX
from tests.security.test_role_matrix import QUERIES, _bodies, _fixtures, endpoints_of

BRANCHES = ("demo", "north")


def write_branches(folder: Path, branches: tuple[str, ...] = BRANCHES) -> Path:
    """A folder of branch TOML files: the example branch under each id."""
    folder.mkdir(parents=True, exist_ok=True)
    for branch in branches:
        (folder / f"{branch}.toml").write_text(
            example_config_text().replace('id = "demo"', f'id = "{branch}"'), encoding="utf-8")
    return folder


def region_process(url: str, folder: Path, log: Path, idle_minutes: float = 10) -> HostProcess:
    return HostProcess(url, log, run_args=["--region", "--branches", str(folder),
                                           "--idle-minutes", str(idle_minutes)])


def token(url: str, branch: str, role: Role, counter: int | None = None) -> str:
    store = Store(url, branch)
    try:
        return create_token(store, role, f"{branch} {role.value}", counter)
    finally:
        store.close()


@dataclass
class Region:
    url: str
    a: HostProcess  # unloads nothing during the tests
    b: HostProcess  # unloads a branch after a second or two without use


@pytest.fixture(scope="module")
def region(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Region]:
    tmp = tmp_path_factory.mktemp("region")
    url = pg_server.create_database("region")
    folder = write_branches(tmp / "branches")
    a = region_process(url, folder, tmp / "a.log").start()
    b = region_process(url, folder, tmp / "b.log", idle_minutes=0.03).start()
    try:
        yield Region(url, a, b)
    finally:
        a.kill()
        b.kill()


def _all_events(ws_url: str, credential: str) -> list[dict[str, Any]]:
    """Every event the stream sends from the start of the log (until it falls quiet)."""
    out = []
    with connect(ws_url, subprotocols=["branchq", credential]) as ws:
        try:
            while True:
                out.append(json.loads(ws.recv(timeout=1)))
        except TimeoutError:
            return out


def test_a_ticket_issued_through_one_process_is_called_through_the_other(region: Region) -> None:
    kiosk = token(region.url, "north", Role.KIOSK)
    teller = token(region.url, "north", Role.TELLER, counter=1)
    display = token(region.url, "north", Role.DISPLAY)
    ws_url = region.b.base.replace("http", "ws") + "/api/v1/events"
    with connect(ws_url, subprotocols=["branchq", display]) as hall:  # the hall screen, on b
        with region.a.client(kiosk) as k:
            issued = k.post("/api/v1/tickets", json={"service": "cash"})
        assert issued.status_code == 201, issued.text
        with region.b.client(teller) as t:
            called = t.post("/api/v1/counters/1/call-next")
        assert called.status_code == 200, called.text
        assert called.json()["ticket"]["number"] == issued.json()["number"]
        seen: list[dict[str, object]] = []
        deadline = time.monotonic() + 5
        while not any(e["kind"] == "ticket_called" for e in seen) and time.monotonic() < deadline:
            seen.append(json.loads(hall.recv(timeout=5)))
    called_event = next(e for e in seen if e["kind"] == "ticket_called")
    assert called_event["counter"] == 1
    # ... and the numbering goes on from either process, gap-free.
    with region.b.client(kiosk) as k:
        assert k.post("/api/v1/tickets", json={"service": "cash"}).json()["number"] == "A002"


def test_no_credential_event_or_page_of_one_branch_reaches_another(region: Region) -> None:
    demo_kiosk = token(region.url, "demo", Role.KIOSK)
    north_kiosk = token(region.url, "north", Role.KIOSK)
    north_manager = token(region.url, "north", Role.MANAGER)
    with region.a.client(demo_kiosk) as k:
        demo_ticket = k.post("/api/v1/tickets", json={"service": "noncash"}).json()
    with region.a.client(north_kiosk) as k:
        north_ticket = k.post("/api/v1/tickets", json={"service": "noncash"}).json()
    assert demo_ticket["number"] == north_ticket["number"] == "B001"  # numbering per branch
    with region.a.client(demo_kiosk) as stranger:
        # Under another branch's address a credential is refused ...
        refused = stranger.post("/b/north/api/v1/tickets", json={"service": "cash"})
        assert refused.status_code == 403 and "another branch" in refused.json()["detail"]
        # ... and under its own it acts on its own branch only: north's ticket is unknown there.
        voided = stranger.post(f"/api/v1/tickets/{north_ticket['id']}/void", json={"reason": "x"})
        assert voided.status_code == 404
    with region.b.client() as anonymous:
        assert anonymous.get(f"/b/north/api/v1/tickets/{demo_ticket['id']}").status_code == 404
        assert anonymous.get(f"/b/demo/api/v1/tickets/{demo_ticket['id']}").status_code == 200
        assert anonymous.get(f"/api/v1/tickets/{demo_ticket['id']}").status_code == 404
        unknown = anonymous.get("/b/south/hall")
        assert unknown.status_code == 404 and "south" in unknown.json()["detail"]
        assert anonymous.get("/b/north/hall").status_code == 200
    # North's event stream, from the start of its log, carries north's events only.
    stream = _all_events(region.b.base.replace("http", "ws") + "/api/v1/events", north_manager)
    tickets = {e["ticket_id"] for e in stream if e["ticket_id"]}
    assert north_ticket["id"] in tickets and demo_ticket["id"] not in tickets
    with pytest.raises(InvalidStatus):  # another branch's display under north's address
        _all_events(region.b.base.replace("http", "ws") + "/b/north/api/v1/events",
                    token(region.url, "demo", Role.DISPLAY))


def test_the_region_manager_reads_every_branch_and_changes_none(region: Region) -> None:
    store = Store(region.url, REGION_WIDE)
    try:
        manager = create_token(store, Role.REGION_MANAGER, "region manager", None)
    finally:
        store.close()
    branch_manager = token(region.url, "demo", Role.MANAGER)
    with region.a.client(manager) as rm:
        figures = rm.get("/api/v1/region/branches")
        assert figures.status_code == 200, figures.text
        by_branch = {f["branch"]: f for f in figures.json()}
        assert set(by_branch) == set(BRANCHES)
        assert by_branch["north"]["counters"] == len(json.loads(
            rm.get("/b/north/api/v1/counters").text))
        assert by_branch["north"]["lobby"] == "/b/north/lobby"
        assert rm.get("/b/demo/api/v1/queues").status_code == 200
        assert rm.get("/b/demo/api/v1/tickets?status=waiting").status_code == 200
        writes = [rm.post("/b/demo/api/v1/tickets", json={"service": "cash"}),
                  rm.post("/b/demo/api/v1/counters/1/call-next"),
                  rm.post("/b/demo/api/v1/notices", json={"text_zh": "甲", "text_en": "A"})]
        assert [w.status_code for w in writes] == [403, 403, 403]
        assert rm.get("/b/demo/api/v1/opinions").status_code == 403  # phone numbers: managers'
        nowhere = rm.get("/api/v1/queues")  # a region-wide credential must name its branch
        assert nowhere.status_code == 404 and "/b/{branch}" in nowhere.json()["detail"]
    with region.a.client(branch_manager) as m:
        assert m.get("/api/v1/region/branches").status_code == 403


def test_an_idle_branch_is_unloaded_and_read_back_when_used_again(region: Region) -> None:
    kiosk = token(region.url, "demo", Role.KIOSK)
    with region.b.client(kiosk) as k:
        first = k.post("/api/v1/tickets", json={"service": "wealth"}).json()
        assert "demo" in _resident(region.b)
        deadline = time.monotonic() + 15
        while "demo" in _resident(region.b) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "demo" not in _resident(region.b)
        again = k.post("/api/v1/tickets", json={"service": "wealth"}).json()
    assert (first["number"], again["number"]) == ("C001", "C002")


def _resident(host: HostProcess) -> list[str]:
    health = httpx.get(f"{host.base}/healthz", timeout=5).json()
    assert health["branches"] == len(BRANCHES)
    return list(health["resident_branches"])


def test_a_region_needs_postgresql_and_valid_branch_files(tmp_path: Path) -> None:
    folder = write_branches(tmp_path / "branches")
    cmd = [*BRANCHQ_COMMAND, "host", "run", "--region", "--branches", str(folder)]
    sqlite = subprocess.run(cmd + ["--db", f"sqlite:///{tmp_path}/x.db"], capture_output=True,
                            text=True, timeout=60)
    assert sqlite.returncode == 2 and "needs PostgreSQL" in sqlite.stderr
    (folder / "broken.toml").write_text('[branch]\nid = "Bad Id"\n', encoding="utf-8")
    broken = subprocess.run(cmd + ["--db", "postgresql://127.0.0.1:1/none"], capture_output=True,
                            text=True, timeout=60)
    assert broken.returncode == 1 and "broken.toml" in broken.stderr, broken.stderr
    (folder / "broken.toml").write_text(example_config_text(), encoding="utf-8")  # demo again
    twice = subprocess.run(cmd + ["--db", "postgresql://127.0.0.1:1/none"], capture_output=True,
                           text=True, timeout=60)
    assert twice.returncode == 1 and "'demo' is also the id in" in twice.stderr, twice.stderr


def test_every_endpoint_of_the_region_has_a_row_and_the_region_manager_only_reads(
        region: Region, tmp_path: Path) -> None:
    app = create_region_app(load_branch_dir(write_branches(tmp_path / "branches")), region.url)
    found = endpoints_of(app)
    assert found == MATRIX.keys() | REGION_MATRIX.keys(), "endpoints without a row, or rows left"
    store = Store(region.url, REGION_WIDE)
    try:
        manager = create_token(store, Role.REGION_MANAGER, "region manager", None)
    finally:
        store.close()
    ids = _fixtures(region.a, region.a.token(Role.MANAGER))
    bodies = _bodies(ids["{ticket_id}"])
    wrong = []
    with region.a.client(manager) as rm:
        for endpoint in sorted(MATRIX.keys() - {"WS /api/v1/events"}):
            method, template = endpoint.split(" ")
            path = template
            for placeholder, value in ids.items():
                path = path.replace(placeholder, value)
            status = rm.request(method, "/b/demo" + path + QUERIES.get(template, ""),
                                json=bodies.get(endpoint)).status_code
            admitted = status not in (401, 403)
            may = endpoint in REGION_MANAGER_READS or MATRIX[endpoint] is PUBLIC
            if status >= 500 or admitted != may:
                wrong.append(f"{endpoint}: {status}, {'allowed' if may else 403} expected")
        assert rm.get("/region").status_code == 200
    assert not wrong, "\n".join(wrong)
    ws_url = region.a.base.replace("http", "ws") + "/b/demo/api/v1/events"
    assert _all_events(ws_url, manager), "the region manager follows a branch's events"
