"""``branchq maint db backup|restore|check|repair``: the host's database, SQLite or PostgreSQL.

SQLite is copied with SQLite's online backup API (``sqlite3.Connection.backup``), a consistent
snapshot even while the host writes; PostgreSQL with ``pg_dump`` (custom format) and
``pg_restore`` (or ``psql`` for a plain SQL dump). A restore first saves the current data, so
it can be undone. ``check`` runs the engine's own check plus branchq's invariants: ticket labels
unique per business day, the event log's sequence numbers gap-free, and the log replaying as the
host replays it at start. ``repair`` quarantines the events that do not replay (after a copy).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from branchq.kiosk.maint.options import (
    branch_config_option,
    db_option,
    display_db_url,
    json_option,
    load_branch,
    require_db_url,
)
from branchq.kiosk.maint.report import Finding, Level, Report, Stop, reporting

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from branchq.host.config import BranchConfig

RESTORE_HINT = "restore the last good backup: `branchq maint db restore FILE` (docs/maintenance.md)"


@click.group()
def db() -> None:
    """The host's database: backup, restore, integrity check.

    \b
    Examples:
      branchq maint db backup --out /var/backups/branchq/
      branchq maint db check
      sudo systemctl stop branchq-host && branchq maint db restore FILE
      sudo systemctl stop branchq-host && branchq maint db repair
    """


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path:
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:":
        raise click.BadParameter(f"{url} is not a SQLite file", param_hint="--db")
    return Path(database)


_PG_SCHEME = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://")


def libpq_url(url: str) -> str:
    """A URL that pg_dump, pg_restore and psql accept: the scheme without SQLAlchemy's driver
    suffix, the rest as given (a region's multi-host URL, ``h1:p1,h2:p2`` with
    ``target_session_attrs``, is libpq's own syntax, which SQLAlchemy's parser refuses)."""
    return _PG_SCHEME.sub("postgresql://", url, count=1)


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def _existing_sqlite(url: str) -> Path:
    path = sqlite_path(url)
    if not path.is_file():
        raise Stop(Finding("Database", Level.FAULT, f"{path} does not exist",
                           "check the URL (--db or BRANCHQ_DB_URL; the host's unit file has it: "
                           "`systemctl cat branchq-host`)"))
    return path


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of ``source`` into ``target`` (online backup API), single file."""
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)) as src, \
                closing(sqlite3.connect(target, timeout=30)) as dst:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as err:
        action = ("another program has the database open: stop the host (`sudo systemctl stop "
                  "branchq-host`) and any sqlite3 shell, then try again" if "locked" in str(err)
                  else "check the disk space (`df -h`) and the file permissions")
        raise Stop(Finding("Database", Level.FAULT, f"copying {source} to {target} failed: {err}",
                           action)) from err


def _sqlite_integrity(path: Path) -> list[str]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]


def _run(command: list[str], what: str) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise Stop(Finding("Database", Level.FAULT, f"{tool} not found",
                           "install the PostgreSQL client: `sudo apt-get install postgresql-client`"))
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=3600)
    if result.returncode != 0:
        raise Stop(Finding("Database", Level.FAULT, f"{what} failed: {result.stderr.strip()[-500:]}",
                           "check the URL, that PostgreSQL is running, and that the client "
                           "version is not older than the server"))


def backup_to(url: str, out: Path) -> Path:
    if _is_sqlite(url):
        source = _existing_sqlite(url)
        _sqlite_copy(source, out)
    else:
        _run(["pg_dump", "--format=custom", f"--file={out}", f"--dbname={libpq_url(url)}"],
             "pg_dump")
    return out


def _default_out(url: str, out: str | Path | None, prefix: str = "branchq") -> Path:
    """The file to write: ``out`` itself, or a dated name in the folder ``out`` names. A folder
    is an existing one or any path ending in ``/`` (created with its parents, as rsync does)."""
    name = f"{prefix}-{_stamp()}.{'db' if _is_sqlite(url) else 'pgdump'}"
    if out is None:
        return Path(name)
    path = Path(out)
    if str(out).endswith("/") or path.is_dir():
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise Stop(Finding("Backup", Level.FAULT, f"cannot create the folder {path}: "
                               f"{err.strerror}", "check the permissions (`ls -ld "
                               f"{path.parent}`) or choose another --out")) from err
        return path / name
    if not path.parent.is_dir():
        raise Stop(Finding("Backup", Level.FAULT, f"the folder {path.parent} for {path} does not "
                           "exist", f"create it (`mkdir -p {path.parent}`), or end --out with / "
                           f"(--out {path}/) to have the folder {path} created for the backup"))
    return path


@db.command()
@click.option("--out", type=click.Path(),
              help="Backup file, or a folder for branchq-DATE-TIME.db/.pgdump: an existing "
                   "folder, or any path ending in / (created if missing). Default: here.")
@db_option
@json_option
def backup(out: str | None, db_url: str | None, as_json: bool) -> None:
    """Copy the database while the host runs (consistent snapshot).

    \b
    Example:
      branchq maint db backup --out /var/backups/branchq/
    """
    url = require_db_url(db_url)
    with reporting("Database backup", as_json) as report:
        target = _default_out(url, out)
        backup_to(url, target)
        if _is_sqlite(url):
            problems = [r for r in _sqlite_integrity(target) if r != "ok"]
            if problems:
                report.add("Backup", Level.FAULT, f"the copy fails its integrity check: "
                           f"{problems[0]}", f"run `branchq maint db check`; {RESTORE_HINT}")
                return
        size = target.stat().st_size
        report.add("Backup", Level.OK, f"{display_db_url(url)} saved to {target} "
                                       f"({size / 1024:.0f} KiB)",
                   "keep a copy off this machine (USB stick or the bank's file share)",
                   file=str(target.resolve()), bytes=size)


def _host_running() -> bool:
    from branchq.kiosk.maint.health import under_systemd

    if not under_systemd() or shutil.which("systemctl") is None:
        return False
    return subprocess.run(["systemctl", "is-active", "branchq-host"], capture_output=True,
                          text=True, check=False, timeout=10).stdout.strip() == "active"


def _check_backup_file(url: str, file: Path) -> None:
    if not file.is_file():
        raise click.BadParameter(f"{file} does not exist", param_hint="FILE")
    if _is_sqlite(url):
        try:
            problems = [r for r in _sqlite_integrity(file) if r != "ok"]
            with closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as conn:
                conn.execute("SELECT count(*) FROM events").fetchone()
        except sqlite3.Error as err:
            problems = [f"not a branchq SQLite backup ({err})"]
        if problems:
            raise Stop(Finding("Restore", Level.FAULT, f"{file} is damaged: {problems[0]}; "
                               "nothing was changed", "pick an older backup"))
    elif file.suffix != ".sql":
        _run(["pg_restore", "--list", str(file)], f"reading {file}")


@db.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@db_option
@json_option
def restore(file: Path, yes: bool, db_url: str | None, as_json: bool) -> None:
    """Replace the database with the backup FILE. The current data is saved first.

    Stop the host first; start it again afterwards.

    \b
    Example:
      sudo systemctl stop branchq-host
      branchq maint db restore /var/backups/branchq/branchq-20240501-180000.db
      sudo systemctl start branchq-host
    """
    url = require_db_url(db_url)
    with reporting("Database restore", as_json) as report:
        if _host_running():
            raise Stop(Finding("Restore", Level.FAULT, "the host is running and would keep the "
                               "old data in memory", "stop it first: `sudo systemctl stop "
                               "branchq-host`, then run the restore again"))
        _check_backup_file(url, file)
        # The safety copy goes next to the database file (SQLite) or next to the backup being
        # restored (PostgreSQL), never into whatever folder the technician happens to be in.
        saved = _default_out(url, sqlite_path(url).parent if _is_sqlite(url) else file.parent,
                             "branchq-before-restore")
        if not yes:
            click.confirm(f"Replace {display_db_url(url)} with {file}? The current data is first "
                          f"saved to {saved}", abort=True, err=True)
        if not _is_sqlite(url) or sqlite_path(url).exists():
            backup_to(url, saved)
        if _is_sqlite(url):
            _sqlite_copy(file, sqlite_path(url))
        elif file.suffix == ".sql":
            _run(["psql", "--single-transaction", "--set=ON_ERROR_STOP=1", f"--file={file}",
                  libpq_url(url)], "psql")
        else:
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                  f"--dbname={libpq_url(url)}", str(file)], "pg_restore")
        report.add("Restore", Level.OK, f"{display_db_url(url)} restored from {file}; the data "
                   f"before is in {saved}", "start the host: `sudo systemctl start branchq-host`, "
                   "then run `branchq maint db check`", saved=str(saved))


def _invariants(report: Report, conn: Connection) -> None:
    from sqlalchemy import inspect, text

    duplicates = conn.execute(text(
        "SELECT branch, business_day, label, count(*) FROM tickets "
        "GROUP BY branch, business_day, label HAVING count(*) > 1 LIMIT 5")).all()
    for branch, day, label, count in duplicates:
        report.add("Tickets", Level.FAULT, f"label {label} issued {count} times on {day} "
                   f"(branch {branch})", RESTORE_HINT)
    # A quarantined event keeps its seq: the log and the quarantine are gap-free together.
    log = ("(SELECT branch, seq FROM events UNION ALL SELECT branch, seq FROM quarantined_events)"
           if "quarantined_events" in inspect(conn).get_table_names() else "events")
    gaps = conn.execute(text(
        f"SELECT e.branch, e.seq + 1 FROM {log} e WHERE e.seq < "
        f"(SELECT max(m.seq) FROM {log} m WHERE m.branch = e.branch) AND NOT EXISTS "
        f"(SELECT 1 FROM {log} n WHERE n.branch = e.branch AND n.seq = e.seq + 1) "
        "ORDER BY 1, 2 LIMIT 5")).all()
    firsts = conn.execute(text(
        f"SELECT branch, min(seq) FROM {log} l GROUP BY branch HAVING min(seq) <> 1")).all()
    for branch, seq in [*firsts, *gaps]:
        report.add("Event log", Level.FAULT, f"event {seq} of branch {branch} is missing "
                   "(the log must be gap-free)", RESTORE_HINT)
    behind = conn.execute(text(
        f"SELECT b.branch, b.last_seq, (SELECT max(seq) FROM {log} e WHERE e.branch = b.branch) "
        "FROM branch_state b")).all()
    for branch, last_seq, highest in behind:
        if (highest or 0) != last_seq:
            report.add("Event log", Level.FAULT, f"branch {branch}: last event is {highest} but "
                       f"the counter says {last_seq}", RESTORE_HINT)
    events = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
    tickets = conn.execute(text("SELECT count(*) FROM tickets")).scalar_one()
    report.data.update(events=events, tickets=tickets)
    if not duplicates and not gaps and not firsts:
        report.add("Invariants", Level.OK, f"{events} events gap-free, {tickets} tickets with "
                   "unique labels per day")


def _engine_check(report: Report, conn: Connection, sqlite: bool) -> None:
    from sqlalchemy import text

    if sqlite:
        rows = [r[0] for r in conn.execute(text("PRAGMA integrity_check"))]
        if rows != ["ok"]:
            report.add("SQLite", Level.FAULT, f"integrity check failed: {'; '.join(rows[:3])}",
                       RESTORE_HINT)
        else:
            report.add("SQLite", Level.OK, "integrity check ok")
        return
    failures = conn.execute(text("SELECT checksum_failures FROM pg_stat_database "
                                 "WHERE datname = current_database()")).scalar()
    for table in ("branch_state", "events", "tickets", "api_tokens"):
        conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # reads every row
    if failures:
        report.add("PostgreSQL", Level.FAULT, f"{failures} page checksum failure(s)", RESTORE_HINT)
    else:
        report.add("PostgreSQL", Level.OK, "every table reads back, no checksum failures")


REPAIR_HINT = ("stop the host (`sudo systemctl stop branchq-host`), then run `branchq maint db "
               "repair` (docs/maintenance.md)")


def _replay_check(report: Report, url: str, config: BranchConfig) -> None:
    """Replay the branch's log as the host does at start; name the first event that fails."""
    from branchq.host.storage import Store
    from branchq.host.storage.quarantine import replay_log

    store = Store(url, config.branch.id)
    try:
        replayed = replay_log(store, config)
    finally:
        store.close()
    branch = config.branch.id
    if replayed.problem is None:
        report.add("Replay", Level.OK, f"the {replayed.events} events of branch {branch} replay "
                   "as at the host's start")
    else:
        report.add("Replay", Level.FAULT, f"branch {branch}: {replayed.problem}; the host "
                   "cannot start", REPAIR_HINT, seq=replayed.problem.seq)


@db.command()
@branch_config_option
@db_option
@json_option
def check(branch_config: str | None, db_url: str | None, as_json: bool) -> None:
    """Integrity check of the database plus branchq's invariants (unique ticket labels per
    day, gap-free event log, every event replays).

    \b
    Example:
      branchq maint db check --db sqlite:////var/lib/branchq/branchq.db
    """
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    from branchq.host.storage.store import make_engine

    url = require_db_url(db_url)
    with reporting("Database check", as_json) as report:
        if _is_sqlite(url):
            _existing_sqlite(url)
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                missing = {"events", "tickets", "branch_state"} - set(inspect(conn).get_table_names())
                if missing:
                    raise Stop(Finding("Database", Level.FAULT, f"no branchq tables "
                               f"({', '.join(sorted(missing))} missing) in {display_db_url(url)}",
                               "check the URL; the host creates them when it first starts"))
                _engine_check(report, conn, _is_sqlite(url))
                _invariants(report, conn)
            _replay_check(report, url, load_branch(branch_config))
        except SQLAlchemyError as err:
            raise Stop(Finding("Database", Level.FAULT, f"cannot read {display_db_url(url)}: "
                               f"{type(err).__name__}: {str(err).splitlines()[0]}",
                               "check the URL and that the database server is running")) from err
        finally:
            engine.dispose()


MAX_QUARANTINED = 100  # more bad events than this is damage for a restore, not a repair


@db.command()
@branch_config_option
@db_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the copy saved first (default: next to a SQLite file, else here).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
def repair(branch_config: str | None, db_url: str | None, out: Path | None, yes: bool,
           as_json: bool) -> None:
    """Quarantine the events that stop the host's start (they do not replay); keep the rest.

    Each such event moves, with the reason, to the quarantined_events table; the ticket rows
    of the current day are rewritten from the repaired log. The data before is saved first.
    Stop the host first; start it again afterwards.

    \b
    Example:
      sudo systemctl stop branchq-host
      branchq maint db repair
      sudo systemctl start branchq-host
    """
    from datetime import UTC

    from sqlalchemy.exc import SQLAlchemyError

    from branchq.host.storage import StorageError, Store
    from branchq.host.storage.quarantine import quarantine, replay_log, rewrite_ticket_rows

    url = require_db_url(db_url)
    with reporting("Database repair", as_json) as report:
        if _host_running():
            raise Stop(Finding("Repair", Level.FAULT, "the host is running and would keep the "
                               "old data in memory", "stop it first: `sudo systemctl stop "
                               "branchq-host`, then run the repair again"))
        if _is_sqlite(url):
            _existing_sqlite(url)
        config = load_branch(branch_config)
        store = Store(url, config.branch.id)
        try:
            store.migrate()  # the quarantine table comes with revision 0004
            replayed = replay_log(store, config)
            if replayed.problem is None:
                report.add("Repair", Level.OK, f"the {replayed.events} events of branch "
                           f"{config.branch.id} replay; nothing to repair")
                return
            if out is None and _is_sqlite(url):
                out = sqlite_path(url).parent
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)  # a folder, never the copy's file name
            saved = _default_out(url, out, "branchq-before-repair")
            if not yes:
                click.confirm(f"Quarantine {replayed.problem}? The current data is first saved "
                              f"to {saved}", abort=True, err=True)
            backup_to(url, saved)
            quarantined = 0
            while replayed.problem is not None:
                if quarantined == MAX_QUARANTINED:
                    raise Stop(Finding("Repair", Level.FAULT, f"more than {MAX_QUARANTINED} "
                                       "events do not replay", RESTORE_HINT))
                quarantine(store, replayed.problem, datetime.now(UTC))
                quarantined += 1
                report.add("Event log", Level.WARNING, f"{replayed.problem}: quarantined",
                           "kept in the table quarantined_events with the reason",
                           seq=replayed.problem.seq)
                replayed = replay_log(store, config)
            rows = rewrite_ticket_rows(store, replayed.engine)
        except (StorageError, SQLAlchemyError) as err:
            raise Stop(Finding("Repair", Level.FAULT, f"cannot repair {display_db_url(url)}: "
                               f"{str(err).splitlines()[0]}", "check the URL and that the database server is "
                               "running")) from err
        finally:
            store.close()
        report.add("Repair", Level.OK, f"{quarantined} event(s) quarantined; the "
                   f"{replayed.events} others replay, {rows} ticket rows of today rewritten; "
                   f"the data before is in {saved}",
                   "start the host: `sudo systemctl start branchq-host`", saved=str(saved),
                   quarantined=quarantined)
