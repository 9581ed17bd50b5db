"""``branchq demo``: the host with the example branch and a simulated kiosk, on 127.0.0.1.

Safe to start twice: ``var/demo/demo.lock`` is held (``flock``) while a demo runs, so a second
start finds it, checks that its host answers and prints its links instead of starting another.
The demo keeps its credentials across restarts: the database holds their hashes as for any
token, and ``var/demo/tokens.json`` (mode 0600, for this demo only) their values, so the links
stay the same. ``--reset`` revokes them and makes new ones.

Files under ``var/demo/``: ``demo.lock``, ``demo.json`` (the running demo's pid and ports),
``tokens.json``, ``kiosk.token`` and ``keypad-gateway.token`` (the kiosk's credentials) and
``kiosk.toml`` (the simulated kiosk's config, which ``branchq maint`` also finds).
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import click

from branchq.drivers.platform.cli import BRANCHQ_COMMAND
from branchq.drivers.platform.files import atomic_write
from branchq.host.auth import Role, create_token, hash_token
from branchq.host.cli_db import DEMO_DIR, check_url, default_url, make_var_dir
from branchq.host.cli_host import check_port_free, load_branch, open_store, uvicorn_config
from branchq.host.storage import Store

#: The credentials the demo prints, in this order; the kiosk's two are also written to files.
ROLES = (Role.KIOSK, Role.KEYPAD_GATEWAY, Role.DISPLAY, Role.TELLER, Role.MANAGER,
         Role.TECHNICIAN)
TOKEN_NAME = "demo "  # + role: how the demo's credentials are named in the database


@dataclass(frozen=True)
class Running:
    """What ``demo.json`` says about the demo that holds the lock."""

    pid: int
    port: int
    kiosk_port: int | None


def _private_write(path: Path, text: str) -> None:
    """``text`` to ``path``, readable by this user only (0600): a credential or the demo's links."""
    atomic_write(path, text.encode("utf-8"), mode=0o600)


def _read_json(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _take_lock(folder: Path) -> IO[str] | None:
    """The open lock file, held until this process ends; None when another demo holds it."""
    lock = (folder / "demo.lock").open("a+", encoding="utf-8")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return None
    return lock


def _running(folder: Path) -> Running | None:
    data = _read_json(folder / "demo.json")
    try:
        kiosk_port = data.get("kiosk_port")
        return Running(int(data["pid"]), int(data["port"]),  # type: ignore[call-overload]
                       int(kiosk_port) if kiosk_port else None)  # type: ignore[call-overload]
    except (KeyError, TypeError, ValueError):
        return None


def _answers(port: int) -> bool:
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


def _credentials(store: Store, folder: Path, reset: bool) -> dict[Role, str]:
    """The demo's tokens: the stored ones that are still valid, new ones for the rest. Any other
    active demo credential (from a reset, or from older demos) is revoked."""
    from branchq.host.service import utcnow

    saved = {} if reset else _read_json(folder / "tokens.json")
    tokens: dict[Role, str] = {}
    for role in ROLES:
        value = saved.get(role.value)
        if isinstance(value, str) and store.find_token(hash_token(value)) is not None:
            tokens[role] = value
    keep = {row.id for value in tokens.values() if (row := store.find_token(hash_token(value)))}
    for row in store.list_tokens():
        if row.revoked_at is None and row.name.startswith(TOKEN_NAME) and row.id not in keep:
            store.revoke_token(row.id, utcnow())
    for role in ROLES:
        if role not in tokens:
            tokens[role] = create_token(store, role, TOKEN_NAME + role.value,
                                        1 if role is Role.TELLER else None,
                                        (1, 2, 3) if role is Role.KEYPAD_GATEWAY else ())
    _private_write(folder / "tokens.json",
                   json.dumps({role.value: value for role, value in tokens.items()}, indent=1))
    for role in (Role.KIOSK, Role.KEYPAD_GATEWAY):
        _private_write(folder / f"{role.value}.token", tokens[role])
    return tokens


def _kiosk_config(host_url: str, var: Path) -> str:
    """The example kiosk config, pointed at this demo's host, state folder and credentials, and
    at the simulated printer's port (``state_dir/sim/printer``), so `branchq maint` finds it."""
    from branchq.kiosk.config import example_kiosk_config_text
    from branchq.kiosk.maint.toml_text import replace_keys

    state = var / "kiosk"
    text = replace_keys(example_kiosk_config_text(), "kiosk",
                        ["host_url", "token_file", "state_dir"], [
                            f"host_url = {json.dumps(host_url)}",
                            f"token_file = {json.dumps(str(var / 'demo' / 'kiosk.token'))}",
                            "keypad_token_file = "
                            f"{json.dumps(str(var / 'demo' / 'keypad-gateway.token'))}",
                            f"state_dir = {json.dumps(str(state))}"])
    text = replace_keys(text, "printer", ["backend"], [
        f"backend = {{ kind = \"serial\", path = {json.dumps(str(state / 'sim' / 'printer'))}, "
        "baudrate = 115200 }"])
    return ("# Written by `branchq demo` for its simulated kiosk (rewritten at each start).\n"
            + text)


def _links(name: str, port: int, kiosk_port: int | None, tokens: dict[Role, str]) -> str:
    base = f"http://127.0.0.1:{port}"
    lines = [
        f"branchq 演示 demo: {name}",
        f"  取号机（模拟）kiosk (simulated)  http://127.0.0.1:{kiosk_port}/   "
        "<- 点击屏幕取号 click the screen to take a ticket" if kiosk_port else "",
        f"  大厅屏 hall display              {base}/hall#token={tokens[Role.DISPLAY]}",
        f"  1 号窗口 counter 1 console       {base}/counter#token={tokens[Role.TELLER]}&counter=1",
        f"  大堂经理 lobby dashboard         {base}/lobby#token={tokens[Role.MANAGER]}",
        f"  接口文档 API docs                {base}/docs",
        "  演示凭据 demo credentials (Authorization: Bearer TOKEN), kept across restarts "
        "(`branchq demo --reset` makes new ones):",
        *(f"    {role.value:15s} {value}" for role, value in tokens.items()),
    ]
    return "\n".join(line for line in lines if line) + "\n"


def _die_with_parent() -> None:
    """In the demo's kiosk child: get SIGTERM when the demo process ends, however it ends."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _already_running(folder: Path, name: str, reset: bool) -> None:
    """Another demo holds the lock: print its links if its host answers, else refuse."""
    running = _running(folder)
    if reset:
        stop = f"`kill {running.pid}`" if running else "Ctrl+C in its terminal"
        raise click.ClickException(f"a demo is running: --reset cannot change its credentials "
                                   f"while it runs; nothing was changed\n  stop it ({stop}), "
                                   "then run `branchq demo --reset` again")
    if running is None or not _answers(running.port):
        pid = f" (pid {running.pid})" if running else ""
        raise click.ClickException(
            f"another demo{pid} holds {folder / 'demo.lock'} but its host does not answer: it is "
            f"starting or stuck\n  wait a few seconds and try again, or stop it "
            f"({f'`kill {running.pid}`' if running else 'Ctrl+C in its terminal'})")
    saved = _read_json(folder / "tokens.json")
    tokens = {role: str(saved.get(role.value, "?")) for role in ROLES}
    sys.stdout.write(_links(name, running.port, running.kiosk_port, tokens))
    click.echo(f"这个演示已在运行 The demo is already running (pid {running.pid}); nothing was "
               f"changed. Stop it with Ctrl+C in its terminal or `kill {running.pid}`.")


@click.command()
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--kiosk-port", default=8001, show_default=True, type=click.IntRange(1, 65535),
              help="The simulated kiosk's preview page.")
@click.option("--no-kiosk", is_flag=True, help="Run the host only.")
@click.option("--reset", is_flag=True,
              help="Revoke the demo's credentials and make new ones (tickets are kept; delete "
                   "./var to start from an empty database).")
def demo(port: int, kiosk_port: int, no_kiosk: bool, reset: bool) -> None:
    """Run the demo: the host with the example branch and a simulated kiosk, all on 127.0.0.1.

    The data lives under ./var/ (SQLite). The simulated kiosk has a virtual printer, touch screen,
    LED signs and keypads. Starting it again while it runs prints its links; its credentials stay
    the same across restarts until --reset. Stop it with Ctrl+C.

    \b
    Examples:
      branchq demo --port 8000 --kiosk-port 8001
      branchq demo --reset                # new credentials, the old ones revoked
    """
    config = load_branch(None)
    var = make_var_dir().resolve()
    folder = DEMO_DIR.resolve()
    folder.mkdir(exist_ok=True)
    lock = _take_lock(folder)
    if lock is None:
        _already_running(folder, config.branch.name_en, reset)
        return
    check_port_free("127.0.0.1", port)
    if not no_kiosk:
        if kiosk_port == port:
            raise click.UsageError("--kiosk-port must differ from --port")
        check_port_free("127.0.0.1", kiosk_port)
    url = check_url(default_url(var))
    store = open_store(config, url)
    try:
        tokens = _credentials(store, folder, reset)
    finally:
        store.close()
    base = f"http://127.0.0.1:{port}"
    _private_write(folder / "kiosk.toml", _kiosk_config(base, var))
    (folder / "demo.json").write_text(json.dumps(
        {"pid": os.getpid(), "port": port, "kiosk_port": None if no_kiosk else kiosk_port}))
    sys.stdout.write(_links(config.branch.name_en, port, None if no_kiosk else kiosk_port, tokens))
    sys.stdout.flush()
    kiosk = None
    if not no_kiosk:
        kiosk = subprocess.Popen([
            *BRANCHQ_COMMAND, "kiosk", "run", "--simulate",
            "--config", str(folder / "kiosk.toml"), "--preview-port", str(kiosk_port)],
            preexec_fn=_die_with_parent)
    from branchq.host.app import create_app
    from branchq.host.serve import serve

    try:
        serve(uvicorn_config(create_app(config, url), "127.0.0.1", port))
    finally:
        if kiosk is not None:
            kiosk.terminate()
            kiosk.wait(timeout=15)
        (folder / "demo.json").unlink(missing_ok=True)
        lock.close()
