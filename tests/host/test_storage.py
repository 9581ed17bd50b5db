"""The storage layer's own guarantees, below the engine: the database itself refuses a second
ticket with the same number on the same day, and says so distinctly from an outage."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from branchq.host.config import load_config
from branchq.host.engine import QueueEngine
from branchq.host.insight.estimate import ProjectedWait
from branchq.host.storage import StorageRefused, Store


def test_the_database_refuses_a_duplicate_number_as_refused_not_unreachable(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'b.db'}", "demo")
    store.migrate()
    at = datetime(2026, 11, 13, 1, 0, tzinfo=UTC)
    for attempt, ticket_id in enumerate(("first-ticket-id", "second-ticket-id")):
        engine = QueueEngine(load_config(None), ProjectedWait())  # a fresh engine: it would number A001 again
        events = engine.issue(ticket_id=ticket_id, service="cash", at=at, actor="test")
        if attempt == 0:
            with store.write_transaction() as tx:
                tx.append(tx.prepare(events, engine.tickets))
        else:
            with pytest.raises(StorageRefused), store.write_transaction() as tx:
                tx.append(tx.prepare(events[-1:], engine.tickets))
    assert store.count_tickets(at.date()) == 1
    store.close()


def test_the_schema_head_the_host_checks_at_start_is_alembics_newest_revision() -> None:
    """A new migration must move ``migrations.HEAD`` too, or every host would start on a
    database it believes needs an upgrade (and an upgraded one it believes is current)."""
    from alembic.script import ScriptDirectory

    from branchq.host.storage import migrations

    folder = str(Path(migrations.__file__).parent)
    assert ScriptDirectory(folder).get_current_head() == migrations.HEAD


def test_a_start_on_an_up_to_date_database_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'branchq.db'}"
    first = Store(url, "demo")
    first.migrate()
    first.close()
    probe = ("import sys\nfrom branchq.host.storage import Store\n"
             f"s = Store({url!r}, 'demo'); s.migrate(); s.close()\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.strip() == "[]"
