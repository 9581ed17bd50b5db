"""Inputs the fuzzer found (or that only PostgreSQL refuses), kept as regressions: each gets a
4xx with a message on both databases, and the host stays healthy."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from branchq.host.auth import Role
from branchq.host.storage import Store
from tests.host.hostproc import DEMO_BRANCH, HostProcess
from tests.pg import PgServer

NUL = "text with a \u0000 inside"
CASES: list[tuple[str, str, object, int]] = [
    # an id past the 32-bit column: was a 500 (found by schemathesis)
    ("POST", "/api/v1/opinions/80579133478602461413376/reply", {"reply": "0"}, 422),
    # NUL in a plain text column: PostgreSQL refused it and the host answered 503
    ("POST", "/api/v1/opinions", {"text": NUL}, 422),
    ("POST", "/api/v1/opinions/1/reply", {"reply": NUL}, 422),
    ("POST", "/api/v1/tickets", {"service": "cash", "client_ref": "abcdefgh\u0000"}, 422),
    ("POST", "/api/v1/tickets", {"service": NUL}, 422),
    ("POST", "/api/v1/counters/1/transfer", {"service": NUL}, 422),
    ("POST", "/api/v1/counters/1/call", {"ticket_id": NUL}, 404),
    ("DELETE", "/api/v1/notices/a%00b", None, 404),
    ("GET", "/api/v1/tickets/a%00bcdefghij", None, 404),
    ("POST", "/api/v1/tickets", [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]], 422),
    ("POST", "/api/v1/tickets", b'{"service": "cash", "priority": 1e999}', 422),
    ("POST", "/api/v1/counters/1/rating", b'{"score": NaN}', 422),
    ("POST", "/api/v1/notices", b'{"text_zh": "\\ud800", "text_en": "lone surrogate"}', 422),
    ("POST", "/api/v1/notices", b"\xff\xfe not utf-8", 422),
    ("POST", f"/api/v1/counters/{10**40}/call-next", None, 422),
    ("POST", "/api/v1/counters/1/rating", {"score": 10**40}, 422),
    ("GET", "/api/v1/staffing?target=nan&threshold_s=inf", None, 422),
    ("GET", "/api/v1/reports/day?date=2026-02-30", None, 422),
    ("GET", "/api/v1/events", None, 404),  # a WebSocket path asked for over plain HTTP
]


@pytest.fixture(params=["sqlite", "postgres"])
def any_db_host(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HostProcess]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'branchq.db'}"
    else:
        server: PgServer = request.getfixturevalue("pg_server")
        url = server.create_database(f"s_{uuid.uuid4().hex[:12]}")
    Store(url, DEMO_BRANCH).migrate()
    running = HostProcess(url, tmp_path / "host.log").start()
    yield running
    running.kill()


def test_hostile_inputs_get_a_4xx_on_both_databases(any_db_host: HostProcess) -> None:
    host = any_db_host
    with host.client(host.token(Role.MANAGER)) as manager:
        assert manager.post("/api/v1/opinions", json={"text": "Fine"}).status_code == 201
        wrong = []
        for method, path, body, expected in CASES:
            if isinstance(body, bytes):
                r = manager.request(method, path, content=body,
                                    headers={"content-type": "application/json"})
            else:
                r = manager.request(method, path, json=body)
            if r.status_code != expected or set(r.json()) != {"error", "detail"}:
                wrong.append(f"{method} {path}: {r.status_code} {r.text[:200]}")
        assert not wrong, "\n".join(wrong)
        assert manager.get("/healthz").json()["status"] == "ok"
