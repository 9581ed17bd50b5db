"""Event counter arithmetic: each press once, across the wrap, no replay after a restart."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from branchq.drivers.keypad import CounterTracker, presses_between


def test_wrap_from_65535_to_0_is_one_press() -> None:
    assert presses_between(65535, 0) == 1
    assert presses_between(65534, 2) == 4


def test_first_read_is_a_baseline_not_a_press() -> None:
    tracker = CounterTracker(max_step=50)
    assert tracker.update(1234) is None
    assert tracker.update(1234) == 0
    assert tracker.update(1235) == 1


def test_implausible_jump_is_a_reset_not_presses() -> None:
    tracker = CounterTracker(max_step=50)
    tracker.update(4000)
    assert tracker.update(0) is None  # keypad power-cycled
    assert tracker.update(1) == 1


@settings(max_examples=200, deadline=None)
@given(start=st.integers(0, 65535), steps=st.lists(st.integers(0, 50), max_size=40))
def test_every_press_is_counted_exactly_once(start: int, steps: list[int]) -> None:
    tracker = CounterTracker(max_step=50)
    tracker.update(start)
    counter, delivered = start, 0
    for step in steps:
        counter = (counter + step) % 65536
        delivered += tracker.update(counter) or 0
        assert tracker.update(counter) == 0  # reading again delivers nothing
    assert delivered == sum(steps)
