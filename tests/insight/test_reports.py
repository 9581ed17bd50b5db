"""Reports, CSV, chart and the daily work log on a generated 30-day history in a real store."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from bench.simulation import DayRun, record_days
from branchq.host.config import load_config
from branchq.host.engine import QueueEngine
from branchq.host.engine.events import TICKET_DONE, TICKET_NO_SHOW, TICKET_RATED, TICKET_TRANSFERRED
from branchq.host.insight import charts, reports, staffing
from branchq.host.insight.estimate import ProjectedWait
from branchq.host.insight.worklog import write_daily_log
from branchq.host.storage import Store
from branchq.host.storage.opinions import OpinionBook

CONFIG = load_config(None)
FIRST = date(2026, 11, 1)
DAYS = [FIRST + timedelta(days=n) for n in range(30)]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, list[DayRun]]]:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('hist') / 'b.db'}", CONFIG.branch.id)
    store.migrate()
    engine = QueueEngine(CONFIG, ProjectedWait())
    yield store, record_days(store, engine, DAYS, scale=0.25, seed=5)
    store.close()


def test_day_report_matches_what_happened(history: tuple[Store, list[DayRun]]) -> None:
    store, runs = history
    run = runs[12]  # pension day, the 13th
    report = reports.day_report(store, CONFIG, run.day)
    assert report["tickets"] == len(run.issued)
    for service, row in report["services"].items():
        waits = [i.actual_s for i in run.issued if i.service == service and i.actual_s is not None]
        assert row["issued"] == sum(i.service == service for i in run.issued)
        assert row["wait_p50_s"] == reports.percentile(waits, 50)  # type: ignore[arg-type]
        assert row["wait_p90_s"] == reports.percentile(waits, 90)  # type: ignore[arg-type]
        assert row["wait_max_s"] == max(waits, default=None)
        assert row["wait_mean_s"] == (round(sum(waits) / len(waits), 1) if waits else None)
    kinds = [e.kind for e in run.events]
    assert report["served"] == kinds.count(TICKET_DONE) > 0
    assert report["no_shows"] == kinds.count(TICKET_NO_SHOW)
    assert report["transfers"] == kinds.count(TICKET_TRANSFERRED)
    assert report["satisfaction"]["rated"] == kinds.count(TICKET_RATED)
    assert report["green"] == sum(i.priority == "green" for i in run.issued)
    assert sum(sum(h["tickets"].values()) for h in report["hours"]) == report["tickets"]
    assert {h["hour"] for h in report["hours"]} <= set(range(9, 18))
    assert set(report["counters"]) == {str(c.number) for c in CONFIG.counters}
    assert all(t.startswith("teller:") for t in report["tellers"])


def test_pension_day_stands_out_in_the_month(history: tuple[Store, list[DayRun]]) -> None:
    store, runs = history
    month = reports.month_report(store, CONFIG, FIRST)
    assert [d["day"] for d in month["days"]] == [d.isoformat() for d in DAYS]
    assert month["tickets"] == sum(len(r.issued) for r in runs)
    by_day = {d["day"]: d for d in month["days"]}
    pension = by_day["2026-11-13"]
    others = [d["tickets"] for k, d in by_day.items() if k != "2026-11-13"]
    assert pension["tickets"] > 1.2 * sum(others) / len(others)


def test_csv_and_chart(history: tuple[Store, list[DayRun]], tmp_path: Path) -> None:
    store, _ = history
    report = reports.day_report(store, CONFIG, date(2026, 11, 13))
    rows = list(csv.reader(io.StringIO(reports.day_csv(report))))
    assert rows[0] == ["day", "hour", "service", "tickets"]
    hourly = rows[1:rows.index([])]
    per_hour = sum(int(r[3]) for r in hourly)
    assert per_hour == report["tickets"]
    png = charts.day_chart(report)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (charts.WIDTH, charts.HEIGHT)


def test_daily_log_lists_checks_faults_and_opinions_without_phones(
        history: tuple[Store, list[DayRun]], tmp_path: Path) -> None:
    store, runs = history
    faulty = next(r for r in runs if any(
        e.kind == "equipment_changed" and not e.data["in_service"] for e in r.events))
    book = OpinionBook(store, CONFIG.branch.tz)
    at = datetime.combine(faulty.day, datetime.min.time(), tzinfo=CONFIG.branch.tz) + timedelta(hours=10)
    book.add("The queue screen is too small", "13800138000", at.astimezone(UTC), "manager:lobby")
    path = write_daily_log(store, CONFIG, faulty.day, tmp_path)
    html = path.read_text(encoding="utf-8")
    assert path.name == f"worklog-{faulty.day.isoformat()}.html"
    assert "morning check: ok" in html and "card reader jammed" in html
    assert "The queue screen is too small" in html and "OVERDUE" in html
    assert "13800138000" not in html


def test_staffing_uses_same_weekday_and_date_history(history: tuple[Store, list[DayRun]]) -> None:
    """On the 13th of the next month at 09:00, history (the pension morning of 13 Nov and the same
    weekday of past weeks) predicts cash traffic before any customer has arrived today."""
    store, _ = history
    now = datetime(2026, 12, 13, 9, 0, tzinfo=CONFIG.branch.tz).astimezone(UTC)
    rates = staffing.history_rates(store, CONFIG, now)
    assert rates["cash"] > rates["noncash"] > 0
    engine = QueueEngine(CONFIG, ProjectedWait())
    advice = {a.service: a for a in staffing.advise(engine, now, rates)}
    cash = advice["cash"]
    assert cash.recent_per_h == 0 and cash.arrivals_per_h == rates["cash"].__round__(1)
    assert cash.p_over_one_more <= cash.p_over_now
    big = staffing.advise(engine, now, {"cash": 80.0})
    cash = next(a for a in big if a.service == "cash")
    assert cash.open_more >= 1 and cash.message.startswith("Open ")
