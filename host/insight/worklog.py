"""The daily work log (工作日志) that ``branchq maint day close`` writes: one self-contained HTML
file with the day's figures, the chart, the morning checks, equipment checks and faults, and the
opinion book."""

from __future__ import annotations

import base64
from datetime import date, datetime
from html import escape
from pathlib import Path
from typing import Any

from branchq.host.config import BranchConfig
from branchq.host.engine import Event
from branchq.host.engine.events import DEVICE_STATUS, EQUIPMENT_CHANGED, OPENING_CHECKED
from branchq.host.insight.charts import day_chart
from branchq.host.insight.reports import day_bounds, fold, load_events, summarize
from branchq.host.storage import Store
from branchq.host.storage.opinions import OpinionBook


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:.0%}" if unit == "%" else f"{value:.0f}{unit}"


def _equipment_rows(events: list[Event], config: BranchConfig) -> tuple[list[str], list[str]]:
    """(checks, faults) as table rows: a device back in service or reported ok is a check, out of
    service or a warning/fault/offline state is a fault."""
    tz = config.branch.tz
    checks: list[str] = []
    faults: list[str] = []
    for e in events:
        when = e.at.astimezone(tz).strftime("%H:%M")
        if e.kind == EQUIPMENT_CHANGED:
            ok = bool(e.data.get("in_service"))
            what, detail = e.data.get("id", ""), e.data.get("note", "")
        elif e.kind == DEVICE_STATUS:
            ok = e.data.get("status") == "ok"
            what = f"{e.data.get('kiosk', '')} {e.data.get('device', '')}"
            detail = f"{e.data.get('status', '')} {e.data.get('detail', '')}".strip()
        else:
            continue
        row = (f"<tr><td>{when}</td><td>{escape(what)}</td><td>{escape(detail)}</td>"
               f"<td>{escape(e.actor)}</td></tr>")
        (checks if ok else faults).append(row)
    return checks, faults


def _opening_rows(events: list[Event], config: BranchConfig) -> list[str]:
    """One row per morning check recorded (host/opening.py): its time, who ran it, and every red
    item with the action it called for."""
    rows = []
    for e in events:
        if e.kind != OPENING_CHECKED:
            continue
        red = [i for i in e.data.get("items", []) if not i.get("ok")]
        result = "all green" if not red else "; ".join(
            f"{i.get('name_en', '')}: {i.get('detail_en', '')} - {i.get('action_en', '')}" for i in red)
        rows.append(f"<tr><td>{e.at.astimezone(config.branch.tz):%H:%M}</td><td>{escape(e.actor)}</td>"
                    f"<td>{len(e.data.get('items', []))}</td><td>{len(red)}</td>"
                    f"<td>{escape(result)}</td></tr>")
    return rows


def _table(head: list[str], rows: list[str]) -> str:
    if not rows:
        return "<p>None.</p>"
    cells = "".join(f"<th>{escape(h)}</th>" for h in head)
    return f"<table><tr>{cells}</tr>{''.join(rows)}</table>"


def write_daily_log(store: Store, config: BranchConfig, day: date, out_dir: Path) -> Path:
    """Write ``worklog-YYYY-MM-DD.html`` into ``out_dir`` and return its path. Phone numbers
    from the opinion book are not in it: the log is filed and shared, they are personal data."""
    tz = config.branch.tz
    events = load_events(store, *day_bounds(day, tz))
    tally = fold(events, tz)
    report: dict[str, Any] = {"branch": store.branch, "day": day.isoformat(),
                              **summarize(tally, config)}
    chart = base64.b64encode(day_chart(report)).decode("ascii")
    checks, faults = _equipment_rows(tally.equipment, config)
    services = [
        f"<tr><td>{escape(k)}</td><td>{s['issued']}</td><td>{_fmt(s['wait_p50_s'], ' s')}</td>"
        f"<td>{_fmt(s['wait_p90_s'], ' s')}</td><td>{_fmt(s['over_3min_share'], '%')}</td>"
        f"<td>{s['no_shows']}</td><td>{s['green']}</td><td>{s['vip']}</td>"
        f"<td>{s['transfers_out']}</td><td>{_fmt(s['satisfaction']['satisfied_share'], '%')}</td></tr>"
        for k, s in report["services"].items()
    ]
    counters = [
        f"<tr><td>{escape(name)}</td><td>{row['served']}</td>"
        f"<td>{_fmt(row['mean_service_s'], ' s')}</td></tr>"
        for group in ("counters", "tellers") for name, row in report[group].items()
    ]
    book = OpinionBook(store, tz)
    entries = book.between(day, day)
    opinions = [
        f"<tr><td>{o.created_at.astimezone(tz):%H:%M}</td><td>{escape(o.text)}</td>"
        f"<td>{'yes' if o.needs_reply() else 'no'}</td><td>{escape(o.reply or '-')}</td>"
        f"<td>{'OVERDUE' if o.overdue(datetime.now(tz).date()) else ''}</td></tr>"
        for o in entries
    ]
    html = f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8">
<title>工作日志 Work log {escape(config.branch.name_en)} {day.isoformat()}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin:0.5em 0}}
td,th{{border:1px solid #999;padding:3px 8px;text-align:left}}</style></head><body>
<h1>工作日志 Daily work log</h1>
<p>{escape(config.branch.name_zh)} / {escape(config.branch.name_en)}, {day.isoformat()}</p>
<h2>Customers</h2>
<p>{report['tickets']} tickets, {report['self_service_guidance']} sent to self-service;
wait p50 {_fmt(report['wait_p50_s'], ' s')}, p90 {_fmt(report['wait_p90_s'], ' s')},
{_fmt(report['over_3min_share'], '%')} waited over 3 minutes; {report['no_shows']} no-shows,
{report['transfers']} transfers, {report['green']} green channel, {report['vip']} VIP.</p>
{_table(["service", "tickets", "wait p50", "wait p90", "over 3 min", "no-shows", "green", "VIP",
         "transfers", "satisfied"], services)}
<img alt="tickets and waits by hour" src="data:image/png;base64,{chart}">
<h2>Counters and tellers</h2>
{_table(["counter / teller", "served", "mean service"], counters)}
<h2>开门检查 Morning check</h2>
{_table(["time", "by", "items", "red", "red items and next action"], _opening_rows(events, config))}
<h2>Equipment checks</h2>
{_table(["time", "device", "note", "by"], checks)}
<h2>Equipment faults</h2>
{_table(["time", "device", "fault", "by"], faults)}
<h2>Opinion book</h2>
{_table(["time", "entry", "reply wanted", "reply", ""], opinions)}
</body></html>
"""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"worklog-{day.isoformat()}.html"
    path.write_text(html, encoding="utf-8")
    return path
