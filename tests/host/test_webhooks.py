"""Outbound webhooks and phone numbers, through the real host process and a real HTTP receiver
on 127.0.0.1 (docs/web.md, "Webhooks"; docs/security.md §7).

The receiver verifies every signature, answers each delivery 500 twice and then 200 (the
"sms" webhook) or what the test tells it (the "wechat" webhook), and records every attempt.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from branchq.host.auth import Role
from branchq.host.config import ConfigError, example_config_text, parse_config
from branchq.host.service import BranchService
from branchq.host.storage import Store
from branchq.host.storage.outbox import Planned
from tests.host.hostproc import DEMO_BRANCH, HostProcess
from tests.host.webhook_receiver import (
    SMS_SECRET,
    SMS_SECRET_ENV,
    Attempt,
    Receiver,
    branch_toml,
    new_receiver,
)

PHONE = "138 0013 8000"


@dataclass
class Setup:
    host: HostProcess
    receiver: Receiver
    db: Path
    manager: str
    teller: str


@pytest.fixture(scope="module")
def s(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("webhooks")
    receiver, server = new_receiver()
    config = tmp / "branch.toml"
    config.write_text(branch_toml(server.server_address[1], tmp / "wechat.secret"))
    db = tmp / "branchq.db"
    url = f"sqlite:///{db}"
    Store(url, DEMO_BRANCH).migrate()
    host = HostProcess(url, tmp / "host.log", config_path=str(config),
                       env={SMS_SECRET_ENV: SMS_SECRET}).start()
    yield Setup(host, receiver, db, host.token(Role.MANAGER), host.token(Role.TELLER, 1))
    host.kill()
    server.shutdown()


def _wait(predicate: Any, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.05)


def _outbox(db: Path) -> list[sqlite3.Row]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return list(conn.execute("SELECT * FROM webhook_outbox ORDER BY created_at"))


def _issue(s: Setup, count: int, service: str = "cash") -> list[dict[str, Any]]:
    with s.host.client(s.manager) as c:
        return [c.post("/api/v1/tickets", json={"service": service}).json() for _ in range(count)]


def _call_next(s: Setup) -> dict[str, Any]:
    with s.host.client(s.teller) as c:
        answer = c.post("/api/v1/counters/1/call-next")
        assert answer.status_code == 200, answer.text
        c.post("/api/v1/counters/1/done")
        return dict(answer.json()["ticket"])


def test_signed_deliveries_are_retried_with_backoff_and_each_is_taken_once(s: Setup) -> None:
    tickets = _issue(s, 4)
    with s.host.client(s.manager) as c:
        put = c.put(f"/api/v1/tickets/{tickets[3]['id']}/contact", json={"phone": PHONE})
    assert put.status_code == 200, put.text
    _call_next(s)  # the first ticket is called; the fourth has two people ahead now
    near = {t["number"] for t in tickets}
    _wait(lambda: {a.body["ticket"]["number"] for a in s.receiver.of("/sms", "ticket.near_turn")
                   if a.answered == 200} == near, what="a near-turn nudge for each ticket")
    _wait(lambda: any(a.answered == 200 for a in s.receiver.of("/sms", "ticket.called")),
          what="the call delivered")
    _wait(lambda: all(r["status"] == "done" for r in _outbox(s.db) if r["webhook"] == "sms"),
          what="every sms delivery marked done")
    assert s.receiver.bad_signatures == 0
    by_id: dict[str, list[Attempt]] = {}
    for attempt in s.receiver.of("/sms"):
        by_id.setdefault(attempt.delivery, []).append(attempt)
    assert len(by_id) == 5  # four nudges, one call: one delivery id each
    for attempts in by_id.values():
        # 500, 500, then 200 and never again: one delivery id, taken once.
        assert [a.answered for a in attempts] == [500, 500, 200]
        first, second = (attempts[1].at - attempts[0].at, attempts[2].at - attempts[1].at)
        assert first >= 0.15 - 0.05 and second >= 0.3 - 0.05, (first, second)  # backoff, jitter
    fourth = next(a.body for a in s.receiver.of("/sms", "ticket.near_turn")
                  if a.body["ticket"]["number"] == tickets[3]["number"])
    assert (fourth["phone"], fourth["people_ahead"], fourth["branch"]) == (PHONE, 2, DEMO_BRANCH)
    assert fourth["ticket"]["status_url"].endswith(f"/t/{tickets[3]['id']}")
    called = next(a.body for a in s.receiver.of("/sms", "ticket.called"))
    assert (called["ticket"]["number"], called["counter"], called["phone"]) == (
        tickets[0]["number"], 1, None)
    assert datetime.fromisoformat(called["occurred_at"]).tzinfo is not None
    assert called["event_id"].startswith(f"{DEMO_BRANCH}:called:")


def test_a_failing_receiver_ends_in_the_dead_letters_and_the_manager_retries_it(
        s: Setup) -> None:
    ticket = _issue(s, 1, "noncash")[0]
    with s.host.client(s.host.token(Role.TELLER, 3)) as teller:
        assert teller.post("/api/v1/counters/3/call-next").status_code == 200
    mine = lambda: [a for a in s.receiver.of("/wechat")  # noqa: E731
                    if a.body["ticket"]["number"] == ticket["number"]]
    with s.host.client(s.manager) as c:
        def dead() -> list[dict[str, Any]]:
            return [d for d in c.get("/api/v1/webhooks/dead-letters").json()
                    if d["number"] == ticket["number"]]
        _wait(lambda: bool(dead()), what="a dead letter")
        letter = dead()[0]
        assert (letter["webhook"], letter["type"], letter["attempts"]) == ("wechat", "ticket.called", 3)
        assert letter["last_error"] == "HTTP 503"
        assert [a.answered for a in mine()] == [503, 503, 503]  # max_attempts = 3
        s.receiver.wechat_status = 200
        retried = c.post(f"/api/v1/webhooks/deliveries/{letter['id']}/retry")
        assert retried.status_code == 200, retried.text
        _wait(lambda: [a.answered for a in mine()] == [503, 503, 503, 200], what="the retry")
        assert not dead()
        assert {a.delivery for a in mine()} == {letter["id"]}  # one delivery id throughout
        again = c.post(f"/api/v1/webhooks/deliveries/{letter['id']}/retry")
        assert again.status_code == 409  # delivered: no dead letter any more
        unknown = c.post(f"/api/v1/webhooks/deliveries/{'0' * 32}/retry")
        assert unknown.status_code == 404


def test_a_refusal_other_than_408_or_429_is_not_retried(s: Setup) -> None:
    s.receiver.wechat_status = 400
    ticket = _issue(s, 1, "noncash")[0]
    with s.host.client(s.host.token(Role.TELLER, 3)) as teller:
        assert teller.post("/api/v1/counters/3/call-next").status_code == 200
    with s.host.client(s.manager) as c:
        _wait(lambda: any(d["number"] == ticket["number"]
                          for d in c.get("/api/v1/webhooks/dead-letters").json()),
              what="a dead letter")
    tried = [a for a in s.receiver.of("/wechat") if a.body["ticket"]["number"] == ticket["number"]]
    assert [a.answered for a in tried] == [400]


def test_the_phone_number_stays_out_of_events_logs_and_public_pages(s: Setup) -> None:
    phone = "+86 139 1234 5678"
    ticket = _issue(s, 1)[0]
    ws = connect(f"ws://127.0.0.1:{s.host.port}/api/v1/events?after=0",
                 additional_headers={"Authorization": f"Bearer {s.manager}"}, open_timeout=5)
    with ws, s.host.client(s.manager) as c, s.host.client() as public:
        assert c.put(f"/api/v1/tickets/{ticket['id']}/contact",
                     json={"phone": phone}).status_code == 200
        refused = c.put(f"/api/v1/tickets/{ticket['id']}/contact", json={"phone": "12ab"})
        assert refused.status_code == 422 and "12ab" not in refused.text
        while _call_next(s)["number"] != ticket["number"]:
            pass
        _wait(lambda: any(a.body["phone"] == phone for a in s.receiver.of("/sms")),
              what="the gateway got the number")
        seen = []
        try:
            while True:
                seen.append(ws.recv(timeout=1))
        except TimeoutError:
            pass
        assert seen and all(phone not in str(m) for m in seen)
        for path in (f"/api/v1/tickets/{ticket['id']}", f"/t/{ticket['id']}", "/lobby"):
            assert phone not in public.get(path).text
        assert phone not in c.get("/api/v1/tickets").text
        assert phone not in c.get("/api/v1/webhooks/dead-letters").text
        assert c.delete(f"/api/v1/tickets/{ticket['id']}/contact").status_code == 204
        assert c.delete(f"/api/v1/tickets/{ticket['id']}/contact").status_code == 404
        missing = c.put(f"/api/v1/tickets/{'x' * 22}/contact", json={"phone": phone})
        assert missing.status_code == 404
    assert phone not in s.host.log_path.read_text()
    with sqlite3.connect(s.db) as conn:
        for table in ("events", "webhook_outbox", "tickets"):
            assert phone not in str(conn.execute(f"SELECT * FROM {table}").fetchall()), table


def test_a_host_restart_mid_retry_keeps_the_outbox(s: Setup) -> None:
    s.receiver.sms_failures = 10**6  # the gateway is down
    ticket = _issue(s, 1)[0]
    while _call_next(s)["number"] != ticket["number"]:
        pass
    def tried() -> list[Attempt]:
        return [a for a in s.receiver.of("/sms", "ticket.called")
                if a.body["ticket"]["number"] == ticket["number"]]
    _wait(lambda: len(tried()) >= 1, what="a first attempt")
    s.host.kill()  # SIGKILL while the delivery waits for its retry
    s.receiver.sms_failures = 0
    s.host.start()
    _wait(lambda: any(a.answered == 200 for a in tried()), what="delivered after the restart")
    ids = {a.delivery for a in tried()}
    assert len(ids) == 1  # the same delivery, not a new one
    assert [a.answered for a in tried()].count(200) == 1


def test_webhooks_are_validated_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = example_config_text()
    hook = '\n[[webhooks]]\nname = "sms"\nurl = "https://gw.example/in"\nevents = ["ticket.called"]\n'
    cases = {
        "": "give exactly one of secret_env and secret_file",
        'secret_env = "BRANCHQ_UNSET_SECRET"\n': "$BRANCHQ_UNSET_SECRET is missing",
        f'secret_file = "{tmp_path / "none"}"\n': "cannot read",
        'secret_env = "S"\nsecret_file = "/x"\n': "exactly one",
    }
    for extra, message in cases.items():
        with pytest.raises(ConfigError, match="webhooks") as err:
            parse_config(base + hook + extra)
        assert message in str(err.value)
    monkeypatch.setenv("BRANCHQ_SHORT", "short")
    with pytest.raises(ConfigError, match="under 16 characters"):
        parse_config(base + hook + 'secret_env = "BRANCHQ_SHORT"\n')
    monkeypatch.setenv("BRANCHQ_GOOD", SMS_SECRET)
    with pytest.raises(ConfigError, match=r"webhooks\[0\]\.events\[0\]"):
        parse_config(base + hook.replace("ticket.called", "ticket.eaten")
                     + 'secret_env = "BRANCHQ_GOOD"\n')
    config = parse_config(base + hook + 'secret_env = "BRANCHQ_GOOD"\n')
    assert config.webhooks[0].secret == SMS_SECRET.encode()
    assert SMS_SECRET not in repr(config) and SMS_SECRET not in str(config.model_dump())


def test_phone_numbers_are_erased_when_their_business_day_ends_and_old_deliveries_go(tmp_path: Path) -> None:
    """The real service's housekeeping thread, with a clock the test moves past midnight."""
    config = parse_config(example_config_text())
    url = f"sqlite:///{tmp_path / 'branchq.db'}"
    now = [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]  # 17:00 in Shanghai
    service = BranchService(config, Store(url, DEMO_BRANCH), clock=lambda: now[0])
    service.load()
    contacts = service.webhooks.contacts
    today = now[0].astimezone(config.branch.tz).date()
    contacts.put("yesterday-ticket-0001", today - timedelta(days=1), PHONE, now[0], "test")
    contacts.put("today-ticket-000001", today, PHONE, now[0], "test")
    outbox = service.webhooks.outbox
    with service.store.engine.begin() as conn:
        outbox.enqueue(conn, [Planned("sms", f"called:{i}", "ticket.called", None, {})
                              for i in (1, 2, 3)], now[0])
    sent = {d.event_key: d.id for d in outbox.due("sms", now[0])}
    outbox.delivered(sent["called:1"], now[0] - timedelta(days=8))  # forgotten
    outbox.delivered(sent["called:2"], now[0] - timedelta(days=6))  # kept a week
    outbox.failed(sent["called:3"], "HTTP 400", None)  # a dead letter stays
    service.start()
    try:
        _wait(lambda: contacts.phone("yesterday-ticket-0001") is None
              and outbox.get(sent["called:1"]) is None, what="yesterday erased")
        assert contacts.phone("today-ticket-000001") == PHONE
        assert outbox.get(sent["called:2"]) is not None
        assert outbox.get(sent["called:3"]) is not None
        now[0] = datetime(2026, 3, 2, 16, 0, 5, tzinfo=UTC)  # 00:00:05 the next day, branch time
        _wait(lambda: contacts.phone("today-ticket-000001") is None, what="erased at day end")
    finally:
        service.stop()
        service.store.close()


def test_the_bank_app_backend_files_numbers_only_for_its_own_remote_tickets(s: Setup) -> None:
    s.receiver.sms_failures = 2
    app, other_app = s.host.token(Role.BOOKING, name="app"), s.host.token(Role.BOOKING, name="b")
    walk_in = _issue(s, 1, "wealth")[0]
    with s.host.client(app) as c, s.host.client(other_app) as other:
        remote = c.post("/api/v1/tickets/remote",
                        json={"service": "wealth", "idempotency_key": "contact-test-0001"})
        assert remote.status_code == 201, remote.text
        path = f"/api/v1/tickets/{remote.json()['id']}/contact"
        assert c.put(path, json={"phone": PHONE}).status_code == 200
        # Unconfirmed, it waits outside the queue with one ahead: its customer is nudged to
        # come in, and the gateway gets the number (read when the delivery is sent).
        number = remote.json()["number"]
        _wait(lambda: any(a.answered == 200 and a.body["ticket"]["number"] == number
                          for a in s.receiver.of("/sms", "ticket.near_turn")), what="the nudge")
        nudge = next(a.body for a in s.receiver.of("/sms", "ticket.near_turn")
                     if a.answered == 200 and a.body["ticket"]["number"] == number)
        assert (nudge["people_ahead"], nudge["phone"]) == (1, PHONE)
        assert other.put(path, json={"phone": PHONE}).status_code == 404
        assert other.delete(path).status_code == 404
        assert c.put(f"/api/v1/tickets/{walk_in['id']}/contact",
                     json={"phone": PHONE}).status_code == 404
        assert c.delete(path).status_code == 204


def test_a_remote_ticket_taken_with_a_phone_is_nudged_with_it_at_the_first_attempt(s: Setup) -> None:
    """With nobody ahead the near-turn message goes out as the ticket is issued: the number
    given with the request is on file before that, so the one delivery the gateway takes
    (answered 200 at once) carries it."""
    s.receiver.sms_failures = 0
    app = s.host.token(Role.BOOKING, name="app with phone")
    with s.host.client(app) as c:
        remote = c.post("/api/v1/tickets/remote", json={
            "service": "wealth", "idempotency_key": "phone-at-issue-01", "phone": PHONE})
        assert remote.status_code == 201, remote.text
        assert "phone" not in remote.json()  # nor echoed back
        refused = c.post("/api/v1/tickets/remote", json={
            "service": "wealth", "idempotency_key": "phone-at-issue-02", "phone": "call me"})
        assert refused.status_code == 422 and "call me" not in refused.text
    number = remote.json()["number"]
    _wait(lambda: any(a.body["ticket"]["number"] == number
                      for a in s.receiver.of("/sms", "ticket.near_turn")), what="the nudge")
    [first] = [a.body for a in s.receiver.of("/sms", "ticket.near_turn")
               if a.body["ticket"]["number"] == number]
    assert first["phone"] == PHONE


def test_two_host_processes_on_one_database_send_each_delivery_once(db_url: str,
                                                                   tmp_path: Path) -> None:
    """Two branch services on one PostgreSQL database (as two workers run): each plans the
    nudges of every waiting ticket, the outbox keeps one delivery per event, and only one of
    them sends it. On SQLite the same runs with two services on one file."""
    receiver, server = new_receiver()
    receiver.sms_failures = 1
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(SMS_SECRET_ENV, SMS_SECRET)
        config = parse_config(branch_toml(server.server_address[1], tmp_path / "w.secret"))
    services = [BranchService(config, Store(db_url, DEMO_BRANCH)) for _ in range(2)]

    async def main() -> None:
        for service in services:
            service.load()
            service.start()
        try:
            for i in range(4):  # issued in turn by each process
                await services[i % 2].execute(lambda e, now, i=i: e.issue(
                    ticket_id=f"pg-ticket-{i:010d}", service="cash", at=now, actor="test"))
            await services[1].execute(lambda e, now: e.call_next(1, now, "test"))
            await asyncio.to_thread(_wait, lambda: {
                a.body["ticket"]["number"] for a in receiver.of("/sms", "ticket.near_turn")
                if a.answered == 200} == {"A001", "A002", "A003", "A004"}, 30.0, "nudges")
            await asyncio.to_thread(_wait, lambda: any(
                a.answered == 200 for a in receiver.of("/sms", "ticket.called")), 30.0, "call")
            await asyncio.sleep(1.0)  # time for a second send, were there one
        finally:
            for service in services:
                service.stop()
                service.store.close()

    asyncio.run(main())
    server.shutdown()
    by_id: dict[str, list[int]] = {}
    for attempt in receiver.of("/sms"):
        by_id.setdefault(attempt.delivery, []).append(attempt.answered)
    assert len(by_id) == 5 and all(codes == [500, 200] for codes in by_id.values()), by_id
    assert receiver.bad_signatures == 0
