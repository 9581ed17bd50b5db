"""``branchq host`` as a technician runs it: tokens, and a clear stop on bad configuration."""

from __future__ import annotations

import subprocess
from pathlib import Path

from branchq.drivers.platform.cli import BRANCHQ_COMMAND
from tests.host.hostproc import HostProcess


def branchq(*args: str, env_db: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [*BRANCHQ_COMMAND, *args]
    env = {"PATH": "/usr/bin:/bin"}
    if env_db:
        env["BRANCHQ_DB_URL"] = env_db
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)


def test_token_create_list_revoke(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'b.db'}"
    created = branchq("host", "token", "create", "--role", "teller", "--counter", "3",
                      "--name", "Counter 3", env_db=db)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("bq_") and "\n" not in token  # the token alone on stdout
    assert token not in (tmp_path / "b.db").read_bytes().decode("latin-1")  # stored hashed
    listed = branchq("host", "token", "list", env_db=db).stdout
    assert "teller" in listed and "counter 3" in listed and token not in listed
    host = HostProcess(db, tmp_path / "host.log").start()
    try:
        assert branchq("host", "token", "revoke", "1", env_db=db).returncode == 0
        with host.client(token) as c:
            assert c.post("/api/v1/counters/3/call-next").status_code == 401
    finally:
        host.kill()
    assert "revoked" in branchq("host", "token", "list", env_db=db).stdout
    missing = branchq("host", "token", "revoke", "99", env_db=db)
    assert missing.returncode == 1 and "no active token" in missing.stderr


def test_teller_token_requires_a_counter(tmp_path: Path) -> None:
    r = branchq("host", "token", "create", "--role", "teller", env_db=f"sqlite:///{tmp_path}/x.db")
    assert r.returncode == 2 and "--counter" in r.stderr


def test_invalid_config_stops_start_with_the_key_named(tmp_path: Path) -> None:
    config = tmp_path / "branch.toml"
    config.write_text(
        '[branch]\nname_zh = "支行"\nname_en = "Branch"\ntimezone = "Mars/Olympus"\n'
        '[[services]]\nkey = "cash"\nprefix = "A"\nname_zh = "现金"\nname_en = "Cash"\n'
        '[[counters]]\nnumber = 1\nservices = ["cash", "loans"]\n'
    )
    r = branchq("host", "run", "--config", str(config), "--db", f"sqlite:///{tmp_path}/x.db")
    assert r.returncode == 1
    assert "branch.timezone" in r.stderr and "Mars/Olympus" in r.stderr
