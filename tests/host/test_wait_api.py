"""One wait, one wording: the API's ``wait`` of tickets and queues comes from describe_wait, and a
ticket is told what its queue promised (the real host on SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from branchq.host.auth import Role
from branchq.host.storage import Store
from tests.host.hostproc import DEMO_BRANCH, HostProcess


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    tmp: Path = tmp_path_factory.mktemp("wait-api")
    url = f"sqlite:///{tmp / 'b.db'}"
    Store(url, DEMO_BRANCH).migrate()
    proc = HostProcess(url, tmp / "host.log").start()
    yield proc
    proc.kill()


def _words(wait: dict[str, object]) -> tuple[object, object]:
    return wait["text_zh"], wait["text_en"]


def test_wealth_queue_and_its_tickets_tell_the_same_wait(host: HostProcess) -> None:
    manager = host.client(host.token(Role.MANAGER))
    teller = host.client(host.token(Role.TELLER, counter=6))  # the only wealth counter

    def queue() -> dict:  # type: ignore[type-arg]
        return next(q for q in manager.get("/api/v1/queues").json() if q["service"] == "wealth")

    def issue() -> dict:  # type: ignore[type-arg]
        promised = queue()["wait"]
        r = manager.post("/api/v1/tickets", json={"service": "wealth"})
        assert r.status_code == 201, r.text
        ticket = r.json()
        assert _words(ticket["wait"]) == _words(promised)  # what the hall said a moment ago
        return ticket  # type: ignore[no-any-return]

    def status(ticket: dict) -> dict:  # type: ignore[type-arg]
        with host.client() as anonymous:  # the customer's QR code: no credential
            return anonymous.get(f"/api/v1/tickets/{ticket['id']}").json()  # type: ignore[no-any-return]

    assert _words(queue()["wait"]) == ("无需等候", "No wait")  # counter 6 open and idle
    first = issue()
    assert first["wait"]["ahead"] == first["people_ahead"] == 0
    assert _words(first["wait"]) == ("无需等候", "No wait")

    assert teller.post("/api/v1/counters/6/call-next").json()["ticket"]["id"] == first["id"]
    called = status(first)
    assert called["status"] == "called" and called["wait"]["ahead"] == 0
    busy = queue()["wait"]
    assert busy["text_en"].startswith("You are next, about ") and " min" in busy["text_en"]
    assert busy["text_zh"].startswith("您是下一位，约 ")
    assert busy["low_s"] <= busy["estimate_s"] <= busy["high_s"]

    second, third = issue(), issue()
    assert (second["people_ahead"], third["people_ahead"]) == (0, 1)
    assert third["wait"]["text_en"].startswith("1 person ahead, about ")
    assert third["wait"]["text_zh"].startswith("前面 1 人，约 ")
    for ticket in (second, third):
        seen = status(ticket)
        if ticket is third:  # nothing happened since it was issued: the very same answer
            assert seen["wait"] == ticket["wait"]
        else:  # the engine's "now" moved on to the third's issue, milliseconds later
            assert seen["wait"]["ahead"] == ticket["wait"]["ahead"]
            for key in ("estimate_s", "low_s", "high_s"):
                assert abs(seen["wait"][key] - ticket["wait"][key]) <= 2, (key, seen, ticket)
        assert (seen["people_ahead"], seen["estimated_wait_s"]) == (
            seen["wait"]["ahead"], seen["wait"]["estimate_s"])
        assert " 0 min" not in seen["wait"]["text_en"]
    listed = {t["id"]: t["wait"] for t in manager.get("/api/v1/tickets?service=wealth").json()}
    assert listed[third["id"]] == third["wait"]
    low, high = _minutes(queue())  # the 80% range the words give, in whole minutes
    zh, en = _words(queue()["wait"])
    assert str(zh).startswith(f"前面 2 人，约 {low}–{high} 分钟"), zh
    assert str(en).startswith(f"2 people ahead, about {low}–{high} min"), en

    assert teller.post("/api/v1/counters/6/done").status_code == 200
    assert teller.post("/api/v1/counters/6/pause").status_code == 200
    closed = status(third)["wait"]
    assert closed["estimate_s"] is None and closed["ahead"] == 1
    assert _words(closed) == ("暂无窗口办理，请咨询大堂经理",
                              "No counter open for this now, please ask the lobby manager")
    assert queue()["wait"]["estimate_s"] is None and queue()["estimated_wait_s"] is None
    teller.post("/api/v1/counters/6/resume")
    manager.close()
    teller.close()


def _minutes(queue: dict) -> tuple[int, int]:  # type: ignore[type-arg]
    """The wait's range in minutes: down at the low end, up at the high end, at least one."""
    low = max(1, int(queue["wait"]["low_s"]) // 60)
    return low, max(low, -(-int(queue["wait"]["high_s"]) // 60))
