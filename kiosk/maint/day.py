"""``branchq maint day close``: end of the business day at the branch.

Writes the daily work log (``branchq.host.insight.worklog.write_daily_log``: figures, chart, equipment
checks, opinion book) and checks the day is ready to end: tickets still open are named (they
expire when the next business day opens) and numbering restarts at 001 with the first ticket of
the next day, which the host does by itself when the branch's date changes.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from branchq.kiosk.maint.options import (
    branch_config_option,
    db_option,
    display_db_url,
    json_option,
    load_branch,
    require_db_url,
)
from branchq.kiosk.maint.report import Finding, Level, Stop, plural, reporting

OPEN_STATES = ("waiting", "called", "printing")


@click.group()
def day() -> None:
    """The business day.

    \b
    Example:
      branchq maint day close
    """


@day.command()
@click.option("--day", "day_", type=click.DateTime(["%Y-%m-%d"]),
              help="Business day to close (default: today in the branch's time zone).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("/var/lib/branchq/reports"), show_default=True,
              help="Folder for the daily work log.")
@branch_config_option
@db_option
@json_option
def close(day_: datetime | None, out: Path, branch_config: str | None, db_url: str | None,
          as_json: bool) -> None:
    """Write the day's work log and check the day can end (open tickets, numbering).

    \b
    Example:
      branchq maint day close --out /srv/branchq/worklogs
    """
    from sqlalchemy import func, select
    from sqlalchemy.exc import SQLAlchemyError

    from branchq.host.insight.worklog import write_daily_log
    from branchq.host.storage import Store
    from branchq.host.storage.tables import tickets

    url = require_db_url(db_url)
    with reporting("Close business day", as_json) as report:
        config = load_branch(branch_config)
        business_day: date = (day_.date() if day_ else
                              datetime.now(config.branch.tz).date())
        store = Store(url, config.branch.id)
        try:
            try:
                out.mkdir(parents=True, exist_ok=True)
                path = write_daily_log(store, config, business_day, out)
            except OSError as err:
                raise Stop(Finding("Work log", Level.FAULT, f"cannot write into {out}: "
                                   f"{err.strerror}", "give a writable folder with --out, or "
                                   "check the disk space (`df -h`)")) from err
            with store.engine.connect() as conn:
                counts: dict[str, int] = {status: count for status, count in conn.execute(
                    select(tickets.c.status, func.count())
                    .where(tickets.c.branch == config.branch.id,
                           tickets.c.business_day == business_day)
                    .group_by(tickets.c.status)).all()}
        except SQLAlchemyError as err:
            raise Stop(Finding("Database", Level.FAULT, f"cannot read {display_db_url(url)}: "
                               f"{str(err).splitlines()[0]}",
                               "check the URL and run `branchq maint db check`")) from err
        finally:
            store.close()
        issued = sum(counts.values())
        report.data.update(day=business_day.isoformat(), report=str(path), tickets=counts)
        report.add("Work log", Level.OK, f"{business_day} written to {path} ({plural(issued, 'ticket')})",
                   "print it or file it with the day's records", file=str(path))
        still_open = {s: counts[s] for s in OPEN_STATES if counts.get(s)}
        if still_open:
            listed = ", ".join(f"{n} {s}" for s, n in still_open.items())
            report.add("Tickets", Level.WARNING, f"still open: {listed}",
                       "serve or mark no-show the customers still in the hall; open tickets "
                       "become 'expired' when the next business day opens")
        report.add("Numbering", Level.OK, "restarts at 001 with the first ticket of the next "
                   "business day (automatic at the date change in "
                   f"{config.branch.timezone})")
