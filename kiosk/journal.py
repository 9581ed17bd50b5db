"""The kiosk's durable memory: offline number leases and every ticket not yet settled with the host.

Written atomically (temporary file, fsync, rename, fsync of the folder) before the kiosk acts on
it, so a kiosk killed at any instant restarts knowing which numbers it holds, which tickets it
issued offline and must report, and which print it was in the middle of.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from branchq.drivers.platform.files import atomic_write

TicketState = Literal["requested", "issued", "printed", "failed", "voided", "reported"]


@dataclass
class LeaseBlock:
    """Numbers ``next..last`` of one service, leased for one business day."""

    day: str
    prefix: str
    next: int
    last: int

    @property
    def left(self) -> int:
        return max(0, self.last - self.next + 1)


@dataclass
class PendingTicket:
    """A ticket between the tap and its settlement with the host.

    ``online`` tickets: requested -> issued (host answered) -> printed (host told) or voided.
    ``offline`` tickets: issued from a lease -> printed -> reported (host accepted it).
    """

    client_ref: str
    mode: Literal["online", "offline"]
    service: str
    priority: str
    state: TicketState
    issued_at: str
    ticket_id: str | None = None
    number: int | None = None
    label: str | None = None
    # Online: the host was told "printed" but has not answered yet (retry on restart).
    confirm_pending: bool = False
    # A check-in: the code while the host's answer is awaited (a retry must bring the same
    # code), the appointment it was for, and the slot the ticket says ("10:15"; "" for a late
    # walk-in).
    code: str | None = None
    appointment_id: str | None = None
    slot: str = ""

    @property
    def settled(self) -> bool:
        if self.state in ("voided", "reported"):
            return True
        return self.mode == "online" and self.state == "printed" and not self.confirm_pending


@dataclass
class PendingHelp:
    """The customer's call for help, from the press until the lobby manager closes it.

    ``queued``: not yet taken by the host (it is sent again at every sync, with its reference
    and the time of the press); ``told``: the host has it (``alert_id``); ``acknowledged``: a
    manager is on the way."""

    client_ref: str
    screen: str
    requested_at: str
    state: Literal["queued", "told", "acknowledged"] = "queued"
    alert_id: str | None = None


@dataclass
class JournalData:
    leases: dict[str, LeaseBlock] = field(default_factory=dict)
    pending: list[PendingTicket] = field(default_factory=list)
    branch: dict[str, Any] = field(default_factory=dict)  # branch facts for an offline start
    # Today's appointments for an offline check-in (kiosk/appointments.py), kept with the facts.
    appointments: dict[str, Any] = field(default_factory=dict)
    last_event_seq: int = 0  # the host event stream resumes after this
    help: PendingHelp | None = None  # the open call for help (one at a time: no spam)


class Journal:
    """Load, change and save the journal; every change is on disk when the call returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.data = self._load()

    def _load(self) -> JournalData:
        try:
            raw: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return JournalData()
        return JournalData(
            leases={k: LeaseBlock(**v) for k, v in raw.get("leases", {}).items()},
            pending=[PendingTicket(**p) for p in raw.get("pending", [])],
            branch=raw.get("branch", {}),
            appointments=raw.get("appointments", {}),
            last_event_seq=int(raw.get("last_event_seq", 0)),
            help=PendingHelp(**raw["help"]) if raw.get("help") else None,
        )

    def save(self) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            payload = json.dumps(asdict(self.data), ensure_ascii=False, indent=1)
            atomic_write(self.path, payload.encode("utf-8"))

    @staticmethod
    def new_ref(kiosk: str) -> str:
        """A fresh client reference: 96 random bits, so no one can guess another's (it is kept
        in the journal with its pending ticket before the host sees it)."""
        return f"{kiosk}-{secrets.token_urlsafe(12)}"

    def add(self, ticket: PendingTicket) -> None:
        self.data.pending.append(ticket)
        self.save()

    def update(self, ticket: PendingTicket, **changes: Any) -> None:
        """Change a pending ticket; once settled with the host it leaves the journal."""
        for key, value in changes.items():
            setattr(ticket, key, value)
        if ticket.settled:
            self.data.pending = [t for t in self.data.pending if t is not ticket]
        self.save()

    def set_help(self, help_call: PendingHelp | None) -> None:
        """Keep (or, with None, forget) the open call for help; on disk when this returns."""
        self.data.help = help_call
        self.save()

    def unsettled(self) -> list[PendingTicket]:
        return list(self.data.pending)

    def take_offline_number(self, service: str, day: str) -> tuple[int, str] | None:
        """The next leased number for ``service`` today (saved as used), or None."""
        block = self.data.leases.get(service)
        if block is None or block.day != day or block.left == 0:
            return None
        number = block.next
        block.next += 1
        self.save()
        return number, block.prefix

    def set_lease(self, service: str, block: LeaseBlock) -> None:
        self.data.leases[service] = block
        self.save()

    def numbers_left(self, day: str) -> dict[str, int]:
        return {k: b.left for k, b in self.data.leases.items() if b.day == day}
