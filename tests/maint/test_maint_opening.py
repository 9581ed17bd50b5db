"""`branchq maint health --opening`: the lobby manager's morning check from the technician's tool,
against a real host whose nightly backup was made by `branchq maint db backup`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from branchq.host.auth import Role
from branchq.host.storage import Store
from tests.host.hostproc import DEMO_BRANCH, HostProcess
from tests.maint.maint_helpers import kiosk_toml, maint, maint_json

DEVICES_OK = [{"device": "printer", "status": "ok", "detail": ""},
              {"device": "ledsign", "status": "ok", "detail": ""},
              {"device": "keypad-1", "status": "ok", "detail": ""}]


@pytest.fixture(name="host", scope="module")
def host_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    folder = tmp_path_factory.mktemp("host")
    url = f"sqlite:///{folder / 'branchq.db'}"
    Store(url, DEMO_BRANCH).migrate()
    backups = folder / "backups"
    made = maint("db", "backup", "--db", url, "--out", f"{backups}/")
    assert made.returncode == 0, made.stdout + made.stderr
    host = HostProcess(url, folder / "host.log", env={"BRANCHQ_BACKUP_DIR": str(backups)}).start()
    yield host
    host.kill()


def _beat(host: HostProcess, token: str, devices: list[dict[str, str]]) -> None:
    with host.client(token) as client:
        r = client.post("/api/v1/devices/heartbeat",
                        json={"kiosk": "entrance", "devices": devices, "offline_numbers_left": {}})
        assert r.status_code == 204, r.text


def test_the_morning_check_goes_red_and_green_again(tmp_path: Path, host: HostProcess) -> None:
    token = host.token(Role.KIOSK)
    config = str(kiosk_toml(tmp_path, host_url=host.base))
    (tmp_path / "kiosk.token").write_text(token + "\n")
    display = host.token(Role.DISPLAY)
    with connect(f"ws://127.0.0.1:{host.port}/api/v1/events",
                 additional_headers={"Authorization": f"Bearer {display}"}):
        _beat(host, token, DEVICES_OK)
        code, report = maint_json("health", "--opening", "--kiosk-config", config)
        said = {f["subject"]: f for f in report["findings"]}
        assert code == 0, report
        assert [s for s, f in said.items() if f["level"] != "ok"] == ["Morning check"]  # info
        assert said["Hall display"]["summary"] == "1 connected"
        assert said["Last night's database backup"]["summary"].startswith("branchq-")
        assert said["Hall voice"]["summary"].startswith("audible")

        _beat(host, token, [{**DEVICES_OK[0], "status": "fault", "detail": "P02: Cover open"},
                            *DEVICES_OK[1:]])
        result = maint("health", "--opening", "--kiosk-config", config)
        assert result.returncode != 0
        line = next(line for line in result.stdout.splitlines() if "Ticket printer" in line)
        assert "cover open" in line, result.stdout
        assert "close the printer cover" in result.stdout

        _beat(host, token, DEVICES_OK)
        code, report = maint_json("health", "--opening", "--kiosk-config", config)
        assert code == 0, report


def test_a_token_that_may_not_run_it(tmp_path: Path, host: HostProcess) -> None:
    config = str(kiosk_toml(tmp_path, host_url=host.base))
    (tmp_path / "kiosk.token").write_text(host.token(Role.DISPLAY) + "\n")
    code, report = maint_json("health", "--opening", "--kiosk-config", config)
    assert code != 0
    [finding] = report["findings"]
    assert finding["summary"] == "the host answered HTTP 403" and "kiosk.token" in finding["action"]
