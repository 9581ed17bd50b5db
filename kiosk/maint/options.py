"""Options shared by the maintenance commands, and loading the configuration files they name.

Loading failures become findings ("Kiosk config: ... — fix ..., then run ..."), not tracebacks.
Drivers and the host's storage layer are imported inside the functions: a kiosk has no need for
the database layer, and ``--help`` stays fast.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from branchq.host.cli_db import DB_FILE, DEMO_KIOSK_CONFIG, VAR_DIR, default_url
from branchq.kiosk.maint.report import Finding, Level, Stop

if TYPE_CHECKING:
    from branchq.host.config import BranchConfig
    from branchq.kiosk.config import KioskConfig

KIOSK_CONFIG_PATH = "/etc/branchq/kiosk.toml"
BRANCH_CONFIG_PATH = "/etc/branchq/branch.toml"

def default_kiosk_config() -> str:
    """The installed kiosk config; on a machine without one, the demo's (``./var/demo``)."""
    if not Path(KIOSK_CONFIG_PATH).exists() and DEMO_KIOSK_CONFIG.exists():
        return str(DEMO_KIOSK_CONFIG)
    return KIOSK_CONFIG_PATH


def default_db_url() -> str | None:
    """As ``host run`` without --db: the SQLite file under ``./var``, if there is one."""
    return default_url() if (VAR_DIR / DB_FILE).is_file() else None


json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print JSON for scripts instead of tables.")
kiosk_config_option = click.option(
    "--kiosk-config", "kiosk_config", type=click.Path(dir_okay=False),
    envvar="BRANCHQ_KIOSK_CONFIG", default=default_kiosk_config,
    show_default=f"{KIOSK_CONFIG_PATH}, else the demo's {DEMO_KIOSK_CONFIG}",
    help="Kiosk TOML. Env: BRANCHQ_KIOSK_CONFIG.",
)
branch_config_option = click.option(
    "--config", "branch_config", type=click.Path(dir_okay=False), envvar="BRANCHQ_CONFIG",
    help=f"Branch TOML (default: {BRANCH_CONFIG_PATH} if present, else the bundled example). "
         "Env: BRANCHQ_CONFIG.",
)
db_option = click.option(
    "--db", "db_url", envvar="BRANCHQ_DB_URL", default=default_db_url,
    show_default=f"./{VAR_DIR / DB_FILE} if it exists, as `branchq host run` and the demo use",
    help="Database URL, sqlite:///PATH or postgresql://... Env: BRANCHQ_DB_URL.",
)


#: A click command function, before or after other options are applied to it.
Command = TypeVar("Command", bound=Callable[..., Any])


def port_option(what: str, needs_config: bool = True) -> Callable[[Command], Command]:
    alone = "" if needs_config else " Works without a kiosk config (driver defaults)."
    return click.option("--port", "port", type=click.Path(dir_okay=False),
                        help=f"Serial port of the {what}, instead of the one in the kiosk config "
                             f"(e.g. /dev/ttyUSB0).{alone}")


def check_command(path: str) -> str:
    return f"`branchq maint config check {path}`"


def load_kiosk(path: str) -> KioskConfig:
    """The kiosk config at ``path``, or :class:`Stop` with what to do."""
    from branchq.kiosk.config import KioskConfigError, load_kiosk_config

    if not Path(path).exists():
        raise Stop(Finding(
            "Kiosk config", Level.FAULT, f"{path} not found",
            "give the right file with --kiosk-config PATH (or set BRANCHQ_KIOSK_CONFIG); "
            "the bundled example is kiosk/example-kiosk.toml; in the folder where `branchq demo` "
            f"runs, its {DEMO_KIOSK_CONFIG} is found by itself"))
    try:
        return load_kiosk_config(path)
    except KioskConfigError as err:
        raise Stop(Finding("Kiosk config", Level.FAULT, str(err),
                           f"correct the file, then run {check_command(path)}")) from err


def branch_config_path(path: str | None) -> str | None:
    """The branch config to use: the option, else the installed file, else None (example)."""
    if path:
        return path
    return BRANCH_CONFIG_PATH if Path(BRANCH_CONFIG_PATH).exists() else None


def load_branch(path: str | None) -> BranchConfig:
    from branchq.host.config import ConfigError, load_config

    chosen = branch_config_path(path)
    try:
        return load_config(chosen)
    except ConfigError as err:
        raise Stop(Finding("Branch config", Level.FAULT, str(err),
                           f"correct the file, then run {check_command(chosen or '')}")) from err


def require_db_url(db_url: str | None) -> str:
    if not db_url:
        raise click.UsageError(
            f"no database given and no ./{VAR_DIR / DB_FILE} here: use --db URL or set "
            "BRANCHQ_DB_URL (the host's unit file has it: systemctl cat branchq-host)")
    return db_url


def display_db_url(url: str) -> str:
    """The URL without a password, for output (any URL libpq takes, multi-host ones too)."""
    return re.sub(r"^([\w+]+://[^:/@]*):[^@]*@", r"\1:***@", url, count=1)
