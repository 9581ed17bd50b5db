"""``branchq host ...``: run the host service and manage its credentials."""

from __future__ import annotations

import errno
import logging
import os
import socket
from typing import TYPE_CHECKING, Any

import click

from branchq.drivers.platform.cli import log_to_stderr
from branchq.drivers.platform.cli_errors import DB_HINT
from branchq.host.auth import REGION_WIDE, Role, create_token
from branchq.host.cli_db import url_or_default
from branchq.host.config import BranchConfig, ConfigError, load_branch_dir, load_config
from branchq.host.engine import ReplayError
from branchq.host.storage import StorageError, Store

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger("branchq.host")

config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), envvar="BRANCHQ_CONFIG",
    help="Branch TOML, e.g. /etc/branchq/branch.toml. Env: BRANCHQ_CONFIG.",
)
db_option = click.option(
    "--db", "db_url", envvar="BRANCHQ_DB_URL",
    help="Database URL, sqlite:///PATH or postgresql://... (default: SQLite under ./var/). "
         "Env: BRANCHQ_DB_URL.",
)


def load_branch(config_path: str | None) -> BranchConfig:
    """The branch config at ``config_path`` (None: the bundled example), or a click error."""
    try:
        return load_config(config_path)
    except ConfigError as err:
        todo = ("\n  give the right path, or start from the example: copy host/example-branch.toml "
                "there and edit it" if config_path and not os.path.exists(config_path) else "")
        raise click.ClickException(f"{err}{todo}") from err


def open_store(config: BranchConfig, url: str) -> Store:
    """The database, migrated to the newest schema, or a two-line click error."""
    store = Store(url, config.branch.id)
    try:
        store.migrate()
    except StorageError as err:
        store.close()
        cause = str(err.__cause__ or err).strip().splitlines()[0]
        raise click.ClickException(f"cannot open the database {url}: {cause}\n  {DB_HINT}") from err
    return store


def _store(config_path: str | None, db_url: str | None, region: bool = False) -> Store:
    """The store of the branch of ``config_path``, or (``region``) of the region-wide
    credentials of a region host's database, which its first start migrated."""
    if not region:
        return open_store(load_branch(config_path), url_or_default(db_url))
    if config_path:
        raise click.UsageError("--region credentials belong to no branch: leave out --config")
    if not (db_url or "").startswith("postgresql"):
        raise click.UsageError("a region lives in PostgreSQL: give --db postgresql://...")
    return Store(db_url or "", REGION_WIDE)


region_option = click.option(
    "--region", "region", is_flag=True,
    help="The region-wide credentials of a region host (role region-manager), not a branch's.")


def check_port_free(bind: str, port: int) -> None:
    """Refuse before anything starts when the address cannot be listened on."""
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind((bind, port))
        except OSError as err:
            todo = {
                errno.EADDRINUSE: f"another program listens there (`ss -ltnp 'sport = :{port}'` "
                                  "shows which): stop it or choose another --port",
                errno.EADDRNOTAVAIL: "that address is not one of this machine's: use --host "
                                     "0.0.0.0 or an address from `ip -brief address`",
                errno.EACCES: "ports below 1024 need privileges: choose --port 1024 or above",
            }.get(err.errno or 0, "choose another --host or --port")
            raise click.ClickException(f"cannot listen on {bind}:{port}: {err.strerror}\n  {todo}") \
                from err


def uvicorn_config(app: Any, bind: str, port: int) -> uvicorn.Config:
    """The server settings of every single-process host (``host run`` and the demo)."""
    import uvicorn

    from branchq.host.serving import uvicorn_options

    return uvicorn.Config(app, host=bind, port=port, **uvicorn_options())


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
@click.option("--demo-branch", is_flag=True,
              help="Without --config: serve the bundled example branch (to try branchq out; "
                   "never at a real branch).")
@db_option
@click.option("--host", "bind", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (PostgreSQL only: they share events via LISTEN/NOTIFY).")
@click.option("--region", "region", is_flag=True,
              help="Serve every branch of --branches from one PostgreSQL database "
                   "(docs/deploy.md, region).")
@click.option("--branches", "branches_dir", type=click.Path(file_okay=False),
              envvar="BRANCHQ_BRANCHES",
              help="With --region: the folder of branch TOML files, e.g. /etc/branchq/branches. "
                   "Env: BRANCHQ_BRANCHES.")
@click.option("--idle-minutes", default=10.0, show_default=True,
              type=click.FloatRange(0.01, 24 * 60),
              help="With --region: a branch with no request and no screen for this long is "
                   "unloaded (its engine is read back from the database when next used).")
def run(config_path: str | None, demo_branch: bool, db_url: str | None, bind: str, port: int,
        workers: int, region: bool, branches_dir: str | None, idle_minutes: float) -> None:
    """Run the host service until Ctrl+C or SIGTERM (then exit 0).

    A branch's own config is required (--config or BRANCHQ_CONFIG); --demo-branch serves the
    bundled example branch instead, with a warning.

    \b
    Examples:
      branchq host run --config /etc/branchq/branch.toml --host 0.0.0.0 --port 8000
      branchq host run --config branch.toml --db postgresql://branchq@/branchq --workers 4
      branchq host run --demo-branch            # try it out: the bundled example branch
      branchq host run --region --branches /etc/branchq/branches --db postgresql://branchq@/branchq
    """
    if region:
        run_region(branches_dir, config_path, demo_branch, db_url, bind, port, workers,
                   idle_minutes)
        return
    if branches_dir:
        raise click.UsageError("--branches is for a region host: add --region")
    if config_path is None and not demo_branch:
        raise click.UsageError(
            "no branch config: give --config /etc/branchq/branch.toml (or set BRANCHQ_CONFIG); "
            "to try branchq with the bundled example branch add --demo-branch, or run `branchq demo`")
    config = load_branch(config_path)
    if config_path is None:
        click.echo(f"WARNING: serving the bundled example branch \"{config.branch.name_en}\" "
                   f"(id {config.branch.id}), not a real branch: for a branch give --config "
                   "/etc/branchq/branch.toml", err=True)
    if workers > 1 and not (db_url or "").startswith("postgresql"):
        raise click.UsageError("several workers need PostgreSQL (--db postgresql://...); "
                               "a SQLite branch runs one host process")
    url = url_or_default(db_url)
    open_store(config, url).close()  # a database problem stops here, in words
    check_port_free(bind, port)
    if workers > 1:
        import uvicorn

        from branchq.host.serving import uvicorn_options

        os.environ["BRANCHQ_DB_URL"] = url
        if config_path:
            os.environ["BRANCHQ_CONFIG"] = config_path
        uvicorn.run("branchq.host.app:app_from_env", factory=True, workers=workers, host=bind, port=port,
                    **uvicorn_options())
        return
    from branchq.host.app import create_app
    from branchq.host.serve import serve

    try:
        app = create_app(config, url)
    except ReplayError as err:  # one line naming the event, not a traceback
        raise click.ClickException(f"cannot start: {err}. Run `branchq maint db check`, then "
                                   "`branchq maint db repair` (docs/maintenance.md)") from err
    serve(uvicorn_config(app, bind, port))


def run_region(branches_dir: str | None, config_path: str | None, demo_branch: bool,
               db_url: str | None, bind: str, port: int, workers: int,
               idle_minutes: float) -> None:
    """``host run --region``: checks in words, then the region host (host/region.py)."""
    if config_path or demo_branch:
        raise click.UsageError("--region serves the branches of --branches DIR, not --config or "
                               "--demo-branch")
    if workers > 1:
        raise click.UsageError("a region host is one process: run several behind a proxy "
                               "(docs/deploy.md, region)")
    if not branches_dir:
        raise click.UsageError("--region needs --branches DIR, a folder of branch TOML files "
                               "(or set BRANCHQ_BRANCHES)")
    if not (db_url or "").startswith("postgresql"):
        raise click.UsageError("a region host needs PostgreSQL (--db postgresql://...): its "
                               "branches and its other processes share one database")
    try:
        configs = load_branch_dir(branches_dir)
    except ConfigError as err:
        raise click.ClickException(str(err)) from err
    check_port_free(bind, port)
    from branchq.host.app import create_region_app
    from branchq.host.serve import serve

    try:
        app = create_region_app(configs, db_url or "", idle_minutes * 60)
    except StorageError as err:
        cause = str(err.__cause__ or err).strip().splitlines()[0]
        raise click.ClickException(f"cannot open the database {db_url}: {cause}\n  {DB_HINT}") \
            from err
    click.echo(f"region host: {len(configs)} branches from {branches_dir}", err=True)
    serve(uvicorn_config(app, bind, port))


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
@region_option
def token_create(config_path: str | None, db_url: str | None, role: str, counter: int | None,
                 counters: str, name: str, region: bool) -> None:
    """Create a token and print it alone on stdout.

    \b
    Examples:
      branchq host token create --role teller --counter 3 --name "Counter 3"
      branchq host token create --role keypad-gateway --counters 1,2,3 --name "Entrance kiosk"
      branchq host token create --role booking --name "Mobile banking app"
      branchq host token create --region --role region-manager --db postgresql://... --name Li
    """
    store = _store(config_path, db_url, region)
    try:
        numbers = tuple(int(c) for c in counters.split(",") if c.strip())
        value = create_token(store, Role(role), name or role, counter, numbers)
    except ValueError as err:
        raise click.UsageError(str(err)) from err
    click.echo(value)


@token.command("list")
@config_option
@db_option
@region_option
def token_list(config_path: str | None, db_url: str | None, region: bool) -> None:
    """List tokens (never their values).

    \b
    Example:
      branchq host token list
    """
    for row in _store(config_path, db_url, region).list_tokens():
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        counter = f" counter {row.counter}" if row.counter else ""
        click.echo(f"{row.id:4d}  {row.role:14s}{counter:12s} {state:18s} {row.name}")


@token.command("revoke")
@config_option
@db_option
@region_option
@click.argument("token_id", type=int)
def token_revoke(config_path: str | None, db_url: str | None, region: bool, token_id: int) -> None:
    """Revoke a token by the id that `token list` shows.

    \b
    Example:
      branchq host token revoke 7
    """
    from branchq.host.service import utcnow

    if not _store(config_path, db_url, region).revoke_token(token_id, utcnow()):
        raise click.ClickException(f"no active token with id {token_id}\n  "
                                   "`branchq host token list` shows the ids")
    click.echo(f"revoked token {token_id}")
