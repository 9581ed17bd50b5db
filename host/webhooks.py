"""Outbound webhooks for an SMS or WeChat gateway, and the phone numbers they may carry.

docs/web.md, "Webhooks", is the receiver's side: payload, headers, signature, retries and the
guarantee. Here:

- **Planning** (:meth:`Webhooks.plan`) runs in the writer thread under the engine lock, after a
  batch's events are applied: a ``ticket.called`` per call, and a ``ticket.near_turn`` the first
  time a waiting ticket has at most ``[nudge] ahead`` people before it. The rows are written to
  the outbox in the batch's own transaction (:meth:`Webhooks.enqueue`), so a crash neither loses
  a delivery of a committed event nor invents one for an event that never committed.
- **Sending**: one thread per webhook (a slow receiver holds up only its own deliveries) claims
  due rows, signs and POSTs them, and marks each delivered (2xx: never sent again), due again
  after a backoff with jitter (timeouts, connection errors, 408, 429, 5xx), or dead (other
  answers, or ``max_attempts`` used up): the lobby dashboard lists dead letters with a retry.
- **Phone numbers** are read from ``ticket_contacts`` when a delivery is sent (never stored in
  the outbox, an event or a log line) and erased when their business day ends
  (:meth:`Webhooks.housekeeping`, from the service's housekeeping thread; docs/security.md §7).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from itertools import chain
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from branchq.host.api.views import status_url
from branchq.host.config import BranchConfig, WebhookConfig
from branchq.host.engine import Event, QueueEngine, TicketStatus
from branchq.host.engine.events import DAY_OPENED, TICKET_CALLED
from branchq.host.storage import StorageError, Store
from branchq.host.storage.outbox import ContactBook, Delivery, Outbox, Planned

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("branchq.webhooks")

NEAR_TURN = "ticket.near_turn"
CALLED = "ticket.called"
POLL_S = 1.0  # how long a sender sleeps at most between looks at the outbox
CLAIM_MARGIN_S = 5.0  # a claimed delivery is held this much past its send's timeout
RETRIED_STATUSES = frozenset({408, 429})
USER_AGENT = "branchq-webhooks/1"
KEEP_DELIVERED = timedelta(days=7)  # done deliveries are kept this long (for support)


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """``X-Branchq-Signature``: HMAC-SHA256 of ``TIMESTAMP.BODY`` with the webhook's secret."""
    mac = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def backoff_s(hook: WebhookConfig, attempt: int, rng: random.Random) -> float:
    """The wait after failed attempt ``attempt`` (1, 2, ...): between half and all of
    ``min(retry_max_s, retry_base_s * 2**(attempt-1))``, so receivers that failed together do
    not all come back at the same instant."""
    ceiling = min(hook.retry_max_s, hook.retry_base_s * 2 ** min(attempt - 1, 30))
    return rng.uniform(ceiling / 2, ceiling)


class Webhooks:
    """The webhooks of one branch service, and the phone numbers on file for its tickets."""

    def __init__(self, config: BranchConfig, store: Store,
                 clock: Callable[[], datetime]) -> None:
        self.config = config
        self.clock = clock
        self.outbox = Outbox(store)
        self.contacts = ContactBook(store)
        self._near_hooks = [w.name for w in config.webhooks if NEAR_TURN in w.events]
        self._called_hooks = [w.name for w in config.webhooks if CALLED in w.events]
        # Tickets whose near_turn is in the outbox (committed). After a restart it is empty and
        # the outbox's unique (webhook, event) key keeps a nudge from being written twice.
        self._nudged: set[str] = set()
        self._senders = [_Sender(self, hook) for hook in config.webhooks]
        self._contacts_day: date | None = None  # the day whose predecessors are erased

    # ------------------------------------------------------------------ the writer's part
    def plan(self, engine: QueueEngine, events: list[Event], now: datetime) -> list[Planned]:
        """The deliveries a batch's stored (seq-numbered) events cause; no I/O."""
        if not events or not (self._near_hooks or self._called_hooks):
            return []
        if any(e.kind == DAY_OPENED for e in events):
            self._nudged.clear()  # yesterday's tickets left the engine
        planned: list[Planned] = []
        for e in events:
            if e.kind == TICKET_CALLED and e.ticket_id is not None and self._called_hooks:
                planned += self._deliveries(engine, CALLED, f"called:{e.seq}", e, e.ticket_id,
                                            e.counter, None)
        if self._near_hooks:
            cause = events[-1]
            limit = self.config.nudge.ahead
            # Remote tickets not yet confirmed wait outside the queues, keeping their place:
            # the nudge that tells their customer to come in matters most of all.
            waiting = chain(*engine.queues.values(), engine.remote_pending.values())
            for ticket in waiting:
                if ticket.id in self._nudged or ticket.status is not TicketStatus.WAITING:
                    continue
                ahead = engine.people_ahead(ticket, now)
                if ahead <= limit:
                    planned += self._deliveries(engine, NEAR_TURN, f"near_turn:{ticket.id}",
                                                cause, ticket.id, None, ahead)
        return planned

    def _deliveries(self, engine: QueueEngine, kind: str, key: str, cause: Event,
                    ticket_id: str, counter: int | None, ahead: int | None) -> list[Planned]:
        ticket = engine.tickets[ticket_id]
        branch = self.config.branch.id
        payload = {
            "event_id": f"{branch}:{key}", "type": kind, "branch": branch,
            "occurred_at": cause.at.isoformat(),
            "ticket": {"number": ticket.label, "service": ticket.service,
                       "status_url": status_url(self.config, ticket_id)},
            "counter": counter, "people_ahead": ahead,
        }
        hooks = self._near_hooks if kind == NEAR_TURN else self._called_hooks
        return [Planned(name, key, kind, ticket_id, payload) for name in hooks]

    def enqueue(self, conn: Connection, planned: list[Planned], at: datetime) -> None:
        """Write ``planned`` in the batch's transaction (the writer's connection)."""
        self.outbox.enqueue(conn, planned, at)

    def committed(self, planned: list[Planned]) -> None:
        """The batch that planned these committed: remember its nudges, wake the senders."""
        if not planned:
            return
        self._nudged.update(p.ticket_id for p in planned
                            if p.event_type == NEAR_TURN and p.ticket_id is not None)
        names = {p.webhook for p in planned}
        for sender in self._senders:
            if sender.hook.name in names:
                sender.wake.set()

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        for sender in self._senders:
            sender.start()

    def stop(self) -> None:
        for sender in self._senders:
            sender.stop()

    def wake(self, webhook: str) -> None:
        """Look at the outbox of ``webhook`` now (a dead letter was put back)."""
        for sender in self._senders:
            if sender.hook.name == webhook:
                sender.wake.set()

    def housekeeping(self, now: datetime) -> None:
        """Erase the phone numbers of business days that have ended, and forget deliveries
        done a week ago (once a day, and at start for the days the host was down)."""
        today = now.astimezone(self.config.branch.tz).date()
        if self._contacts_day == today:
            return
        try:
            erased = self.contacts.erase_before(today)
            purged = self.outbox.purge_delivered(now - KEEP_DELIVERED)
        except StorageError as err:
            log.warning("phone numbers of earlier days not erased yet (%s); trying again", err)
            return
        self._contacts_day = today
        if erased or purged:
            log.info("erased %d phone number(s) of business days before %s; forgot %d "
                     "delivered webhook(s)", erased, today, purged)

    # ------------------------------------------------------------------ sending
    def body(self, delivery: Delivery) -> bytes:
        """The JSON sent for ``delivery``: its payload, its id and the phone now on file."""
        phone = self.contacts.phone(delivery.ticket_id) if delivery.ticket_id else None
        document = {**delivery.payload, "delivery_id": delivery.id, "phone": phone}
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"),
                          sort_keys=True).encode("utf-8")


class _Sender:
    """The thread that sends one webhook's deliveries, oldest first."""

    def __init__(self, owner: Webhooks, hook: WebhookConfig) -> None:
        self.owner = owner
        self.hook = hook
        self.wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._rng = random.Random()

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=f"branchq-webhook-{self.hook.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.hook.timeout_s + 5)
            self._thread = None

    def _run(self) -> None:
        import httpx  # a host without webhooks never needs an HTTP client

        with httpx.Client(timeout=self.hook.timeout_s, follow_redirects=False,
                          trust_env=False, headers={"User-Agent": USER_AGENT}) as client:
            while not self._stopping.is_set():
                self.wake.clear()
                pause = POLL_S
                try:
                    self._send_due(client)
                    upcoming = self.owner.outbox.next_due(self.hook.name)
                    if upcoming is not None:
                        pause = min(POLL_S, (upcoming - self.owner.clock()).total_seconds())
                except StorageError as err:
                    log.warning("webhook %s: %s; trying again in %.0f s", self.hook.name, err,
                                POLL_S)
                except Exception:  # the sender must outlive any one delivery's surprise
                    log.exception("webhook %s: sending failed; trying again in %.0f s",
                                  self.hook.name, POLL_S)
                if pause > 0:
                    self.wake.wait(pause)

    def _send_due(self, client: httpx.Client) -> None:
        outbox = self.owner.outbox
        for delivery in outbox.due(self.hook.name, self.owner.clock()):
            if self._stopping.is_set():
                return
            held = self.owner.clock() + timedelta(seconds=self.hook.timeout_s + CLAIM_MARGIN_S)
            if not outbox.claim(delivery, held):
                continue  # another host process took it
            attempt = delivery.attempts + 1
            error, retry_after = self._post(client, delivery)
            now = self.owner.clock()
            if error is None:
                outbox.delivered(delivery.id, now)
                log.info("webhook %s: %s delivery %s delivered (attempt %d)", self.hook.name,
                         delivery.event_type, delivery.id, attempt)
                continue
            retried = retry_after is not None and attempt < self.hook.max_attempts
            if retried:
                wait = max(backoff_s(self.hook, attempt, self._rng), retry_after or 0.0)
                outbox.failed(delivery.id, error, now + timedelta(seconds=wait))
                log.warning("webhook %s: delivery %s failed (%s), attempt %d of %d; again in "
                            "%.1f s", self.hook.name, delivery.id, error, attempt,
                            self.hook.max_attempts, wait)
            else:
                outbox.failed(delivery.id, error, None)
                log.error("webhook %s: delivery %s failed (%s) after %d attempt(s): a dead "
                          "letter (the lobby dashboard can retry it)", self.hook.name,
                          delivery.id, error, attempt)

    def _post(self, client: httpx.Client, delivery: Delivery) -> tuple[str | None, float | None]:
        """Send once: (None, None) when delivered, else (what went wrong, the least wait
        before a retry; None: not to be retried)."""
        body = self.owner.body(delivery)
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Branchq-Delivery": delivery.id,
            "X-Branchq-Event": delivery.event_type,
            "X-Branchq-Timestamp": stamp,
            "X-Branchq-Signature": sign(self.hook.secret, stamp, body),
        }
        import httpx

        try:
            answer = client.post(self.hook.url, content=body, headers=headers)
        except httpx.TimeoutException:
            return "timeout", 0.0
        except httpx.HTTPError as err:
            return f"no connection ({type(err).__name__})", 0.0
        status = answer.status_code
        if 200 <= status < 300:
            return None, None
        if status >= 500 or status in RETRIED_STATUSES:
            return f"HTTP {status}", _retry_after(answer, self.hook.retry_max_s)
        return f"HTTP {status} (not retried)", None


def _retry_after(answer: httpx.Response, ceiling: float) -> float:
    """A receiver's ``Retry-After`` in seconds (0 when absent or a date), at most ``ceiling``."""
    value = answer.headers.get("retry-after", "")
    return min(float(value), ceiling) if value.isdigit() else 0.0
