"""The writer's direct statements store what SQLAlchemy itself would, and fail like it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from branchq.host.storage import Store
from branchq.host.storage.tables import events


def _row(branch: str, seq: int, at: datetime) -> dict[str, object]:
    return {"branch": branch, "seq": seq, "kind": "ticket_issued", "at": at, "actor": "kiosk:k",
            "ticket_id": "t1", "counter": None, "data": {"label": "A001", "zh": "现金"}}


def test_rows_read_back_the_same_as_rows_sqlalchemy_wrote(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'b.db'}", "b1")
    store.migrate()
    at = datetime(2026, 11, 13, 9, 0, 5, 123456, tzinfo=timezone(timedelta(hours=8)))
    with store.engine.begin() as conn:
        conn.execute(insert(events), [_row("b1", 1, at)])
        store.direct.execute_many(conn, insert(events), [_row("b1", 2, at)])
    with store.engine.connect() as conn:
        stored = conn.execute(select(events).order_by(events.c.seq)).all()
        raw = conn.exec_driver_sql("SELECT at, data FROM events ORDER BY seq").all()
    one, two = (r._asdict() for r in stored)
    assert {**one, "seq": 2} == two
    assert two["at"] == at.astimezone(UTC) and two["data"]["zh"] == "现金"
    assert raw[0] == raw[1]  # the same bytes in the file, not just the same values read back


def test_a_constraint_violation_is_sqlalchemys_integrity_error(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'b.db'}", "b1")
    store.migrate()
    at = datetime(2026, 11, 13, 1, tzinfo=UTC)
    with store.engine.begin() as conn, pytest.raises(IntegrityError):
        store.direct.execute_many(conn, insert(events), [_row("b1", 1, at), _row("b1", 1, at)])
