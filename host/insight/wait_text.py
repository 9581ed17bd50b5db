"""One wait, one wording: people ahead, the estimate and the words every surface shows.

The kiosk screen, the paper ticket, the hall, the counter console, the customer's status page,
the lobby and the API all show the strings made here and nothing else, so one customer never
reads "no wait" on one screen and "about 4 min" on another. The numbers come from the engine
(``QueueEngine.people_ahead`` and ``QueueEngine.estimate_wait``, see host/insight/estimate.py);
this module only words them. Pure, no I/O.
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


NO_COUNTER_ZH = "暂无窗口办理，请咨询大堂经理"
NO_COUNTER_EN = "No counter open for this now, please ask the lobby manager"
NO_WAIT_ZH = "无需等候"
NO_WAIT_EN = "No wait"


def minutes(estimate_s: int) -> int:
    """Whole minutes, rounded up and at least one: a customer is never told "about 0 min"."""
    return max(1, math.ceil(estimate_s / 60))


def describe_wait(ahead: int, estimate_s: int | None, counter_free: bool) -> WaitView:
    """Word a wait. ``counter_free``: a counter serving this service is open and not busy.

    "No wait" only when nobody is ahead *and* such a counter is free; with nobody ahead but every
    counter busy the customer is next, and is told roughly when.
    """
    if ahead < 0:
        raise ValueError(f"people ahead cannot be negative: {ahead}")
    if estimate_s is None:
        return WaitView(ahead, None, NO_COUNTER_ZH, NO_COUNTER_EN)
    if ahead == 0 and counter_free:
        return WaitView(0, estimate_s, NO_WAIT_ZH, NO_WAIT_EN)
    m = minutes(estimate_s)
    if ahead == 0:
        return WaitView(0, estimate_s, f"您是下一位，约 {m} 分钟", f"You are next, about {m} min")
    people = "1 person" if ahead == 1 else f"{ahead} people"
    return WaitView(ahead, estimate_s, f"前面 {ahead} 人，约 {m} 分钟",
                    f"{people} ahead, about {m} min")
