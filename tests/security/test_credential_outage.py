"""Credentials while the database is away: one verified before is still taken (the lobby and the
counters read from memory), an unknown one is a clear storage fault, never a 500 or a pass."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from branchq.host import auth
from branchq.host.auth import Role, TokenVerifier, create_token
from branchq.host.storage import StorageError, Store
from tests.host.hostproc import DEMO_BRANCH


class Outage:
    """A store whose database stops answering when told to."""

    def __init__(self, store: Store) -> None:
        self.store, self.down = store, False

    def find_token(self, digest: str) -> object:
        if self.down:
            raise OperationalError("SELECT", {}, ConnectionRefusedError("database is down"))
        return self.store.find_token(digest)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'b.db'}", DEMO_BRANCH)
    store.migrate()
    return store


def test_a_credential_verified_before_the_outage_is_still_taken(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    known = create_token(store, Role.MANAGER, "lobby", None)
    unknown = create_token(store, Role.DISPLAY, "hall", None)
    outage = Outage(store)
    verifier = TokenVerifier(outage)  # type: ignore[arg-type]
    monkeypatch.setattr(auth, "CACHE_SECONDS", 0.0)  # the positive cache lapses at once
    principal = verifier.verify(known)
    assert principal is not None and principal.role is Role.MANAGER

    outage.down = True
    time.sleep(0.01)
    assert verifier.cached(known) is None
    assert verifier.verify(known) == principal
    with pytest.raises(StorageError, match="database is unreachable"):
        verifier.verify(unknown)


def test_the_outage_grace_ends(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    known = create_token(store, Role.MANAGER, "lobby", None)
    outage = Outage(store)
    verifier = TokenVerifier(outage)  # type: ignore[arg-type]
    monkeypatch.setattr(auth, "CACHE_SECONDS", 0.0)
    monkeypatch.setattr(auth, "OUTAGE_GRACE_SECONDS", 0.0)
    verifier.verify(known)
    outage.down = True
    time.sleep(0.01)
    with pytest.raises(StorageError):
        verifier.verify(known)
