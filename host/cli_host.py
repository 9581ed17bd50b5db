"""``branchq host ...``: run the host service and manage its credentials; ``branchq demo``."""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path

import click

from host.auth import Role, create_token
from host.cli import log_to_stderr
from host.config import ConfigError, load_config
from host.engine import ReplayError
from host.storage import StorageError, Store, default_sqlite_url

log = logging.getLogger("branchq.host")

config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), envvar="BRANCHQ_CONFIG",
    help="Branch TOML (default: the bundled example branch). Env: BRANCHQ_CONFIG.",
)
db_option = click.option(
    "--db", "db_url", envvar="BRANCHQ_DB_URL",
    help="Database URL, sqlite:///PATH or postgresql://... (default: SQLite under ./var/). "
         "Env: BRANCHQ_DB_URL.",
)


def _load(config_path: str | None, db_url: str | None) -> tuple[object, str]:
    try:
        config = load_config(config_path)
    except ConfigError as err:
        raise click.ClickException(str(err)) from err
    return config, db_url or default_sqlite_url()


def _store(config_path: str | None, db_url: str | None) -> Store:
    config, url = _load(config_path, db_url)
    store = Store(url, config.branch.id)  # type: ignore[attr-defined]
    try:
        store.migrate()
    except StorageError as err:
        raise click.ClickException(str(err)) from err
    return store


@click.group()
def host() -> None:
    """The branch host service (FastAPI) and its credentials.

    \b
    Examples:
      branchq host run --config /etc/branchq/branch.toml --db postgresql://branchq@/branchq
      branchq host token create --role kiosk --name "Entrance kiosk"
    """


@host.command()
@config_option
@db_option
@click.option("--host", "bind", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (PostgreSQL only: they share events via LISTEN/NOTIFY).")
def run(config_path: str | None, db_url: str | None, bind: str, port: int, workers: int) -> None:
    """Run the host service.

    \b
    Examples:
      branchq host run --host 0.0.0.0 --port 8000
      branchq host run --db postgresql://branchq@/branchq --workers 4
    """
    import uvicorn

    from host.app import create_app
    from host.serving import uvicorn_options

    config, url = _load(config_path, db_url)
    if workers > 1:
        if not url.startswith("postgresql"):
            raise click.UsageError("several workers need PostgreSQL (--db postgresql://...); "
                                   "a SQLite branch runs one host process")
        os.environ["BRANCHQ_DB_URL"] = url
        if config_path:
            os.environ["BRANCHQ_CONFIG"] = config_path
        uvicorn.run("host.app:app_from_env", factory=True, workers=workers, host=bind, port=port,
                    **uvicorn_options())
        return
    try:
        app = create_app(config, url)  # type: ignore[arg-type]
    except ReplayError as err:  # one line naming the event, not a traceback
        raise click.ClickException(f"cannot start: {err}. Run `branchq maint db check`, then "
                                   "`branchq maint db repair` (docs/maintenance.md)") from err
    uvicorn.run(app, host=bind, port=port, **uvicorn_options())


@host.group()
def token() -> None:
    """Create, list and revoke API tokens (stored hashed; shown once)."""
    log_to_stderr()


@token.command("create")
@config_option
@db_option
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--counter", type=click.IntRange(1, 999), help="Counter number (teller tokens).")
@click.option("--counters", default="", help="Counters a keypad-gateway token acts for: 1,2,3.")
@click.option("--name", default="", help="Who or what holds it, e.g. 'Counter 3 keypad'.")
def token_create(config_path: str | None, db_url: str | None, role: str, counter: int | None,
                 counters: str, name: str) -> None:
    """Create a token and print it alone on stdout.

    \b
    Examples:
      branchq host token create --role teller --counter 3 --name "Counter 3"
      branchq host token create --role keypad-gateway --counters 1,2,3 --name "Entrance kiosk"
    """
    store = _store(config_path, db_url)
    try:
        numbers = tuple(int(c) for c in counters.split(",") if c.strip())
        value = create_token(store, Role(role), name or role, counter, numbers)
    except ValueError as err:
        raise click.UsageError(str(err)) from err
    click.echo(value)


@token.command("list")
@config_option
@db_option
def token_list(config_path: str | None, db_url: str | None) -> None:
    """List tokens (never their values).

    \b
    Example:
      branchq host token list
    """
    for row in _store(config_path, db_url).list_tokens():
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        counter = f" counter {row.counter}" if row.counter else ""
        click.echo(f"{row.id:4d}  {row.role:10s}{counter:12s} {state:18s} {row.name}")


@token.command("revoke")
@config_option
@db_option
@click.argument("token_id", type=int)
def token_revoke(config_path: str | None, db_url: str | None, token_id: int) -> None:
    """Revoke a token by the id that `token list` shows.

    \b
    Example:
      branchq host token revoke 7
    """
    from host.service import utcnow

    if not _store(config_path, db_url).revoke_token(token_id, utcnow()):
        raise click.ClickException(f"no active token with id {token_id}")
    click.echo(f"revoked token {token_id}")


def _die_with_parent() -> None:
    """In the demo's kiosk child: get SIGTERM when the demo process ends, however it ends
    (uvicorn re-raises SIGTERM after its shutdown, so no ``finally`` of ours would run)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


@click.command()
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--kiosk-port", default=8001, show_default=True, type=click.IntRange(1, 65535),
              help="The simulated kiosk's preview page.")
@click.option("--no-kiosk", is_flag=True, help="Run the host only.")
def demo(port: int, kiosk_port: int, no_kiosk: bool) -> None:
    """Run the demo: the host with the example branch (SQLite under ./var/) and a simulated kiosk
    with virtual printer, touch screen, LED signs and keypads, all on 127.0.0.1.

    \b
    Example:
      branchq demo --port 8000 --kiosk-port 8001
    """
    import subprocess

    import uvicorn

    from host.app import create_app
    from host.serving import uvicorn_options

    config = load_config(None)
    var = Path("var").resolve()
    url = default_sqlite_url(var)
    store = Store(url, config.branch.id)
    store.migrate()
    tokens = {
        role: create_token(store, role, f"demo {role.value}", 1 if role is Role.TELLER else None,
                           (1, 2, 3) if role is Role.KEYPAD_GATEWAY else ())
        for role in (Role.KIOSK, Role.KEYPAD_GATEWAY, Role.DISPLAY, Role.TELLER, Role.MANAGER,
                     Role.TECHNICIAN)
    }
    store.close()
    secrets_dir = var / "demo"
    secrets_dir.mkdir(parents=True, exist_ok=True)
    for role in (Role.KIOSK, Role.KEYPAD_GATEWAY):
        path = secrets_dir / f"{role.value}.token"
        path.write_text(tokens[role])
        path.chmod(0o600)
    base = f"http://127.0.0.1:{port}"
    lines = [
        f"branchq demo: {config.branch.name_en}",
        f"  kiosk (simulated)  http://127.0.0.1:{kiosk_port}/   <- click the screen to take a ticket"
        if not no_kiosk else "",
        f"  hall display       {base}/hall#token={tokens[Role.DISPLAY]}",
        f"  counter 1 console  {base}/counter#token={tokens[Role.TELLER]}&counter=1",
        f"  lobby dashboard    {base}/lobby#token={tokens[Role.MANAGER]}",
        f"  API docs           {base}/docs",
        "  demo credentials (Authorization: Bearer TOKEN), new at every start:",
        *(f"    {role.value:15s} {value}" for role, value in tokens.items()),
    ]
    sys.stdout.write("\n".join(line for line in lines if line) + "\n")
    sys.stdout.flush()
    kiosk = None
    if not no_kiosk:
        kiosk = subprocess.Popen([
            sys.executable, "-c", "from host.cli import main; main()", "kiosk", "run", "--simulate",
            "--host-url", base, "--state-dir", str(var / "kiosk"),
            "--token-file", str(secrets_dir / "kiosk.token"),
            "--keypad-token-file", str(secrets_dir / "keypad-gateway.token"),
            "--preview-port", str(kiosk_port)], preexec_fn=_die_with_parent)
    try:
        uvicorn.run(create_app(config, url), host="127.0.0.1", port=port, **uvicorn_options())
    finally:
        if kiosk is not None:
            kiosk.terminate()
            kiosk.wait(timeout=15)
