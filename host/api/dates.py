"""Day and month query parameters (reports, the opinion book), parsed and bounded.

A day is turned into times in the branch's time zone and a month into its next month's first
day: at ``0001-01-01`` or ``9999-12-31`` that overflows. No branch has records outside
2000-2999, so anything outside is refused with 422 before it reaches a computation.
"""

from __future__ import annotations

from datetime import date, datetime

from fastapi import HTTPException

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2999, 12, 31)
DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
MONTH_PATTERN = r"^\d{4}-\d{2}$"


def parse_day(text: str) -> date:
    """``YYYY-MM-DD`` within the supported years; HTTP 422 otherwise."""
    return _bounded(text, "%Y-%m-%d", "date")


def parse_month(text: str) -> date:
    """``YYYY-MM`` within the supported years, as the month's first day; HTTP 422 otherwise."""
    return _bounded(text, "%Y-%m", "month")


def _bounded(text: str, fmt: str, what: str) -> date:
    try:
        day = datetime.strptime(text, fmt).date()
    except ValueError as err:
        raise HTTPException(422, f"not a valid {what}: {text!r}") from err
    if not FIRST_DAY <= day <= LAST_DAY:
        raise HTTPException(422, f"{what} {text!r} is outside the years "
                                 f"{FIRST_DAY.year}-{LAST_DAY.year}")
    return day
