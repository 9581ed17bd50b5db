"""`branchq maint health` in a subprocess against a running host, and its judgements."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from branchq.host.auth import Role
from branchq.host.storage import Store
from branchq.kiosk.maint.health import clock_finding, disk_finding, lease_left
from branchq.kiosk.maint.report import Level
from tests.host.hostproc import DEMO_BRANCH, HostProcess
from tests.maint.maint_helpers import kiosk_toml, maint, maint_json


@pytest.fixture(name="host", scope="module")
def host_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    folder = tmp_path_factory.mktemp("host")
    url = f"sqlite:///{folder / 'branchq.db'}"
    Store(url, DEMO_BRANCH).migrate()
    host = HostProcess(url, folder / "host.log").start()
    yield host
    host.kill()


def _kiosk_state(tmp_path: Path, host_url: str, token: str, beat_age_s: float = 1) -> str:
    config = kiosk_toml(tmp_path, host_url=host_url)
    (tmp_path / "kiosk.token").write_text(token + "\n")
    at = datetime.now(UTC) - timedelta(seconds=beat_age_s)
    state = tmp_path / "state"
    (state / "heartbeat.json").write_text(json.dumps(
        {"at": at.isoformat(), "devices": [{"device": "printer", "status": "ok", "detail": ""}],
         "host_online": True, "unsettled": 0}))
    (state / "lease.json").write_text(json.dumps({"cash": {"next": 5, "end": 50},
                                                  "noncash": {"next": 20, "end": 50}}))
    return str(config)


def test_healthy_kiosk(tmp_path: Path, host: HostProcess) -> None:
    config = _kiosk_state(tmp_path, host.base, host.token(Role.KIOSK))
    code, report = maint_json("health", "--kiosk-config", config)
    assert code == 0, report
    said = {f["subject"]: f for f in report["findings"]}
    assert said["Host"]["level"] == "ok"
    assert said["Kiosk service"]["summary"] == "not running under systemd (no service to check)"
    assert said["Clock"]["level"] == "ok" and abs(said["Clock"]["offset_s"]) < 2
    assert said["Disk"]["level"] == "ok"
    assert report["lease_left"] == {"cash": "45", "noncash": "30"}


def test_device_fault_reported_by_the_host_and_stale_heartbeat(tmp_path: Path,
                                                               host: HostProcess) -> None:
    token = host.token(Role.KIOSK)
    config = _kiosk_state(tmp_path, host.base, token, beat_age_s=600)
    with host.client(token) as client:
        client.post("/api/v1/devices/heartbeat", json={"kiosk": "entrance", "devices": [
            {"device": "printer", "status": "fault", "detail": "paper out"}]}).raise_for_status()
    result = maint("health", "--kiosk-config", config)
    assert result.returncode == 1
    assert ("Device printer: fault: paper out — run `branchq maint printer status` for what "
            "to do") in result.stdout
    assert re.search(r"Kiosk heartbeat: last one 60\d s ago \(expected every 10 s\): the kiosk "
                     "program is stuck or stopped", result.stdout)


def test_host_down(tmp_path: Path) -> None:
    config = _kiosk_state(tmp_path, "http://127.0.0.1:9", "bq_x")
    result = maint("health", "--kiosk-config", config)
    assert result.returncode == 1
    assert "Host: not reachable at http://127.0.0.1:9" in result.stdout
    assert "check that the branch server is on" in result.stdout


def test_clock_offsets_in_words() -> None:
    assert clock_finding(0.8).level is Level.OK
    late = clock_finding(125)
    assert late.level is Level.FAULT
    assert late.summary == "this machine is 2 min 5 s behind the branch server"
    assert clock_finding(-8).level is Level.WARNING


def test_disk_thresholds() -> None:
    gib = 1024**3
    assert disk_finding(Path("/"), 10 * gib, 32 * gib).level is Level.OK
    assert disk_finding(Path("/"), 3 * gib, 32 * gib).level is Level.WARNING
    full = disk_finding(Path("/"), 150 * 1024**2, 32 * gib)
    assert full.level is Level.FAULT and "journalctl --vacuum-size" in full.action


def test_lease_shapes() -> None:
    noon = datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert lease_left({"next": 5, "end": 50}, noon) == 45
    assert lease_left({"day": "2024-05-01", "prefix": "A", "next": 5, "last": 50}, noon) == 46
    assert lease_left({"day": "2024-04-30", "next": 5, "last": 50}, noon) == 0
    assert lease_left("garbage", noon) is None


def test_a_lease_is_for_the_branchs_business_day_not_the_machines() -> None:
    # 23:30 UTC on 7 December is already 8 December in Shanghai: the kiosk's lease for the 8th
    # is today's, whatever zone the technician's machine is in.
    late = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)
    lease = {"day": "2026-12-08", "next": 500, "end": 550, "timezone": "Asia/Shanghai"}
    assert lease_left(lease, late) == 50
    assert lease_left({**lease, "day": "2026-12-07"}, late) == 0
