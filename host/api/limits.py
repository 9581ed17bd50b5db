"""Request limits as ASGI middleware: body and query size, kiosk ticket rate, failed logins.

They run before routing and before any JSON parsing, so a hostile client costs the host a
bounded amount of memory and at most one database lookup per guessed token until it is
slowed down. All state is in memory, per process: a restart forgets it, and with several
worker processes each keeps its own count (the limits then apply per worker).
"""

from __future__ import annotations

import math
import os
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from starlette.requests import ClientDisconnect, HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from branchq.host.api.errors import error_response
from branchq.host.api.events import presented_token
from branchq.host.auth import Role, TokenVerifier, hash_token

_TICKETS_PATH = "/api/v1/tickets"
_MAX_TRACKED = 10_000  # kiosks or client addresses kept in memory before the oldest are dropped


@dataclass(frozen=True)
class Limits:
    """The limits one host process enforces; 0 switches a rate limit off."""

    body_bytes: int = 64 * 1024
    query_bytes: int = 4 * 1024
    # Per kiosk token. A kiosk itself issues at most its ``tickets_per_minute`` (12 by
    # default); this stops a stolen kiosk token or a runaway client, not a busy morning.
    kiosk_tickets_per_minute: int = 60
    # Per client address: unknown or revoked tokens presented within ``window_s``.
    login_failures: int = 20
    window_s: float = 60.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Limits:
        """Deployment overrides, e.g. ``BRANCHQ_KIOSK_TICKETS_PER_MINUTE=0`` for a load test
        that plays many kiosks with one token."""
        overrides = {}
        for field, name in (("kiosk_tickets_per_minute", "BRANCHQ_KIOSK_TICKETS_PER_MINUTE"),
                            ("login_failures", "BRANCHQ_LOGIN_FAILURES")):
            text = environ.get(name)
            if text is not None:
                if not text.isdigit():
                    raise ValueError(f"{name} must be a whole number >= 0, not {text!r}")
                overrides[field] = int(text)
        return cls(**overrides)


class TokenBuckets:
    """One bucket per key holding up to ``per_minute`` tickets, refilled evenly over a minute."""

    def __init__(self, per_minute: int, clock: Callable[[], float]) -> None:
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (level, at)

    def _level(self, key: str) -> float:
        level, at = self._buckets.get(key, (self._capacity, self._clock()))
        return min(self._capacity, level + (self._clock() - at) * self._rate)

    def wait_s(self, key: str) -> float:
        """Seconds until ``key`` may go on (0 when it may now)."""
        level = self._level(key)
        return 0.0 if level >= 1 else (1 - level) / self._rate

    def take(self, key: str) -> None:
        if len(self._buckets) >= _MAX_TRACKED and key not in self._buckets:
            self._buckets.clear()
        self._buckets[key] = (self._level(key) - 1, self._clock())


class FailureWindow:
    """Failures per key in a sliding window; a key with ``limit`` of them is blocked until the
    oldest leaves the window."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float]) -> None:
        self._limit = limit
        self._window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def record(self, key: str) -> None:
        if len(self._failures) >= _MAX_TRACKED and key not in self._failures:
            self._failures.clear()
        self._failures.setdefault(key, deque(maxlen=self._limit)).append(self._clock())

    def wait_s(self, key: str) -> float:
        times = self._failures.get(key)
        if times is None or len(times) < self._limit:
            return 0.0
        return max(0.0, times[0] + self._window_s - self._clock())


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _reply(scope: Scope, receive: Receive, send: Send, status: int, error: str,
                 detail: str, retry_after_s: float | None = None) -> None:
    """The API's usual error body ``{error, detail}``, sent before the app sees the request."""
    response = error_response(status, error, detail)
    if retry_after_s is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(retry_after_s)))
    await response(scope, receive, send)


class RequestLimits:
    """The middleware: refuses oversized or too frequent requests with 413/414/429 JSON."""

    def __init__(self, app: ASGIApp, limits: Limits | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.limits = limits or Limits()
        per_minute, failures = self.limits.kiosk_tickets_per_minute, self.limits.login_failures
        self._issues = TokenBuckets(per_minute, clock) if per_minute else None
        self._failures = (FailureWindow(failures, self.limits.window_s, clock)
                          if failures else None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        token = presented_token(HTTPConnection(scope))
        refusal = self._refusal(scope, token)
        if refusal is not None:
            if scope["type"] == "websocket":  # refused before the handshake: HTTP 403
                await send({"type": "websocket.close", "code": 1008, "reason": refusal[2]})
            else:
                await _reply(scope, receive, send, *refusal)
            return
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            try:
                body = await self._read_body(receive)
            except ClientDisconnect:
                return  # nothing half-received reaches a route
            if body is None:
                await _reply(scope, receive, send, 413, "too_large",
                             f"the request body is over {self.limits.body_bytes} bytes")
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send if token is None else self._watch(scope, token, send))

    def _refusal(self, scope: Scope, token: str | None
                 ) -> tuple[int, str, str, float | None] | None:
        if len(scope.get("query_string", b"")) > self.limits.query_bytes:
            return (414, "uri_too_long",
                    f"the query string is over {self.limits.query_bytes} bytes", None)
        length = _content_length(scope)
        if length is not None and length > self.limits.body_bytes:
            return 413, "too_large", f"the request body is over {self.limits.body_bytes} bytes", None
        if token is not None and self._failures is not None:
            wait = self._failures.wait_s(_client(scope))
            # A blocked address may still use a token verified moments ago (a device behind the
            # same proxy as the attacker); any other token would cost a database lookup.
            if wait > 0 and self._verifier(scope).cached(token) is None:
                return 429, "rate_limited", "too many unknown tokens from this address", wait
        if self._issues is not None and token is not None and _issuing(scope):
            wait = self._issues.wait_s(hash_token(token))
            if wait > 0:
                return (429, "rate_limited",
                        f"this kiosk issued over {self.limits.kiosk_tickets_per_minute} tickets "
                        "in a minute", wait)
        return None

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it passes the limit (chunked uploads too);
        ClientDisconnect when the client leaves before it is complete."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                raise ClientDisconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limits.body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _watch(self, scope: Scope, token: str, send: Send) -> Send:
        """Count the outcome: a 401 (or WebSocket close 4401) for a presented token is a failed
        login; a kiosk's successful ticket takes one from its bucket."""
        issuing = _issuing(scope)

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                if status == 401 and self._failures is not None:
                    self._failures.record(_client(scope))
                elif issuing and self._issues is not None and 200 <= status < 300:
                    principal = self._verifier(scope).cached(token)
                    if principal is not None and principal.role is Role.KIOSK:
                        self._issues.take(hash_token(token))
            elif (message["type"] == "websocket.close" and message.get("code") == 4401
                  and self._failures is not None):
                self._failures.record(_client(scope))
            await send(message)

        return watched

    @staticmethod
    def _verifier(scope: Scope) -> TokenVerifier:
        verifier: TokenVerifier = scope["app"].state.verifier
        return verifier


def _issuing(scope: Scope) -> bool:
    return (scope["type"], scope.get("method"), scope.get("path")) == ("http", "POST", _TICKETS_PATH)


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _replay(body: bytes, receive: Receive) -> Receive:
    """Hand the app the body already read, then pass on whatever the server sends next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
