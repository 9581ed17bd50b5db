"""API credentials: bearer tokens with a role, stored as SHA-256 hashes.

Tokens are 256-bit random strings, so a plain SHA-256 (no salt, no slow KDF) is enough to make a
stolen database useless for forging requests, and it lets a request be verified with one indexed
lookup. Verified tokens are cached for a few seconds; a revocation takes effect within that time.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.exc import SQLAlchemyError

from branchq.host.service import utcnow
from branchq.host.storage import StorageError, Store

TOKEN_PREFIX = "bq_"
CACHE_SECONDS = 5.0
#: How long after its cache entry lapsed a credential is still taken while the database is down.
OUTAGE_GRACE_SECONDS = 600.0


class Role(StrEnum):
    KIOSK = "kiosk"
    DISPLAY = "display"
    TELLER = "teller"
    MANAGER = "manager"
    TECHNICIAN = "technician"
    ADMIN = "admin"
    # The kiosk's caller-keypad gateway: acts only for the counters on its keypad bus.
    KEYPAD_GATEWAY = "keypad-gateway"
    # The bank's app backend: books appointments and takes remote tickets for its customers,
    # sees nothing else (docs/web.md, "Appointments and remote tickets").
    BOOKING = "booking"
    # Reads every branch of a region host, changes nothing (docs/deploy.md, region).
    REGION_MANAGER = "region-manager"


#: The pseudo-branch a region-wide credential is stored under: not a valid branch id
#: (``[branch] id`` is ``[a-z0-9-]``), so no branch host ever finds it.
REGION_WIDE = "*"


# Roles that may act for any counter (a teller acts only for the counter on its token).
COUNTER_SUPERVISORS = frozenset({Role.MANAGER, Role.ADMIN})


@dataclass(frozen=True)
class Principal:
    token_id: int
    name: str
    role: Role
    counter: int | None
    counters: frozenset[int] = frozenset()
    # The branch the credential belongs to (a region host; None: the region-wide role).
    branch: str | None = None

    @property
    def actor(self) -> str:
        """How this credential appears in the event log (who did it)."""
        return f"{self.role.value}:{self.name}"[:80]

    def may_act_for(self, counter: int) -> bool:
        return (
            self.role in COUNTER_SUPERVISORS
            or (self.role is Role.TELLER and self.counter == counter)
            or (self.role is Role.KEYPAD_GATEWAY and counter in self.counters)
        )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class TokenVerifier:
    """Looks a presented token up by its hash, with a short positive cache."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def cached(self, token: str) -> Principal | None:
        """The principal if this token was verified in the last few seconds (no I/O)."""
        with self._lock:
            hit = self._cache.get(hash_token(token))
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def verify(self, token: str) -> Principal | None:
        """Look the token up in the database (blocking)."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
            return None
        digest = hash_token(token)
        now = time.monotonic()
        try:
            principal = self._lookup(digest)
        except SQLAlchemyError as err:
            # While the database is away a credential verified before stays good (it could not be
            # revoked meanwhile either): the lobby and the counters keep reading from memory.
            with self._lock:
                known = self._cache.get(digest)
            if known is not None and known[0] + OUTAGE_GRACE_SECONDS > now:
                return known[1]
            raise StorageError("cannot check the credential: the database is unreachable") from err
        if principal is None:
            return None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now + CACHE_SECONDS, principal)
        return principal


    def _lookup(self, digest: str) -> Principal | None:
        row = self._store.find_token(digest)
        if row is None:
            return None
        return Principal(row.id, row.name, Role(row.role), row.counter, frozenset(row.counters))


class RegionVerifier(TokenVerifier):
    """A region host's verifier: a token of any branch, which it then belongs to."""

    def _lookup(self, digest: str) -> Principal | None:
        found = self._store.find_token_any_branch(digest)
        if found is None:
            return None
        branch, row = found
        return Principal(row.id, row.name, Role(row.role), row.counter, frozenset(row.counters),
                         None if branch == REGION_WIDE else branch)


def create_token(store: Store, role: Role, name: str, counter: int | None,
                 counters: tuple[int, ...] = ()) -> str:
    """Create a credential and return the token (shown once; only its hash is stored)."""
    if role is Role.TELLER and counter is None:
        raise ValueError("a teller token needs --counter")
    if role is not Role.TELLER and counter is not None:
        raise ValueError("only a teller token is bound to a counter")
    if (role is Role.KEYPAD_GATEWAY) != bool(counters):
        raise ValueError("a keypad-gateway token needs --counters (and only it takes them)")
    if (role is Role.REGION_MANAGER) != (store.branch == REGION_WIDE):
        raise ValueError("a region-manager token belongs to the whole region (--region, no --config), "
                         "and every other token to one branch")
    token = new_token()
    store.add_token(name, role.value, counter, hash_token(token), utcnow(), counters)
    return token
