"""Request size limits and rate limits, as a client of the real host sees them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from branchq.host.api.limits import FailureWindow, Limits, TokenBuckets
from branchq.host.auth import Role
from tests.host.hostproc import HostProcess
from tests.security.conftest import start_host

NOTICE = {"text_zh": "通知", "text_en": "Notice"}


@pytest.fixture
def limited_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HostProcess]:
    """A host with the default limits, whatever the environment of the test run says."""
    monkeypatch.delenv("BRANCHQ_KIOSK_TICKETS_PER_MINUTE", raising=False)
    monkeypatch.delenv("BRANCHQ_LOGIN_FAILURES", raising=False)
    running = start_host(tmp_path)
    yield running
    running.kill()


def test_bodies_over_64_kib_are_refused_before_parsing(host: HostProcess) -> None:
    with host.client(host.token(Role.MANAGER)) as c:
        padded = {**NOTICE, "pad": "x" * (64 * 1024)}
        r = c.post("/api/v1/notices", json=padded)
        assert r.status_code == 413
        assert r.json() == {"error": "too_large",
                            "detail": "the request body is over 65536 bytes"}

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"text_zh": "'
            for _ in range(80):
                yield b"x" * 1024
            yield b'", "text_en": "A"}'

        r = c.post("/api/v1/notices", content=chunks(),
                   headers={"content-type": "application/json"})
        assert (r.status_code, r.json()["error"]) == (413, "too_large")
        # just under the limit is parsed as usual (and refused for its unknown field)
        r = c.post("/api/v1/notices", json={**NOTICE, "pad": "x" * (60 * 1024)})
        assert (r.status_code, r.json()["error"]) == (422, "invalid_request")
        r = c.put("/api/v1/equipment/atm-1", content=b"{" * (65 * 1024),
                  headers={"content-type": "application/json"})
        assert r.status_code == 413
        assert c.post("/api/v1/notices", json=NOTICE).status_code == 201  # the host is fine


def test_query_strings_over_4_kib_are_refused(host: HostProcess) -> None:
    with host.client(host.token(Role.MANAGER)) as c:
        r = c.get("/api/v1/tickets", params={"service": "cash", "x": "y" * 4100})
        assert r.status_code == 414
        assert r.json()["error"] == "uri_too_long"
        assert c.get("/healthz?" + "a" * 5000).status_code == 414  # public paths too
        assert c.get("/api/v1/tickets", params={"service": "c" * 32}).status_code == 200


def test_a_kiosk_token_issues_at_most_60_tickets_a_minute(limited_host: HostProcess) -> None:
    host = limited_host
    with host.client(host.token(Role.KIOSK, name="entrance")) as kiosk:
        # A full bucket of 60, refilled one ticket a second while the requests run: on a
        # loaded machine the 60 take seconds, so the refill is counted, not assumed away.
        started = time.monotonic()
        issued = 0
        while (refused := kiosk.post("/api/v1/tickets", json={"service": "cash"})).status_code == 201:
            issued += 1
            assert issued <= 60 + (time.monotonic() - started) + 1, "the kiosk was never limited"
        assert issued >= 60
        assert refused.status_code == 429
        assert refused.json()["error"] == "rate_limited"
        retry_after = int(refused.headers["Retry-After"])
        assert 1 <= retry_after <= 2  # the bucket refills one ticket a second
        assert kiosk.get("/api/v1/queues").status_code == 200  # only issuing is limited
        # other credentials have their own allowance; the lobby manager is not limited
        with host.client(host.token(Role.KIOSK, name="second kiosk")) as other:
            assert other.post("/api/v1/tickets", json={"service": "cash"}).status_code == 201
        with host.client(host.token(Role.MANAGER)) as manager:
            for _ in range(3):
                assert manager.post("/api/v1/tickets", json={"service": "cash"}).status_code == 201
            time.sleep(retry_after)
            assert kiosk.post("/api/v1/tickets", json={"service": "cash"}).status_code == 201
            queues = {q["service"]: q["waiting"] for q in manager.get("/api/v1/queues").json()}
    assert queues["cash"] == issued + 1 + 3 + 1  # a refused request made no ticket


def test_unknown_tokens_from_one_address_are_slowed_down(limited_host: HostProcess) -> None:
    host = limited_host
    known = host.token(Role.MANAGER)
    unused = host.token(Role.DISPLAY)  # valid, but never presented before the block
    with host.client(known) as manager:
        ticket = manager.post("/api/v1/tickets", json={"service": "cash"}).json()
    guesses = [httpx.get(f"{host.base}/api/v1/queues",
                         headers={"Authorization": f"Bearer bq_guess{i:040d}"}).status_code
               for i in range(Limits().login_failures)]
    assert guesses == [401] * len(guesses)
    r = httpx.get(f"{host.base}/api/v1/queues", headers={"Authorization": "Bearer bq_guess"})
    assert (r.status_code, r.json()["error"]) == (429, "rate_limited")
    assert 50 <= int(r.headers["Retry-After"]) <= 60
    # even a right guess gets no answer now: only a token verified moments ago still works
    with host.client(unused) as late:
        assert late.get("/api/v1/queues").status_code == 429
    with host.client(known) as manager:
        assert manager.get("/api/v1/queues").status_code == 200
    with pytest.raises(InvalidStatus):  # the event stream refuses guessed tokens too
        connect(f"ws://127.0.0.1:{host.port}/api/v1/events",
                subprotocols=["branchq", "bq_guess"], open_timeout=5)  # type: ignore[list-item]
    # requests without a credential are not login attempts: the status page keeps working
    with httpx.Client(base_url=host.base) as anonymous:
        assert anonymous.get(f"/api/v1/tickets/{ticket['id']}").status_code == 200
        assert anonymous.get("/api/v1/queues").status_code == 401


def test_buckets_refill_and_failure_windows_expire() -> None:
    now = [0.0]
    buckets = TokenBuckets(per_minute=60, clock=lambda: now[0])
    for _ in range(60):
        assert buckets.wait_s("kiosk") == 0
        buckets.take("kiosk")
    assert buckets.wait_s("kiosk") == pytest.approx(1.0)
    assert buckets.wait_s("other kiosk") == 0
    now[0] = 30.0
    assert buckets.wait_s("kiosk") == 0  # half a minute refills 30

    failures = FailureWindow(limit=3, window_s=60, clock=lambda: now[0])
    for t in (30.0, 40.0, 50.0):
        now[0] = t
        failures.record("10.0.0.7")
    assert failures.wait_s("10.0.0.7") == pytest.approx(40.0)  # until the first one is 60 s old
    assert failures.wait_s("10.0.0.8") == 0
    now[0] = 90.0
    assert failures.wait_s("10.0.0.7") == 0


def test_limits_come_from_the_environment() -> None:
    assert Limits.from_env({}) == Limits()
    limits = Limits.from_env({"BRANCHQ_KIOSK_TICKETS_PER_MINUTE": "0",
                              "BRANCHQ_LOGIN_FAILURES": "5"})
    assert (limits.kiosk_tickets_per_minute, limits.login_failures) == (0, 5)
    with pytest.raises(ValueError, match="BRANCHQ_LOGIN_FAILURES"):
        Limits.from_env({"BRANCHQ_LOGIN_FAILURES": "many"})
