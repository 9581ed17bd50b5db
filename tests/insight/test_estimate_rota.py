"""The lunch rota in the wait estimate (host/insight/estimate.py): a teller on a break of the
rota (branch.toml ``breaks``) is back at its end, a teller due for one takes nobody after it,
and a counter paused outside the rota stays closed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from branchq.host.config import ConfigError, example_config_text, load_config, parse_config
from branchq.host.insight.estimate import estimate_range
from tests.host.engine_helpers import OPENING, Branch

# The example branch's rota: cash counter 2 is away 11:45-12:30, counter 4 12:30-13:15.
# Cash is served by counters 1, 2 and 5; with no service finished yet a service counts as the
# branch's default 240 s.


def _cash_hall(hour: float, paused: tuple[int, ...], ahead: int) -> int:
    """The estimate for a cash ticket with ``ahead`` before it, ``hour`` hours after opening
    (09:00): counter 1 just called a customer, the ``paused`` counters paused before that."""
    b = Branch()
    b.now = OPENING + timedelta(hours=hour)
    for counter in paused:
        b.do("pause", counter)
    for _ in range(ahead + 2):
        b.issue("cash")
    b.call(1)
    told = estimate_range(b.engine, "cash", ahead)
    assert told is not None
    return told.estimate_s


def test_a_teller_on_the_rota_break_counts_again_from_its_end() -> None:
    """Counter 2 paused at 12:00 is on its break until 12:30: a long queue counts it from then
    on. Paused at 10:00 (no break of the rota) it is closed, and only counter 1 serves."""
    on_break = _cash_hall(3.0, (2, 5), ahead=20)
    closed = _cash_hall(1.0, (2, 5), ahead=20)
    both_open = _cash_hall(1.0, (5,), ahead=20)
    assert both_open < on_break < closed
    assert on_break > 30 * 60  # nobody is served at counter 2 before 12:30
    # A short queue is called before the teller is back, but for the odd long service: the
    # break changes next to nothing.
    assert _cash_hall(3.0, (2, 5), ahead=2) == pytest.approx(_cash_hall(1.0, (2, 5), ahead=2),
                                                             rel=0.02)


def test_a_teller_due_for_lunch_takes_nobody_after_it_and_counts_again_after() -> None:
    """At 11:40 counter 2 leaves at 11:45 for 45 minutes: a queue of twenty waits longer than
    the same hall at 10:40 or at 13:00, when counter 2 is back."""
    before_lunch = _cash_hall(2 + 40 / 60, (5,), ahead=20)
    morning = _cash_hall(1 + 40 / 60, (5,), ahead=20)
    afternoon = _cash_hall(4.0, (5,), ahead=20)
    assert before_lunch > morning * 1.2
    assert afternoon == morning


def test_with_every_counter_of_a_service_on_its_break_the_wait_is_until_the_return() -> None:
    """Counter 4 is away 12:30-13:15; with counters 3 and 5 paused, a non-cash ticket at 12:45
    is told the time until 13:15 and a service or so, not "no counter open"."""
    b = Branch()
    b.now = OPENING + timedelta(hours=3.5)
    for counter in (3, 5):
        b.do("pause", counter)
    b.do("pause", 4)
    b.now += timedelta(minutes=15)
    b.issue("noncash")
    told = estimate_range(b.engine, "noncash", 0)
    assert told is not None
    assert told.estimate_s == pytest.approx(30 * 60, abs=5)
    b.do("pause", 6)
    assert estimate_range(b.engine, "wealth", 0) is None  # paused, no break: closed


@pytest.mark.parametrize(("breaks", "message"), [
    ('["12:30-11:45"]', "ends before it starts"),
    ('["11:00-12:00", "11:30-13:00"]', "overlaps 11:00-12:00"),
    ('["11:00"]', "counters[1].breaks[0]"),
])
def test_a_rota_that_cannot_be_kept_is_refused_naming_the_key(breaks: str, message: str) -> None:
    text = example_config_text().replace('breaks = ["11:45-12:30"]', f"breaks = {breaks}")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_config(text)


def test_the_example_branch_keeps_its_lunch_rota() -> None:
    counters = {c.number: c.breaks for c in load_config(None).counters}
    assert counters[2] == ["11:45-12:30"] and counters[4] == ["12:30-13:15"]
    assert not counters[1]
