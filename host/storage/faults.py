"""Storage faults by kind, and the guard that keeps the host from writing into a deleted file.

A database error is translated here, once, into what the host can tell its callers and its
health check: refused data (422), a full disk (507), a read-only or vanished database (503), or
an unreachable one (503). Each kind clears by itself when its cause goes away; the service
probes for that (host/service.py).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from contextlib import closing, suppress
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

log = logging.getLogger("branchq.storage")

# SQLite primary result codes (https://www.sqlite.org/rescode.html), as sqlite3 reports them in
# ``sqlite_errorcode`` (an extended code keeps its primary code in the low byte).
_SQLITE_READONLY = 8
_SQLITE_FULL = 13
# PostgreSQL SQLSTATEs (appendix A of its manual).
_PG_DISK_FULL = "53100"
_PG_READ_ONLY_TRANSACTION = "25006"


class StorageError(Exception):
    """The database could not be reached or refused a write; nothing was acknowledged."""

    kind = "unreachable"  # what /healthz says about the database


class StorageRefused(StorageError):
    """The database was reached but refused the data (a value it cannot store, a constraint):
    retrying the same request will not help, unlike an outage."""

    kind = "ok"  # the database is fine; the data was not


class StorageFull(StorageError):
    """The disk (SQLite) or the tablespace (PostgreSQL) is full: nothing more can be written."""

    kind = "full"


class StorageReadOnly(StorageError):
    """The database can be read but not written: a read-only file or file system, or a
    PostgreSQL database set to read-only transactions."""

    kind = "read_only"


class StorageMissing(StorageError):
    """The SQLite database file was deleted or replaced while the host ran."""

    kind = "missing"


def storage_error(err: SQLAlchemyError) -> StorageError:
    """The :class:`StorageError` kind of a database error (its first line as the message)."""
    orig = getattr(err, "orig", None)
    message = str(orig if orig is not None else err).splitlines()[0]
    if isinstance(err, DataError | IntegrityError):
        return StorageRefused(message)
    code = getattr(orig, "sqlite_errorcode", None)
    state = getattr(orig, "sqlstate", None)
    if (code is not None and code & 0xFF == _SQLITE_FULL) or state == _PG_DISK_FULL:
        return StorageFull(message)
    if (code is not None and code & 0xFF == _SQLITE_READONLY) or state == _PG_READ_ONLY_TRANSACTION:
        return StorageReadOnly(message)
    return StorageError(message)


class SqliteFile:
    """The SQLite database file the host has open, watched by its device and inode.

    A file deleted while open stays writable through the open handles: SQLite would go on
    committing into a file that no longer has a name and is gone at the next start. So every
    write transaction checks, before it commits, that the path still names the file that is
    open. One connection (the anchor) stays open all the time, so that when the folder is back
    the data can be written to the path again (:meth:`restore`) and nothing committed is lost.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._identity: tuple[int, int] | None = None
        self._anchor: sqlite3.Connection | None = None

    def adopt(self) -> None:
        """Take the file now at the path as the database (at start, and after :meth:`restore`)."""
        st = os.stat(self.path)
        self._identity = (st.st_dev, st.st_ino)
        self.close()
        self._anchor = sqlite3.connect(f"file:{quote(str(self.path))}?mode=rw", uri=True,
                                       check_same_thread=False, timeout=30)
        # A first read maps the WAL index (the -shm file): a deleted one cannot be opened later.
        self._anchor.execute("SELECT count(*) FROM sqlite_master").fetchone()

    def close(self) -> None:
        if self._anchor is not None:
            self._anchor.close()
            self._anchor = None

    def check(self) -> None:
        """Raise :class:`StorageMissing` unless the path names the file that is open."""
        if self._identity is None:
            return
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise StorageMissing(f"the database file {self.path} was deleted") from None
        except OSError as err:
            raise StorageMissing(f"the database file {self.path} cannot be found: "
                                 f"{err.strerror}") from err
        if (st.st_dev, st.st_ino) != self._identity:
            raise StorageMissing(f"another file took the place of the database {self.path}")

    def restore(self) -> bool:
        """If the file was deleted and its folder exists again, write the data still open in
        the anchor back to the path (SQLite's online backup, then an atomic rename); True when
        done. A different file in its place is left alone: someone put it there."""
        if self._anchor is None or self.path.exists() or not self.path.parent.is_dir():
            return False
        partial = self.path.with_name(self.path.name + ".restoring")
        try:
            with closing(sqlite3.connect(partial)) as target:
                self._anchor.backup(target)
                target.execute("PRAGMA journal_mode=WAL")
            os.replace(partial, self.path)
            folder = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)  # the new name survives a power cut too
            finally:
                os.close(folder)
        except (OSError, sqlite3.Error) as err:
            log.warning("cannot write the database back to %s yet: %s", self.path, err)
            with suppress(OSError):
                partial.unlink(missing_ok=True)
            return False
        log.warning("the database file %s had been deleted; its data is written back", self.path)
        return True
