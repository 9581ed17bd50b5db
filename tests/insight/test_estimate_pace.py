"""The wait-estimate memo (Pace): on a long queue it answers exactly as a full projection would."""

from __future__ import annotations

from datetime import timedelta

import pytest

from branchq.host.engine import Priority
from tests.host.engine_helpers import Branch


def _fresh(b: Branch, service: str, ahead: int) -> int | None:
    """The estimate with the memo forgotten: a full projection."""
    b.estimator._paces.clear()
    return b.engine.estimate_wait(service, ahead)


def _busy_branch() -> Branch:
    """Every counter serving, long queues, some service times learned."""
    b = Branch()
    for _ in range(150):
        for service in ("cash", "noncash", "wealth"):
            b.issue(service)
    for counter in b.engine.counters:
        b.call(counter)
    b.tick(200)
    for counter in (1, 3):
        b.do("done", counter)
        b.call(counter)
    b.tick(30)
    return b


@pytest.mark.parametrize("service", ["cash", "noncash", "wealth"])
def test_a_burst_of_tickets_gets_the_estimates_a_full_projection_gives(service: str) -> None:
    b = _busy_branch()
    memo_hits = 0
    for i in range(40):
        b.issue(service, Priority.GREEN if i % 10 == 9 else Priority.NORMAL)
        ahead = len(b.engine.queues[service])
        memo = b.estimator._paces.get(service)
        with_memo = b.engine.estimate_wait(service, ahead)
        memo_hits += memo is not None and b.estimator._paces.get(service) is memo
        assert with_memo == _fresh(b, service, ahead)
        b.engine.estimate_wait(service, ahead)  # leave a memo for the next ticket
    assert memo_hits > 0


def test_a_call_a_second_later_or_a_short_queue_is_projected_afresh() -> None:
    b = _busy_branch()
    ahead = len(b.engine.queues["cash"])
    b.engine.estimate_wait("cash", ahead)
    assert "cash" in b.estimator._paces
    shape = b.engine.shape

    b.call(2)  # anything but a new ticket changes the shape
    assert b.engine.shape != shape
    assert b.estimator._fresh_pace(b.engine, "cash", ahead, b.now) is None

    b.engine.estimate_wait("cash", ahead)
    assert b.estimator._fresh_pace(b.engine, "cash", ahead, b.now) is not None
    assert b.estimator._fresh_pace(b.engine, "cash", 3, b.now) is None  # shorter than the memo holds for
    b.tick(1)
    b.issue("cash")
    assert b.estimator._fresh_pace(b.engine, "cash", ahead + 1, b.now) is None  # a second is too old


def test_an_offline_ticket_merged_mid_queue_forgets_the_memo() -> None:
    b = _busy_branch()
    b.engine.lease("entrance", "cash", 10, b.now, "kiosk:e")
    b.issue("cash")  # the engine's "now" is its newest ticket or call
    ahead = len(b.engine.queues["cash"])
    b.engine.estimate_wait("cash", ahead)
    assert b.estimator._fresh_pace(b.engine, "cash", ahead, b.now) is not None
    b.engine.accept_offline(ticket_id="off1", kiosk="entrance", service="cash", number=500,
                            priority=Priority.NORMAL, issued_at=b.now - timedelta(minutes=5),
                            client_ref="r1", at=b.now, actor="kiosk:e")
    assert b.estimator._fresh_pace(b.engine, "cash", ahead + 1, b.now) is None
