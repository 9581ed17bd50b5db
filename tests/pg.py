"""A private PostgreSQL server for the tests: its own data directory, port and lifetime.

Uses the Debian server binaries (package ``postgresql``). As root, ``initdb`` refuses to run, so
the server runs as the ``postgres`` system user. Tests that need it are skipped with a clear reason
where the binaries are missing; ``.ci/run`` installs them, so CI always runs them.
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

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def _ctl(self, *args: str) -> None:
        pg_ctl = _bin("pg_ctl") or "pg_ctl"
        subprocess.run([*self._as_user, pg_ctl, "-D", self.datadir, "-w", "-t", "60", *args],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> None:
        self._ctl("-o", f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 "
                        "-c fsync=on -c max_connections=200", "-l", f"{self.datadir}/log", "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "stop")

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


def start_private_server() -> PgServer | None:
    """Start a throwaway server, or None when PostgreSQL is not installed."""
    initdb = _bin("initdb")
    if initdb is None:
        return None
    as_user: list[str] = []
    datadir = tempfile.mkdtemp(prefix="branchq-pg-")
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(datadir, "postgres", "postgres")
    subprocess.run([*as_user, initdb, "-D", datadir, "-U", "postgres", "-A", "trust",
                    "-E", "UTF8", "--no-sync"], check=True, stdout=subprocess.DEVNULL)
    server = PgServer(free_port(), datadir, as_user)
    server.start()
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return server
