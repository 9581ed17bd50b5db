"""The one wording of a wait that every surface shows (host/insight/wait_text.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branchq.host.insight.wait_text import describe_wait


def test_no_wait_only_with_nobody_ahead_and_a_free_counter() -> None:
    free = describe_wait(0, 0, counter_free=True)
    assert (free.text_zh, free.text_en) == ("无需等候", "No wait")
    busy = describe_wait(0, 0, counter_free=False)
    assert (busy.text_zh, busy.text_en) == ("您是下一位，约 1 分钟", "You are next, about 1 min")
    # Two ahead is never "no wait", even when a counter is free and the estimate rounds to 0.
    two = describe_wait(2, 0, counter_free=True)
    assert (two.text_zh, two.text_en) == ("前面 2 人，约 1 分钟", "2 people ahead, about 1 min")


def test_minutes_round_up_and_english_is_singular_for_one() -> None:
    one = describe_wait(1, 61, counter_free=False)
    assert (one.text_zh, one.text_en) == ("前面 1 人，约 2 分钟", "1 person ahead, about 2 min")
    assert describe_wait(3, 240, counter_free=False).text_en == "3 people ahead, about 4 min"
    assert describe_wait(3, 241, counter_free=False).text_en == "3 people ahead, about 5 min"


def test_no_counter_open_sends_the_customer_to_the_lobby_manager() -> None:
    view = describe_wait(4, None, counter_free=False)
    assert (view.ahead, view.estimate_s) == (4, None)
    assert view.text_zh == "暂无窗口办理，请咨询大堂经理"
    assert "lobby manager" in view.text_en


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        describe_wait(-1, 10, counter_free=True)


@given(st.integers(0, 500), st.one_of(st.none(), st.integers(0, 20_000)), st.booleans())
def test_every_wording_keeps_its_figures_and_never_says_zero_minutes(
    ahead: int, estimate_s: int | None, free: bool
) -> None:
    view = describe_wait(ahead, estimate_s, free)
    assert (view.ahead, view.estimate_s) == (ahead, estimate_s)
    assert "约 0 分钟" not in view.text_zh and "about 0 min" not in view.text_en
    no_wait = view.text_en == "No wait"
    assert no_wait == (ahead == 0 and free and estimate_s is not None)
    assert (view.text_zh == "无需等候") == no_wait
    if ahead and estimate_s is not None:
        assert f"前面 {ahead} 人" in view.text_zh and f"{ahead} pe" in view.text_en


def test_a_wait_is_told_as_its_range_in_whole_minutes() -> None:
    view = describe_wait(3, 600, counter_free=False, span=(480, 720))
    assert (view.text_zh, view.text_en) == ("前面 3 人，约 8–12 分钟", "3 people ahead, about 8–12 min")
    assert (view.estimate_s, view.low_s, view.high_s) == (600, 480, 720)
    # Minutes go down at the low end and up at the high end: the range in seconds is inside.
    assert describe_wait(3, 600, False, span=(499, 701)).text_en == "3 people ahead, about 8–12 min"
    # A range of one value is one number; a short one still a range, never "about 0 min".
    assert describe_wait(0, 300, False, span=(300, 300)).text_en == "You are next, about 5 min"
    assert describe_wait(0, 70, False, span=(40, 100)).text_en == "You are next, about 1–2 min"
    # Nobody ahead and a free counter: still no wait, whatever the range.
    assert describe_wait(0, 0, True, span=(0, 0)).text_en == "No wait"


def test_a_range_wider_than_the_estimate_is_called_hard_to_predict_not_shrunk() -> None:
    """One wealth customer ahead (600 s, CV 0.5): the wait may be 4 or 25 minutes."""
    view = describe_wait(1, 700, counter_free=False, span=(240, 1500))
    assert view.text_zh == "前面 1 人，约 4–25 分钟（难以准确预估）"
    assert view.text_en == "1 person ahead, about 4–25 min (hard to predict)"
    assert "难以" not in describe_wait(30, 3000, False, span=(2500, 3600)).text_zh


def test_a_range_that_does_not_hold_its_estimate_is_refused() -> None:
    with pytest.raises(ValueError, match="must hold"):
        describe_wait(2, 600, counter_free=False, span=(700, 900))
