"""One wait, one wording: people ahead, the estimate and the words every surface shows.

The kiosk screen, the paper ticket, the hall, the counter console, the customer's status page,
the lobby and the API all show the strings made here and nothing else, so one customer never
reads "no wait" on one screen and "about 4 min" on another. The numbers come from the engine
(``QueueEngine.people_ahead`` and the estimate with its 80% range, ``estimate_range`` in
host/insight/estimate.py); this module only words them. A wait is told as the range ("约 8–12
分钟 / about 8–12 min"), not as a point it cannot keep; a range wider than the point itself is
said to be uncertain, not shrunk (docs/insight.md, "Ranges"). Pure, no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class WaitView:
    """What a customer is told about a wait, in both languages."""

    ahead: int  # people ahead (for a queue: people waiting, i.e. ahead of a new ticket)
    estimate_s: int | None  # None when no counter is open for the service
    text_zh: str
    text_en: str
    low_s: int | None = None  # the 80% range of the wait (None with the estimate)
    high_s: int | None = None


NO_COUNTER_ZH = "暂无窗口办理，请咨询大堂经理"
NO_COUNTER_EN = "No counter open for this now, please ask the lobby manager"
NO_WAIT_ZH = "无需等候"
NO_WAIT_EN = "No wait"
# A range wider than this share of the estimate is said to be hard to predict.
WIDE_SHARE = 1.0
UNSURE_ZH = "（难以准确预估）"
UNSURE_EN = " (hard to predict)"


def minutes(estimate_s: int) -> int:
    """Whole minutes, rounded up and at least one: a customer is never told "about 0 min"."""
    return max(1, math.ceil(estimate_s / 60))


def minute_range(low_s: int, high_s: int) -> tuple[int, int]:
    """A range in whole minutes that holds the one in seconds: down and up, at least one."""
    low = max(1, low_s // 60)
    return low, max(low, minutes(high_s))


def describe_wait(ahead: int, estimate_s: int | None, counter_free: bool,
                  span: tuple[int, int] | None = None) -> WaitView:
    """Word a wait. ``counter_free``: a counter serving this service is open and not busy.
    ``span``: the estimate's 80% range in seconds (without one, the estimate alone is told).

    "No wait" only when nobody is ahead *and* such a counter is free; with nobody ahead but every
    counter busy the customer is next, and is told roughly when.
    """
    if ahead < 0:
        raise ValueError(f"people ahead cannot be negative: {ahead}")
    if estimate_s is None:
        return WaitView(ahead, None, NO_COUNTER_ZH, NO_COUNTER_EN)
    low_s, high_s = span or (estimate_s, estimate_s)
    if not 0 <= low_s <= estimate_s <= high_s:
        raise ValueError(f"the range {low_s}-{high_s} s must hold the estimate {estimate_s} s")
    if ahead == 0 and counter_free:
        return WaitView(0, estimate_s, NO_WAIT_ZH, NO_WAIT_EN, low_s, high_s)
    low, high = minute_range(low_s, high_s) if span else (minutes(estimate_s),) * 2
    if low == high:
        zh, en = f"约 {low} 分钟", f"about {low} min"
    else:
        zh, en = f"约 {low}–{high} 分钟", f"about {low}–{high} min"
    if high_s - low_s > WIDE_SHARE * estimate_s:
        zh, en = zh + UNSURE_ZH, en + UNSURE_EN
    if ahead == 0:
        return WaitView(0, estimate_s, f"您是下一位，{zh}", f"You are next, {en}", low_s, high_s)
    people = "1 person" if ahead == 1 else f"{ahead} people"
    return WaitView(ahead, estimate_s, f"前面 {ahead} 人，{zh}", f"{people} ahead, {en}",
                    low_s, high_s)
