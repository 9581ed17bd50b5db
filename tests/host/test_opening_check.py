"""开门检查 (issue 17, part 4): the morning check's items, each green or red with the next action.

The items from the engine's state (kiosks, their devices, ATMs, notices), the live tests on the
host (speech rendered and listened to, the backup folder), then the API: who may run it, the hall
display counted while its event stream is open, and the recorded run in the daily work log.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from websockets.sync.client import connect

from branchq.host import opening
from branchq.host.auth import Role
from branchq.host.config import load_config
from branchq.host.insight.worklog import write_daily_log
from branchq.host.storage import Store
from tests.drivers.audio_helpers import write_silence
from tests.host.engine_helpers import OPENING, Branch
from tests.host.hostproc import DEMO_BRANCH, HostAccess

CONFIG = load_config(None)


def items_of(b: Branch, kiosks: dict[str, datetime]) -> dict[str, opening.Item]:
    return {i.key: i for i in opening.device_items(b.engine, kiosks, b.now)}


def report(b: Branch, *devices: tuple[str, str, str]) -> None:
    b.engine.report_devices("entrance", list(devices), b.now, "kiosk:entrance")  # type: ignore[arg-type]


@pytest.mark.parametrize(("status", "detail", "words", "action"), [
    ("fault", "P01: Paper out", "out of paper", "load a new paper roll"),
    ("fault", "P02: Cover open", "cover open", "close the printer cover"),
    ("fault", "P05: Offline", "printer not answering", "check the printer's power"),
    ("warning", "paper near end", "paper near its end", "new roll before opening"),
])
def test_each_printer_fault_is_red_with_its_own_next_action(status: str, detail: str, words: str,
                                                             action: str) -> None:
    b = Branch()
    report(b, ("printer", "ok", ""), ("ledsign", "ok", ""), ("keypad-1", "ok", ""))
    assert all(i.ok for i in items_of(b, {"entrance": b.now}).values())
    report(b, ("printer", status, detail))
    printer = items_of(b, {"entrance": b.now})["printer:entrance"]
    assert not printer.ok and words in printer.detail_en and action in printer.action_en
    assert printer.detail_zh and printer.action_zh  # both languages


def test_a_silent_kiosk_turns_all_its_items_red() -> None:
    b = Branch()
    report(b, ("printer", "ok", ""), ("ledsign", "ok", ""), ("keypad-1", "offline", "no answer"))
    found = items_of(b, {"entrance": b.now})
    assert not found["keypad-1:entrance"].ok and "RS-485" in found["keypad-1:entrance"].action_en
    late = b.now + opening.KIOSK_SILENT_AFTER + timedelta(seconds=1)
    b.now = late
    found = items_of(b, {"entrance": late - timedelta(minutes=5)})
    assert not any(i.ok for i in found.values()), found
    assert found["kiosk:entrance"].detail_en == "no heartbeat (last: 5 min ago)"
    assert found["printer:entrance"].detail_en == "the kiosk is silent: state unknown"


def test_no_kiosk_no_signs_no_keypads_are_red() -> None:
    b = Branch()
    assert [(i.key, i.ok) for i in opening.device_items(b.engine, {}, b.now)] == [("kiosk", False)]
    report(b, ("printer", "ok", ""))
    found = items_of(b, {"entrance": b.now})
    assert not found["ledsign"].ok and not found["keypad"].ok
    assert found["touch:entrance"].ok  # no touch fault reported


def test_atms_and_old_notices() -> None:
    b = Branch()
    b.do("set_equipment", "atm-2", False, "cash jam")
    atms = {i.key: i for i in opening.equipment_items(b.engine)}
    assert atms["equipment:atm-1"].ok
    assert not atms["equipment:atm-2"].ok and atms["equipment:atm-2"].detail_en == "out of service (cash jam)"
    assert opening.notice_item(b.engine, b.now).detail_en == "no notices"
    b.do("post_notice", "n1", "2 号柜员机暂停服务", "ATM 2 out of service")
    assert opening.notice_item(b.engine, b.now).ok
    tomorrow = b.now + timedelta(days=1)
    stale = opening.notice_item(b.engine, tomorrow)
    assert not stale.ok and '"ATM 2 out of service" (2026-11-13)' in stale.detail_en


def test_the_voice_is_rendered_and_listened_to(tmp_path: Path) -> None:
    good = opening.voice_item()
    assert good.ok, good
    missing = opening.voice_item("espeak-ng-not-installed")
    assert not missing.ok and "espeak-ng" in missing.action_en
    silent = write_silence(tmp_path / "silent.wav", 22050, 22050)
    assert opening.audible_seconds(silent) == 0.0


def _backup(folder: Path, name: str, at: datetime, body: bytes = b"SQLite format 3\0") -> Path:
    path = folder / name
    path.write_bytes(body)
    os.utime(path, (at.timestamp(), at.timestamp()))
    return path


def test_last_nights_backup(tmp_path: Path) -> None:
    now = OPENING  # 09:00 in Shanghai; the demo branch opens every day at 00:00
    assert opening.backup_item(CONFIG, tmp_path / "none", now).detail_en.startswith("no backup folder")
    assert opening.backup_item(CONFIG, tmp_path, now).detail_en == f"no backup in {tmp_path}"
    _backup(tmp_path, "branchq-20261110-180000.db", now - timedelta(days=3))
    _backup(tmp_path, "branchq-before-restore-20261112-180000.db", now - timedelta(hours=15))
    _backup(tmp_path, "branchq-20261112-190000.db", now - timedelta(hours=14), b"")  # empty: failed
    old = opening.backup_item(CONFIG, tmp_path, now)
    assert not old.ok and "branchq-20261110-180000.db" in old.detail_en
    assert f"branchq maint db backup --out {tmp_path}/" in old.action_en
    _backup(tmp_path, "branchq-20261112-180000.pgdump", now - timedelta(hours=15))
    last_night = opening.backup_item(CONFIG, tmp_path, now)
    assert last_night.ok and last_night.detail_en == "branchq-20261112-180000.pgdump (2026-11-12 18:00)"


def test_a_branch_closed_on_sunday_takes_saturdays_backup(tmp_path: Path) -> None:
    config = CONFIG.model_copy(update={"branch": CONFIG.branch.model_copy(
        update={"open_days": [1, 2, 3, 4, 5, 6], "opens_at": "09:00"})})
    monday = datetime(2026, 11, 16, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
    _backup(tmp_path, "branchq-20261114-180000.db", datetime(2026, 11, 14, 10, 0, tzinfo=UTC))
    assert opening.backup_item(config, tmp_path, monday).ok
    assert not opening.backup_item(config, tmp_path, monday + timedelta(days=1)).ok


def test_the_api_runs_it_records_it_and_sees_the_hall(running_host: HostAccess, tmp_path: Path) -> None:
    kiosk = running_host.client(running_host.token(Role.KIOSK))
    manager = running_host.client(running_host.token(Role.MANAGER))
    for role, counter in ((Role.TELLER, 1), (Role.DISPLAY, None), (Role.KEYPAD_GATEWAY, None)):
        token = running_host.token(role, counter, counters=(1,) if role is Role.KEYPAD_GATEWAY else ())
        with running_host.client(token) as other:
            assert other.get("/api/v1/opening-check").status_code == 403, role
    with running_host.client() as anonymous:
        assert anonymous.get("/api/v1/opening-check").status_code == 401
    assert kiosk.post("/api/v1/opening-check").status_code == 403  # it may run it, not record it
    r = kiosk.post("/api/v1/devices/heartbeat", json={
        "kiosk": "entrance", "offline_numbers_left": {},
        "devices": [{"device": "printer", "status": "fault", "detail": "P01: Paper out"}]})
    assert r.status_code == 204, r.text

    first = kiosk.get("/api/v1/opening-check").json()
    by_key = {i["key"]: i for i in first["items"]}
    assert first["ok"] is False
    assert by_key["kiosk:entrance"]["ok"] and not by_key["printer:entrance"]["ok"]
    assert by_key["voice"]["ok"] and not by_key["hall_display"]["ok"]
    assert {"equipment:atm-1", "equipment:atm-2", "notices", "backup"} <= set(by_key)

    display = running_host.token(Role.DISPLAY)
    with connect(f"ws://127.0.0.1:{running_host.port}/api/v1/events",
                 additional_headers={"Authorization": f"Bearer {display}"}):
        def hall() -> dict[str, object]:
            return next(i for i in kiosk.get("/api/v1/opening-check").json()["items"]
                        if i["key"] == "hall_display")
        assert hall()["detail_en"] == "1 connected"
        recorded = manager.post("/api/v1/opening-check").json()
    assert recorded["seq"] > 0 and recorded["ok"] is False
    deadline = time.monotonic() + 10  # the host notices the closed stream a moment later
    while hall()["ok"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hall()["detail_en"] == "none connected"  # the TV went off

    store = Store(running_host.db_url, DEMO_BRANCH)
    try:
        day = datetime.fromisoformat(recorded["at"]).astimezone(CONFIG.branch.tz).date()
        log = write_daily_log(store, CONFIG, day, tmp_path).read_text(encoding="utf-8")
    finally:
        store.close()
    section = log.split("Morning check</h2>", 1)[1].split("<h2>", 1)[0]
    assert "manager:" in section and "out of paper" in section and "load a new paper roll" in section
    kiosk.close()
    manager.close()
