"""Queue rules as the branch experiences them (docs/architecture.md §4)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from branchq.host.config import load_config
from branchq.host.engine import (
    Event,
    Forbidden,
    InvalidState,
    NotFound,
    Priority,
    QueueEngine,
    TicketStatus,
    UnknownService,
)
from branchq.host.engine.engine import format_number
from branchq.host.insight.estimate import ProjectedWait
from tests.host.engine_helpers import Branch


def test_numbers_are_per_service_and_padded() -> None:
    b = Branch()
    labels = [b.label(b.issue("cash")) for _ in range(3)] + [b.label(b.issue("noncash"))]
    assert labels == ["A001", "A002", "A003", "B001"]
    assert format_number("A", 999) == "A999"
    assert format_number("A", 1000) == "A1000"


def test_numbering_restarts_on_the_next_business_day_in_branch_time() -> None:
    b = Branch()
    first = b.issue()
    b.tick(15 * 3600)  # 16:00 UTC = midnight in Shanghai
    second = b.issue()
    assert b.label(second) == "A001"
    assert first not in b.engine.tickets  # yesterday's tickets leave the live queue


def test_unknown_service_is_refused() -> None:
    with pytest.raises(UnknownService):
        Branch().issue("mortgage")


def test_longest_waiting_first_then_green_first() -> None:
    b = Branch()
    a1 = b.issue()
    b.tick()
    b.issue()
    b.tick()
    green = b.issue(priority=Priority.GREEN)
    assert b.call(1) == b.label(green)
    assert b.call(2) == b.label(a1)


def test_vip_first_only_at_a_vip_counter() -> None:
    b = Branch()
    normal = b.issue("cash")
    b.tick()
    vip_cash = b.issue("cash", Priority.VIP)
    assert b.call(1) == b.label(normal)  # counter 1 is not a VIP counter
    b.issue("cash")
    b.tick()
    vip_cash2 = b.issue("cash", Priority.VIP)
    assert b.call(5) == b.label(vip_cash)  # counter 5 serves VIP first
    assert b.call(5) == b.label(vip_cash2)


def test_vip_counter_takes_cash_and_noncash_when_no_vip_waits() -> None:
    b = Branch()
    noncash = b.issue("noncash")
    b.tick()
    vip = b.issue("vip")
    assert b.engine.tickets[vip].priority is Priority.VIP
    assert b.label(vip) == "V001"
    assert b.call(5) == "V001"
    assert b.call(5) == b.label(noncash)
    assert b.call(5) is None


def test_aging_promotes_a_long_wait_above_new_green_tickets() -> None:
    b = Branch()
    old = b.issue()
    b.tick(b.engine.config.branch.aging_limit_s + 1)
    b.issue(priority=Priority.GREEN)
    assert b.call(1) == b.label(old)


def test_call_next_finishes_the_current_customer_and_learns_service_time() -> None:
    b = Branch()
    first = b.issue()
    b.issue()
    b.call(1)
    b.tick(300)
    b.call(1)
    assert b.engine.tickets[first].status is TicketStatus.DONE
    assert b.engine.mean_service_time("cash") == 300


def test_recall_counts_and_no_show_can_be_reinstated_within_grace() -> None:
    b = Branch()
    t = b.issue()
    b.issue()
    b.call(1)
    b.do("recall", 1)
    b.do("recall", 1)
    assert b.engine.tickets[t].recalls == 2
    b.do("no_show", 1)
    assert b.engine.tickets[t].status is TicketStatus.NO_SHOW
    b.tick(60)
    b.do("reinstate", t)
    assert b.call(2) == b.label(t)  # served next, ahead of A002


def test_reinstate_after_grace_is_refused() -> None:
    b = Branch()
    t = b.issue()
    b.call(1)
    b.do("no_show", 1)
    b.tick(b.engine.config.branch.no_show_grace_s + 1)
    with pytest.raises(InvalidState, match="issue a new one"):
        b.do("reinstate", t)


def test_transfer_keeps_the_number_and_goes_to_the_front() -> None:
    b = Branch()
    b.issue("noncash")
    t = b.issue("cash")
    b.call(1)
    b.do("transfer", 1, "noncash")
    ticket = b.engine.tickets[t]
    assert ticket.label == "A001"
    assert ticket.service == "noncash"
    assert b.call(3) == ticket.label
    assert b.engine.counters[1].current is None


def test_paused_counter_cannot_call_and_others_still_can() -> None:
    b = Branch()
    b.issue()
    b.do("pause", 1)
    with pytest.raises(InvalidState, match="paused"):
        b.call(1)
    assert b.call(2) == "A001"
    b.do("resume", 1)
    with pytest.raises(InvalidState):
        b.do("resume", 1)


def test_actions_without_a_customer_are_refused() -> None:
    b = Branch()
    for method in ("recall", "no_show", "done"):
        with pytest.raises(InvalidState, match="not serving"):
            b.do(method, 1)
    with pytest.raises(NotFound):
        b.call(42)


def test_self_service_guidance_then_fallback_when_atms_are_down() -> None:
    b = Branch()
    b.issue("atm_small")
    assert not b.engine.tickets  # guidance only: no number
    assert b.log[-1].kind == "guidance_given"
    for atm in ("atm-1", "atm-2"):
        b.do("set_equipment", atm, False, "cash jam")
    t = b.issue("atm_small")
    ticket = b.engine.tickets[t]
    assert (ticket.label, ticket.routed_from) == ("A001", "atm_small")


def test_people_ahead_and_estimated_wait() -> None:
    b = Branch()
    ids = [b.issue() for _ in range(5)]
    last = b.engine.tickets[ids[-1]]
    assert b.engine.people_ahead(last, b.now) == 4
    # Counters 1, 2 and 5 (no VIP waiting) are idle and call the first three at once; the 4th
    # and 5th are called as the first of them free. Three services of 240 s on average (the
    # default, spread as service times are): the first of three ends well before the average
    # one, so the wait is under one service time (since issue 15; before, exactly 240 s; before
    # issue 7, 4 x 240 / 2.5 = 384 s).
    assert b.engine.estimate_wait("cash", 2) == 0
    fourth, fifth = b.engine.estimate_wait("cash", 3), b.engine.estimate_wait("cash", 4)
    assert fourth is not None and fifth is not None
    assert 0 < fourth <= fifth < 240
    for n in (1, 2, 5):
        b.do("pause", n)
    assert b.engine.estimate_wait("cash", 4) is None


def test_void_withdraws_a_ticket_that_never_printed() -> None:
    b = Branch()
    t = b.issue()
    b._record(b.engine.void(t, b.now, "kiosk:test", "paper out"))
    assert b.engine.tickets[t].status is TicketStatus.VOIDED
    assert b.call(1) is None
    assert b.label(b.issue()) == "A002"  # the number is never reused


def test_replaying_the_log_rebuilds_the_same_state() -> None:
    b = Branch()
    for i in range(6):
        b.issue("cash" if i % 2 else "noncash", Priority.GREEN if i == 3 else Priority.NORMAL)
        b.tick(30)
    b.call(1)
    b.call(3)
    b.do("no_show", 3)
    b.do("transfer", 1, "wealth")
    replayed = QueueEngine(b.engine.config, ProjectedWait())
    replayed.replay(b.log)
    assert replayed.tickets == b.engine.tickets
    assert replayed.counters == b.engine.counters
    assert replayed.seq == len(b.log)


def test_a_day_rollover_expires_nothing_still_callable_from_yesterday() -> None:
    b = Branch()
    b.issue()
    b.tick(timedelta(days=1).total_seconds())
    assert b.call(1) is None


def test_rating_goes_to_the_ticket_just_served_once() -> None:
    b = Branch()
    t = b.issue()
    b.call(1)
    b.do("done", 1)
    b.do("rate", 1, 3)
    assert b.engine.tickets[t].rating == 3
    with pytest.raises(InvalidState, match="already rated"):
        b.do("rate", 1, 1)
    with pytest.raises(InvalidState, match="served nobody"):
        b.do("rate", 2, 2)
    with pytest.raises(InvalidState):
        b.do("rate", 1, 7)


def test_a_kiosk_ticket_is_callable_only_once_printed() -> None:
    b = Branch()
    events = b.engine.issue(ticket_id="k1", service="cash", at=b.now, actor="kiosk:e",
                            await_print=True)
    ticket = b.engine.tickets["k1"]
    assert ticket.status is TicketStatus.PRINTING and events[-1].data["label"] == "A001"
    assert b.call(1) is None  # not in a customer's hand yet: not called, not counted
    assert len(b.engine.queues["cash"]) == 0
    b.engine.confirm_printed("k1", b.now, "kiosk:e")
    assert b.engine.confirm_printed("k1", b.now, "kiosk:e") == []  # a retry is harmless
    assert b.call(1) == "A001"


def test_a_failed_print_voids_the_number_for_good() -> None:
    b = Branch()
    b.engine.issue(ticket_id="k1", service="cash", at=b.now, actor="kiosk:e", await_print=True)
    b._record(b.engine.void("k1", b.now, "kiosk:test", "paper out"))
    assert b.engine.tickets["k1"].status is TicketStatus.VOIDED
    assert b.label(b.issue()) == "A002"


def test_a_retried_issue_with_the_same_client_ref_issues_nothing() -> None:
    b = Branch()
    first = b.engine.issue(ticket_id="t1", service="cash", at=b.now, actor="k", client_ref="r1")
    again = b.engine.issue(ticket_id="t2", service="cash", at=b.now, actor="k", client_ref="r1")
    assert [e.kind for e in first] == ["day_opened", "ticket_issued"] and again == []
    assert b.engine.client_refs["r1"] == "t1" and "t2" not in b.engine.tickets


def _at_kiosk(b: Branch, ticket_id: str, service: str = "cash",
              priority: Priority = Priority.NORMAL, card: str | None = None) -> list[Event]:
    return b.engine.kiosk_issue(ticket_id=ticket_id, service=service, at=b.now, actor="kiosk:e",
                                priority=priority, vip_card=card, client_ref=None,
                                await_print=False)


def test_a_kiosk_issues_a_vip_ticket_only_for_an_enrolled_card() -> None:
    b = Branch()
    for service, priority, card in (("vip", Priority.NORMAL, None),
                                    ("cash", Priority.VIP, "d" * 64)):
        with pytest.raises(Forbidden, match="recognised VIP card or the lobby manager"):
            _at_kiosk(b, "t1", service, priority, card)
    assert b.engine.applied == 0  # refused before anything happened, not even the day's opening
    b.engine.enroll_vip_card("d" * 64, b.now, "manager:m")
    _at_kiosk(b, "t1", "vip", card="d" * 64)
    ticket = b.engine.tickets["t1"]
    assert (ticket.priority, ticket.label, ticket.channel) == (Priority.VIP, "V001", "kiosk")
    b.engine.issue(ticket_id="t2", service="vip", at=b.now, actor="manager:m", channel="manager")
    assert b.engine.tickets["t2"].priority is Priority.VIP  # the lobby manager needs no card


def test_a_kiosk_issues_nothing_while_the_branch_is_closed() -> None:
    config = load_config(None)
    late = config.model_copy(update={"branch": config.branch.model_copy(
        update={"opens_at": "09:30", "closes_at": "17:00"})})
    b = Branch(late)  # 09:00 in the branch
    with pytest.raises(InvalidState, match=r"the branch is closed \(open 09:30-17:00\)"):
        _at_kiosk(b, "t1")
    assert b.engine.applied == 0
    b.engine.issue(ticket_id="t2", service="cash", at=b.now, actor="manager:m", channel="manager")
    b.tick(30 * 60)
    _at_kiosk(b, "t1")
    assert [b.label(t) for t in ("t2", "t1")] == ["A001", "A002"]


def test_offline_tickets_from_a_lease_merge_in_issue_time_order() -> None:
    b = Branch()
    online_1 = b.issue()  # A001
    b.tick(60)
    events = b.engine.lease("entrance", "cash", 10, b.now, "kiosk:e")
    assert (events[-1].data["first"], events[-1].data["last"]) == (500, 509)  # the offline pool
    offline_at = b.now  # the kiosk issues A500 while its link is down...
    b.tick(30)
    assert b.label(b.issue()) == "A002"  # ...while online numbering goes on from A001
    b.tick(60)
    b.engine.accept_offline(ticket_id="off1", kiosk="entrance", service="cash", number=500,
                            priority=Priority.NORMAL, issued_at=offline_at, client_ref="e-2",
                            at=b.now, actor="kiosk:e")
    assert b.engine.accept_offline(ticket_id="off1b", kiosk="entrance", service="cash", number=500,
                                   priority=Priority.NORMAL, issued_at=offline_at,
                                   client_ref="e-2", at=b.now, actor="kiosk:e") == []
    assert b.engine.tickets["off1"].label == "A500"
    assert [b.call(1), b.call(1), b.call(1)] == [b.label(online_1), "A500", "A002"]
    with pytest.raises(InvalidState, match="not leased"):
        b.engine.accept_offline(ticket_id="x", kiosk="other", service="cash", number=501,
                                priority=Priority.NORMAL, issued_at=offline_at, client_ref="o-501",
                                at=b.now, actor="kiosk:o")
    with pytest.raises(InvalidState, match="another business day"):
        b.engine.accept_offline(ticket_id="y", kiosk="entrance", service="cash", number=502,
                                priority=Priority.NORMAL, issued_at=b.now - timedelta(days=1),
                                client_ref="e-4", at=b.now, actor="kiosk:e")


def test_online_numbering_steps_over_leased_blocks() -> None:
    b = Branch()
    b.engine.lease("entrance", "cash", 3, b.now, "kiosk:e")  # A500..A502
    b.engine.stats["cash"].last_number = 499  # a very busy day
    assert b.label(b.issue()) == "A503"


def test_a_clock_stepping_back_over_midnight_never_restarts_numbering() -> None:
    b = Branch()
    b.tick(15 * 3600 + 60)  # 00:01 the next day in Shanghai
    assert b.label(b.issue()) == "A001"
    b.tick(-120)  # NTP steps the clock back to 23:59 of the day before
    assert b.label(b.issue()) == "A002"  # same business day: no reset, no duplicate A001
    b.tick(3600)
    assert b.label(b.issue()) == "A003"
