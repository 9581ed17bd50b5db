"""``branchq maint health``: is this kiosk able to serve customers, and if not, why.

Checks, each a plain-language line: host reachable (and its database), the kiosk service under
systemd (state, watchdog, restarts), the kiosk's last heartbeat, device states (as the host and
the lobby dashboard see them, else from the kiosk's heartbeat file), disk space, the clock's
offset to the host, and the offline numbers left in the kiosk's lease.

``--opening`` runs the lobby manager's morning check (开门检查) instead: the host's
``GET /api/v1/opening-check`` with the kiosk's credential, one line per item, each with its next
action (host/opening.py; docs/maintenance.md, "Morning check").

Files the kiosk writes in its ``state_dir``: ``heartbeat.json`` ``{"at": ISO 8601, "devices":
[{"device", "status", "detail"}] (or {name: {...}}), "unsettled": n}`` and ``lease.json``
``{service: {"day", "next", "end"}}`` (numbers left = end - next, only on that day).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from branchq.kiosk.maint.options import json_option, kiosk_config_option, load_kiosk
from branchq.kiosk.maint.report import Finding, Level, Report, plural, reporting

if TYPE_CHECKING:
    from branchq.kiosk.config import KioskConfig

AGAIN = "then run `branchq maint health`"
UNIT = "branchq-kiosk"
#: Free disk below these fractions: warning, then fault (logs and the database stop growing).
DISK_WARN, DISK_FAULT = 0.15, 0.05
DISK_FAULT_BYTES = 200 * 1024 * 1024
#: Clock offset to the host (seconds): ticket times and waits go wrong beyond these.
CLOCK_WARN_S, CLOCK_FAULT_S = 5.0, 30.0
#: The command that examines each device the kiosk reports.
DEVICE_COMMANDS = {"printer": "branchq maint printer status", "ledsign": "branchq maint display test",
                   "keypad": "branchq maint keypad scan", "touch": "branchq maint touch monitor",
                   "screen": "branchq maint devices", "cardreader": "branchq maint devices"}


@dataclass(frozen=True)
class HostAnswer:
    reachable: bool
    status: int | None
    body: dict[str, Any]
    clock_offset_s: float | None
    error: str = ""


def ask_host(url: str, timeout: float) -> HostAnswer:
    """``GET /healthz``; the offset of the host's clock from the ``Date`` header."""
    import httpx

    sent = time.time()
    try:
        response = httpx.get(f"{url.rstrip('/')}/healthz", timeout=timeout)
    except httpx.HTTPError as err:
        return HostAnswer(False, None, {}, None, str(err) or type(err).__name__)
    received = time.time()
    offset = None
    if date := response.headers.get("date"):
        # Date has whole seconds: compare with the middle of the request, +-1 s is noise.
        offset = parsedate_to_datetime(date).timestamp() + 0.5 - (sent + received) / 2
    try:
        body = response.json()
    except ValueError:
        body = {}
    return HostAnswer(True, response.status_code, body, offset)


def host_findings(report: Report, url: str, answer: HostAnswer) -> None:
    if not answer.reachable:
        report.add("Host", Level.FAULT, f"not reachable at {url} ({answer.error})",
                   "check that the branch server is on and the kiosk's network cable is in; on the "
                   f"server run `systemctl status branchq-host`, {AGAIN}")
    elif answer.status == 200:
        report.add("Host", Level.OK, f"reachable at {url} (database ok)")
    elif answer.status == 503:
        report.add("Host", Level.FAULT, f"running at {url} but its database does not answer",
                   "on the server run `branchq maint db check` and `branchq maint logs --unit host`")
    else:
        report.add("Host", Level.FAULT, f"{url}/healthz answered HTTP {answer.status}",
                   "check host_url in the kiosk config points at the branchq host, "
                   "then run `branchq maint config check`")


def clock_finding(offset_s: float) -> Finding:
    """The host's clock minus ours, in words."""
    size = abs(offset_s)
    words = (f"{int(size // 60)} min {int(size % 60)} s" if size >= 60 else f"{size:.0f} s")
    direction = "behind" if offset_s > 0 else "ahead of"
    summary = f"this machine is {words} {direction} the branch server"
    action = ("check time sync: `timedatectl status` must say 'System clock synchronized: yes'; "
              f"`sudo systemctl restart systemd-timesyncd`, {AGAIN}")
    if size >= CLOCK_FAULT_S:
        return Finding("Clock", Level.FAULT, summary, action, {"offset_s": round(offset_s, 1)})
    if size >= CLOCK_WARN_S:
        return Finding("Clock", Level.WARNING, summary, action, {"offset_s": round(offset_s, 1)})
    return Finding("Clock", Level.OK, f"in step with the branch server ({round(offset_s):+d} s)",
                   data={"offset_s": round(offset_s, 1)})


def disk_finding(path: Path, free: int, total: int) -> Finding:
    share = free / total if total else 0.0
    summary = f"{free // (1024 * 1024)} MB free on the disk of {path} ({share:.0%})"
    action = ("free space: `sudo journalctl --vacuum-size=100M`, delete old backups "
              f"(`ls -lh /var/backups/branchq`), {AGAIN}")
    data = {"free_bytes": free, "total_bytes": total}
    if share < DISK_FAULT or free < DISK_FAULT_BYTES:
        return Finding("Disk", Level.FAULT, f"almost full: {summary}", action, data)
    if share < DISK_WARN:
        return Finding("Disk", Level.WARNING, f"filling up: {summary}", action, data)
    return Finding("Disk", Level.OK, summary, data=data)


def under_systemd() -> bool:
    return Path("/run/systemd/system").is_dir()


def service_findings(report: Report) -> None:
    if not under_systemd() or shutil.which("systemctl") is None:
        report.add("Kiosk service", Level.INFO, "not running under systemd (no service to check)")
        return
    result = subprocess.run(
        ["systemctl", "show", UNIT, "--property=ActiveState,SubState,NRestarts,WatchdogUSec"],
        capture_output=True, text=True, timeout=10, check=False)
    props = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    state = props.get("ActiveState", "unknown")
    logs = "`branchq maint logs --unit kiosk --since today`"
    if state != "active":
        report.add("Kiosk service", Level.FAULT, f"{UNIT} is {state} ({props.get('SubState', '')})",
                   f"start it: `sudo systemctl restart {UNIT}`; if it stops again read {logs}")
        return
    watchdog = props.get("WatchdogUSec", "0")
    report.add("Kiosk service", Level.OK, f"{UNIT} is running (watchdog {watchdog or 'off'})")
    restarts = int(props.get("NRestarts", "0") or 0)
    if restarts:
        report.add("Kiosk service", Level.WARNING,
                   f"restarted {plural(restarts, 'time')} since boot (crash or watchdog)", f"read {logs}")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        return err


def heartbeat_findings(report: Report, kiosk: KioskConfig, now: datetime) -> dict[str, Any]:
    """The kiosk's own heartbeat file; returns its device states."""
    path = kiosk.kiosk.state_dir / "heartbeat.json"
    data = _read_json(path)
    restart = f"`sudo systemctl restart {UNIT}`"
    if data is None or isinstance(data, Exception) or "at" not in data:
        what = "missing" if data is None else "unreadable"
        report.add("Kiosk heartbeat", Level.FAULT, f"{path} is {what}: the kiosk program is not "
                   "running (or state_dir is wrong)", f"start it: {restart}, {AGAIN}")
        return {}
    try:
        at = datetime.fromisoformat(data["at"])
    except (TypeError, ValueError):
        report.add("Kiosk heartbeat", Level.FAULT, f"{path}: unreadable time {data['at']!r}",
                   f"restart the kiosk: {restart}")
        return {}
    if at.tzinfo is None:
        at = at.astimezone()
    age = (now - at).total_seconds()
    limit = max(3 * kiosk.kiosk.heartbeat_s, 30)
    if age > limit:
        report.add("Kiosk heartbeat", Level.FAULT,
                   f"last one {int(age)} s ago (expected every {kiosk.kiosk.heartbeat_s:g} s): "
                   "the kiosk program is stuck or stopped",
                   f"restart it: {restart}, then read `branchq maint logs --unit kiosk`",
                   age_s=round(age))
    else:
        report.add("Kiosk heartbeat", Level.OK, f"last one {max(0, int(age))} s ago",
                   age_s=round(age))
    unsettled = data.get("unsettled")
    if isinstance(unsettled, int) and unsettled:
        report.add("Kiosk heartbeat", Level.INFO,
                   f"{plural(unsettled, 'ticket')} not yet settled with the host (issued offline or "
                   "printing)", "the kiosk reports them as soon as the host answers")
    devices = data.get("devices", {})
    if isinstance(devices, list):  # [{"device", "status", "detail"}], as sent to the host
        return {str(d.get("device")): d for d in devices if isinstance(d, dict)}
    return devices if isinstance(devices, dict) else {}


def _device_state(value: Any) -> tuple[str, str]:
    if isinstance(value, dict):
        return str(value.get("status", "unknown")), str(value.get("detail", ""))
    return str(value), ""


def host_devices(kiosk: KioskConfig, token_file: Path, timeout: float) -> list[dict[str, Any]] | str:
    """This kiosk's devices as the host lists them, or why they could not be asked for."""
    import httpx

    try:
        token = token_file.read_text(encoding="utf-8").strip()
    except OSError as err:
        return f"cannot read the token file {token_file}: {err.strerror}"
    try:
        response = httpx.get(f"{kiosk.kiosk.host_url.rstrip('/')}/api/v1/devices", timeout=timeout,
                             headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as err:
        return str(err)
    if response.status_code != 200:
        return f"HTTP {response.status_code} (is the token in {token_file} revoked?)"
    return [d for d in response.json() if d.get("kiosk") == kiosk.kiosk.id]


def device_findings(report: Report, states: dict[str, tuple[str, str]], source: str) -> None:
    table = report.table("Devices", ["Device", "Status", "Detail", "Source"])
    for name, (status, detail) in sorted(states.items()):
        table.rows.append([name, status, detail, source])
        command = DEVICE_COMMANDS.get(name.split("-")[0], "branchq maint devices")
        subject = f"Device {name}"
        if status in ("fault", "offline"):
            report.add(subject, Level.FAULT, f"{status}{': ' + detail if detail else ''}",
                       f"run `{command}` for what to do")
        elif status == "warning":
            report.add(subject, Level.WARNING, detail or "warning", f"run `{command}`")


def lease_left(entry: Any, now: datetime) -> int | None:
    """Numbers left in one service's lease (``end`` exclusive, or ``last`` inclusive), for the
    business day of the branch's time zone (the entry's ``timezone``; this machine's if absent)."""
    if not isinstance(entry, dict) or "next" not in entry:
        return None
    try:
        local = now.astimezone(ZoneInfo(entry["timezone"])) if "timezone" in entry else now.astimezone()
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        local = now.astimezone()
    today = local.date().isoformat()
    if entry.get("day", today) != today:
        return 0  # a lease is for one business day
    if "end" in entry:
        return max(0, int(entry["end"]) - int(entry["next"]))
    if "last" in entry:
        return max(0, int(entry["last"]) - int(entry["next"]) + 1)
    return None


def lease_findings(report: Report, kiosk: KioskConfig, host_up: bool) -> None:
    path = kiosk.kiosk.state_dir / "lease.json"
    data = _read_json(path)
    if kiosk.kiosk.offline_lease_size == 0:
        report.add("Offline numbers", Level.INFO, "offline issuing is off (offline_lease_size = 0)")
        return
    if not isinstance(data, dict) or not data:
        level = Level.WARNING if host_up else Level.FAULT
        report.add("Offline numbers", level, f"no lease in {path}: the kiosk cannot issue tickets "
                   "while the host is unreachable",
                   "the kiosk takes a lease when it reaches the host; if this stays, read "
                   "`branchq maint logs --unit kiosk`")
        return
    now = datetime.now(UTC)
    table = report.table("Offline lease", ["Service", "Numbers left"])
    low = max(1, kiosk.kiosk.offline_lease_size // 5)
    for service, entry in sorted(data.items()):
        left = lease_left(entry, now)
        table.rows.append([service, "?" if left is None else str(left)])
        if left is not None and left < low:
            report.add("Offline numbers", Level.FAULT if not host_up and left == 0 else Level.WARNING,
                       f"{left} left for {service}",
                       "the kiosk renews the lease while the host is reachable; "
                       f"{'restore the host connection first' if not host_up else 'wait a minute'},"
                       f" {AGAIN}", service=service, left=left)
    report.data["lease_left"] = {row[0]: row[1] for row in table.rows}
    if not any(f.subject == "Offline numbers" for f in report.findings):
        report.add("Offline numbers", Level.OK, "leased for every service: "
                   + ", ".join(f"{service} {left}" for service, left in table.rows))


def opening_findings(report: Report, url: str, token_file: Path, timeout: float) -> None:
    """The host's morning check, item by item (green: ok; red: fault, with the next action)."""
    import httpx

    try:
        token = token_file.read_text(encoding="utf-8").strip()
    except OSError as err:
        report.add("Morning check", Level.FAULT, f"cannot read the token file {token_file}: "
                   f"{err.strerror}", "pass --token-file with the kiosk's (or a technician's) token")
        return
    try:
        response = httpx.get(f"{url.rstrip('/')}/api/v1/opening-check", timeout=max(timeout, 15),
                             headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as err:
        report.add("Morning check", Level.FAULT, f"the host at {url} did not answer ({err})",
                   f"check that the branch server is on, {AGAIN} --opening")
        return
    if response.status_code != 200:
        report.add("Morning check", Level.FAULT, f"the host answered HTTP {response.status_code}",
                   f"check the token in {token_file} (a kiosk, technician or manager token)")
        return
    result = response.json()
    for item in result["items"]:
        report.add(item["name_en"], Level.OK if item["ok"] else Level.FAULT, item["detail_en"],
                   item["action_en"], key=item["key"])
    report.add("Morning check", Level.INFO, "the check run from the lobby dashboard is the one kept "
               "in the daily work log")


@click.command()
@kiosk_config_option
@click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Credential for the host's device list (default: the kiosk's token_file).")
@click.option("--opening", is_flag=True,
              help="Run the lobby manager's morning check (开门检查) on the host instead.")
@json_option
def health(kiosk_config: str, token_file: Path | None, opening: bool, as_json: bool) -> None:
    """Everything a kiosk needs to serve customers, in one screen: host, service, heartbeat,
    devices, disk, clock, offline numbers. With --opening: the morning check of the whole hall
    (kiosks, printer, LED signs, keypads, hall display and voice, ATMs, notices, last night's
    backup), as the lobby dashboard runs it.

    \b
    Example:
      branchq maint health
      branchq maint health --opening
      branchq maint health --json | jq .ok
    """
    if opening:
        with reporting("Morning check", as_json) as report:
            kiosk = load_kiosk(kiosk_config)
            opening_findings(report, kiosk.kiosk.host_url, token_file or kiosk.kiosk.token_file,
                             kiosk.kiosk.http_timeout_s)
        return
    with reporting("Kiosk health", as_json) as report:
        kiosk = load_kiosk(kiosk_config)
        url = kiosk.kiosk.host_url
        answer = ask_host(url, kiosk.kiosk.http_timeout_s)
        host_findings(report, url, answer)
        service_findings(report)
        local = heartbeat_findings(report, kiosk, datetime.now(UTC))
        listed = host_devices(kiosk, token_file or kiosk.kiosk.token_file,
                              kiosk.kiosk.http_timeout_s) if answer.reachable else "host down"
        if isinstance(listed, list) and listed:
            device_findings(report, {d["device"]: (d["status"], d.get("detail", ""))
                                     for d in listed}, "host")
            if all(d.get("stale") for d in listed):
                report.add("Kiosk heartbeat", Level.FAULT,
                           "the host has not heard from this kiosk for over 90 s",
                           "check the kiosk's token and network, then read "
                           "`branchq maint logs --unit kiosk`")
        else:
            if isinstance(listed, str) and answer.reachable:
                report.add("Devices", Level.INFO, f"host's device list not read: {listed}")
            device_findings(report, {k: _device_state(v) for k, v in local.items()},
                            "kiosk heartbeat")
        folder = kiosk.kiosk.state_dir if kiosk.kiosk.state_dir.exists() else Path("/")
        usage = shutil.disk_usage(folder)
        report.findings.append(disk_finding(folder, usage.free, usage.total))
        if answer.clock_offset_s is not None:
            report.findings.append(clock_finding(answer.clock_offset_s))
        lease_findings(report, kiosk, answer.reachable and answer.status == 200)
