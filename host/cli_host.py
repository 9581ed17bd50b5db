"""``branchq host ...``: run the host service and manage its credentials; ``branchq demo``."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from host.auth import Role, create_token
from host.cli import log_to_stderr
from host.config import ConfigError, load_config
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
def run(config_path: str | None, db_url: str | None, bind: str, port: int) -> None:
    """Run the host service.

    \b
    Example:
      branchq host run --host 0.0.0.0 --port 8000
    """
    import uvicorn

    from host.app import create_app

    config, url = _load(config_path, db_url)
    app = create_app(config, url)  # type: ignore[arg-type]
    uvicorn.run(app, host=bind, port=port, log_config=None, access_log=False)


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


@click.command()
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def demo(port: int) -> None:
    """Run the demo: host on 127.0.0.1 with the example branch and SQLite under ./var/.

    \b
    Example:
      branchq demo --port 8000
    """
    import uvicorn

    from host.app import create_app

    config = load_config(None)
    url = default_sqlite_url(Path("var"))
    store = Store(url, config.branch.id)
    store.migrate()
    tokens = {
        role: create_token(store, role, f"demo {role.value}", 1 if role is Role.TELLER else None)
        for role in (Role.KIOSK, Role.DISPLAY, Role.TELLER, Role.MANAGER, Role.TECHNICIAN)
    }
    store.close()
    base = f"http://127.0.0.1:{port}"
    lines = [
        f"branchq demo: {config.branch.name_en}",
        f"  API docs        {base}/docs",
        f"  health          {base}/healthz",
        "  demo credentials (Authorization: Bearer TOKEN), new at every start:",
        *(f"    {role.value:10s} {value}" for role, value in tokens.items()),
        f"  try: curl -s -X POST {base}/api/v1/tickets -H 'Authorization: Bearer "
        f"{tokens[Role.KIOSK]}' -H 'Content-Type: application/json' -d '{{\"service\":\"cash\"}}'",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    os.environ.setdefault("BRANCHQ_DEMO", "1")
    uvicorn.run(create_app(config, url), host="127.0.0.1", port=port, log_config=None,
                access_log=False)
