"""The last words of a failed ``branchq`` command: what happened, where, and what to do.

Failures the commands foresee are click errors raised where they happen. This module words the
rest (a file that cannot be written, a database that does not answer) the same way, in two lines
on stderr; anything else is a bug, and says how to get the traceback for a report.
"""

from __future__ import annotations

import errno
import sys

BUG = ("this is a bug in branchq: run the same command as `branchq --debug ...` and report "
       "what it prints")
DB_HINT = ("check the database URL (--db or BRANCHQ_DB_URL) and that the database server is "
           "running; `branchq maint db check` tells more")

#: The libraries only one of the two installs has, and the extra that brings each (pyproject.toml).
EXTRA_OF = {
    **dict.fromkeys(("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg"), "host"),
    **dict.fromkeys(("escpos", "usb", "serial", "pymodbus", "evdev", "numpy", "qrcode", "websockets"),
                    "kiosk"),
}


def explain(err: BaseException) -> str:
    """Two lines for stderr, each ending in a newline."""
    what, todo = describe(err)
    return f"branchq: error: {what}\n  {todo}\n"


def describe(err: BaseException) -> tuple[str, str]:
    # Not imported here: a kiosk install has no database layer. An error can only be the host
    # storage's if that module is loaded already.
    storage = sys.modules.get("branchq.host.storage")
    if isinstance(err, ModuleNotFoundError) and (err.name or "").split(".")[0] in EXTRA_OF:
        extra = EXTRA_OF[(err.name or "").split(".")[0]]
        return (f"this command needs {err.name}, which this install of branchq lacks",
                f"it runs where the {extra} part is installed: pip install 'branchq[{extra}]'")
    if isinstance(err, OSError):
        return _os_error(err)
    if storage is not None and isinstance(err, storage.StorageError):
        return _first_line(str(err)), DB_HINT
    if type(err).__module__.startswith("sqlalchemy"):
        return f"database error: {_first_line(str(err))}", DB_HINT
    return f"unexpected {type(err).__name__}: {_first_line(str(err))}", BUG


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "(no message)"


def _os_error(err: OSError) -> tuple[str, str]:
    where = f": {err.filename}" if err.filename is not None else ""
    reason = err.strerror or str(err)
    if err.errno == errno.EADDRINUSE:
        return (f"{reason}{where}: another program already listens on that port",
                "stop it (`ss -ltnp` shows which) or choose another --port")
    if err.errno in (errno.EACCES, errno.EPERM):
        return (f"{reason}{where}", "check the owner and mode (`ls -l PATH`), or run as the user "
                                    "that owns the files")
    if err.errno == errno.ENOSPC:
        return f"{reason}{where}", "free some space (`df -h`), then try again"
    if err.errno == errno.ENOENT:
        return f"{reason}{where}", "check the path (and that its folder exists)"
    return f"{reason}{where}", "check the path and the permissions, then try again"
