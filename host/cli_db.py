"""Database URLs as the command line takes them (``--db``, ``BRANCHQ_DB_URL``, the ``./var`` default).

Every command that opens the database checks the URL here first, so a mistake in it ends in one
sentence naming the path or the server and what to do, instead of a driver's traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

#: The folder ``host run`` and ``demo`` use when no ``--db`` is given (relative to the current folder).
VAR_DIR = Path("var")
DB_FILE = "branchq.db"
#: ``branchq demo``'s own files, among them the simulated kiosk's config (see host/cli_demo.py).
DEMO_DIR = VAR_DIR / "demo"
DEMO_KIOSK_CONFIG = DEMO_DIR / "kiosk.toml"
URL_HINT = "give --db sqlite:///PATH or --db postgresql://USER@HOST/DB (or set BRANCHQ_DB_URL)"


class ExplainedError(click.ClickException):
    """A path or URL that cannot work: what is wrong, then what to do (two lines)."""

    def __init__(self, what: str, todo: str) -> None:
        super().__init__(f"{what}\n  {todo}")


def default_url(var_dir: Path = VAR_DIR) -> str:
    """``sqlite:///ABSOLUTE/var/branchq.db``; the folder is not created here."""
    return f"sqlite:///{(var_dir / DB_FILE).resolve()}"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database or an in-memory one."""
    from sqlalchemy.exc import ArgumentError

    from branchq.host.storage.store import database_url

    try:
        parsed = database_url(url)  # libpq's multi-host form too (a primary and its standby)
    except (ArgumentError, ValueError) as err:
        raise ExplainedError(f"{url!r} is not a database URL", URL_HINT) from err
    if parsed.get_backend_name() == "sqlite":
        return Path(parsed.database) if parsed.database and parsed.database != ":memory:" else None
    if parsed.get_backend_name() != "postgresql":
        raise ExplainedError(f"{url!r}: branchq stores its data in SQLite or PostgreSQL, "
                               f"not {parsed.get_backend_name()}", URL_HINT)
    return None


def check_url(url: str, create: bool = True) -> str:
    """``url`` when it can work; for SQLite, the file (or with ``create`` its folder) must be
    there and writable. Raises :class:`ExplainedError` saying which path is wrong and why."""
    path = sqlite_file(url)
    if path is None:
        return url
    folder = path.parent
    if path.is_dir():
        raise ExplainedError(f"the database {path} is a folder", f"name a file in it: "
                               f"--db sqlite:///{(path / DB_FILE).resolve()}")
    if path.exists():
        # Readable but not writable is a storage fault the host reports and recovers from by
        # itself (it serves what it has, /healthz says read_only); unreadable is refused here.
        if not os.access(path, os.R_OK):
            raise ExplainedError(f"no permission to read the database {path}",
                                   f"check its owner and mode (`ls -l {path}`), or run as the "
                                   "user that owns it")
        return url
    if not create:
        raise ExplainedError(f"the database {path} does not exist",
                               "check the URL (--db or BRANCHQ_DB_URL; the host's unit file has "
                               "it: `systemctl cat branchq-host`)")
    if not folder.is_dir():
        raise ExplainedError(f"cannot create the database {path}: its folder {folder} does "
                               "not exist", f"create it (`mkdir -p {folder}`) or {URL_HINT}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExplainedError(f"cannot create the database {path}: no permission to write in "
                               f"{folder}", f"check the folder's owner (`ls -ld {folder}`) or "
                               "choose another --db")
    return url


def make_var_dir(folder: Path = VAR_DIR) -> Path:
    """Create ``folder`` (default ``./var``) if needed; a file in its place is refused in words."""
    if folder.exists() and not folder.is_dir():
        raise ExplainedError(f"{folder.resolve()} is a file, where branchq keeps its data "
                               "folder", "move that file away, or run branchq in another folder "
                               "(or give --db)")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def url_or_default(db_url: str | None) -> str:
    """The given URL, else SQLite under ``./var`` (the folder is created), checked."""
    if db_url:
        return check_url(db_url)
    make_var_dir()
    return check_url(default_url())
