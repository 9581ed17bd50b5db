"""A private PostgreSQL server for the tests: its own data directory, port and lifetime.

Uses the Debian server binaries (package ``postgresql``). As root, ``initdb`` refuses to run, so
the server runs as the ``postgres`` system user. Tests that need it are skipped with a clear reason
where the binaries are missing; ``.ci/run`` installs them, so CI always runs them.

:func:`start_replicated_pair` starts a primary and a streaming standby copied from it with
``pg_basebackup -R`` through a replication slot; the primary commits synchronously to the standby
(``synchronous_standby_names``), so what it acknowledged is on the standby when it dies.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


@dataclass
class PgServer:
    port: int
    datadir: str
    _as_user: list[str]
    settings: tuple[str, ...] = ()  # more ``name=value`` server settings, given at each start

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def _ctl(self, *args: str) -> None:
        pg_ctl = _bin("pg_ctl") or "pg_ctl"
        subprocess.run([*self._as_user, pg_ctl, "-D", self.datadir, "-w", "-t", "60", *args],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> None:
        extra = "".join(f" -c {setting}" for setting in self.settings)
        self._ctl("-o", f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 "
                        f"-c fsync=on -c max_connections=200{extra}",
                  "-l", f"{self.datadir}/log", "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "stop")

    def promote(self) -> None:
        """A standby becomes a primary (returns once it takes writes)."""
        self._ctl("promote")

    def query(self, sql: str, db: str = "postgres") -> list[tuple[object, ...]]:
        import psycopg

        with psycopg.connect(self.url(db), autocommit=True) as conn:
            return list(conn.execute(sql).fetchall())

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database, empty or a copy of ``template`` (which nobody may be connected to)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.datadir, ignore_errors=True)


def _as_user(datadir: str) -> list[str]:
    """The command prefix that runs a server program as the owner of ``datadir`` (made its
    owner here when we are root)."""
    if os.geteuid() != 0:
        return []
    shutil.chown(datadir, "postgres", "postgres")
    return ["runuser", "-u", "postgres", "--"]


def _started(server: PgServer) -> PgServer:
    server.start()
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return server


def start_private_server(settings: tuple[str, ...] = ()) -> PgServer | None:
    """Start a throwaway server, or None when PostgreSQL is not installed."""
    initdb = _bin("initdb")
    if initdb is None:
        return None
    datadir = tempfile.mkdtemp(prefix="branchq-pg-")
    as_user = _as_user(datadir)
    subprocess.run([*as_user, initdb, "-D", datadir, "-U", "postgres", "-A", "trust",
                    "-E", "UTF8", "--no-sync"], check=True, stdout=subprocess.DEVNULL)
    return _started(PgServer(free_port(), datadir, as_user, settings))


STANDBY = "standby1"  # its replication slot, and the name it is known by to the primary


def start_replicated_pair() -> tuple[PgServer, PgServer] | None:
    """A primary and its streaming standby, in synchronous replication (a commit returns once
    the standby has it on disk), or None when PostgreSQL is not installed."""
    primary = start_private_server(("synchronous_standby_names=" + STANDBY,
                                    "synchronous_commit=on"))
    if primary is None:
        return None
    try:
        primary.query(f"SELECT pg_create_physical_replication_slot('{STANDBY}')")
        datadir = tempfile.mkdtemp(prefix="branchq-pg-standby-")
        as_user = _as_user(datadir)
        subprocess.run([*as_user, _bin("pg_basebackup") or "pg_basebackup", "-D", datadir,
                        "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                        "-R", "-S", STANDBY, "-X", "stream", "--no-sync"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # The standby names itself in its connection to the primary (pg_basebackup -R wrote
        # the rest of primary_conninfo): the name synchronous_standby_names waits for.
        standby = _started(PgServer(free_port(), datadir, as_user, (f"cluster_name={STANDBY}",)))
    except (subprocess.CalledProcessError, OSError):
        primary.destroy()
        raise
    deadline = time.monotonic() + 30
    while primary.query("SELECT sync_state FROM pg_stat_replication") != [("sync",)]:
        if time.monotonic() > deadline:
            standby.destroy()
            primary.destroy()
            raise RuntimeError("the standby did not become a synchronous standby")
        time.sleep(0.1)
    return primary, standby
