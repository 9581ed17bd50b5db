"""A webhook receiver on 127.0.0.1 for the tests: it checks the signature of every request the
host sends (docs/web.md, "Webhooks"), answers as the test tells it and records each attempt.

``/sms`` answers each delivery 500 ``sms_failures`` times and then 200; ``/wechat`` answers
``wechat_status``. :func:`branch_toml` configures the host's two webhooks to point at it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from branchq.host.config import example_config_text

SMS_SECRET = "sms-signing-secret-0123456789"
WECHAT_SECRET = "wechat-signing-secret-abcdefgh"
SMS_SECRET_ENV = "BRANCHQ_TEST_SMS_SECRET"


@dataclass
class Attempt:
    path: str
    delivery: str
    event: str
    body: dict[str, Any]
    answered: int
    at: float


@dataclass
class Receiver:
    """A webhook receiver: checks the signature of every request, records each attempt."""

    secrets: dict[str, bytes]
    attempts: list[Attempt] = field(default_factory=list)
    wechat_status: int = 503  # what /wechat answers
    sms_failures: int = 2  # how many times /sms answers 500 to each delivery before 200
    bad_signatures: int = 0
    port: int = 0  # where it listens (set by new_receiver)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, headers: Any, raw: bytes) -> int:
        stamp, signature = headers["X-Branchq-Timestamp"], headers["X-Branchq-Signature"]
        expected = "sha256=" + hmac.new(self.secrets[path], f"{stamp}.".encode() + raw,
                                        hashlib.sha256).hexdigest()
        fresh = abs(time.time() - int(stamp)) < 300
        body = json.loads(raw)
        delivery = headers["X-Branchq-Delivery"]
        with self.lock:
            if not hmac.compare_digest(expected, signature) or not fresh \
                    or body["delivery_id"] != delivery:
                self.bad_signatures += 1
                return 401
            if path == "/sms":
                earlier = sum(a.delivery == delivery for a in self.attempts)
                status = 500 if earlier < self.sms_failures else 200
            else:
                status = self.wechat_status
            self.attempts.append(Attempt(path, delivery, headers["X-Branchq-Event"], body, status,
                                         time.monotonic()))
            return status

    def of(self, path: str, kind: str | None = None) -> list[Attempt]:
        with self.lock:
            return [a for a in self.attempts if a.path == path and kind in (None, a.event)]


def serve(receiver: Receiver) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            status = receiver.answer(self.path, self.headers, raw)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def branch_toml(port: int, wechat_secret: Path, ahead: int = 2) -> str:
    """The example branch with ``[nudge] ahead`` and two ``[[webhooks]]``: "sms" (near turn and
    called; its secret in $BRANCHQ_TEST_SMS_SECRET) and "wechat" (called only; at most 3
    attempts; its secret in the file ``wechat_secret``, which this writes)."""
    wechat_secret.write_text(WECHAT_SECRET + "\n")
    text = example_config_text()
    assert "\nahead = 3\n" in text
    return text.replace("\nahead = 3\n", f"\nahead = {ahead}\n") + f"""
[[webhooks]]
name = "sms"
url = "http://127.0.0.1:{port}/sms"
secret_env = "{SMS_SECRET_ENV}"
events = ["ticket.near_turn", "ticket.called"]
timeout_s = 3
retry_base_s = 0.3
retry_max_s = 2

[[webhooks]]
name = "wechat"
url = "http://127.0.0.1:{port}/wechat"
secret_file = "{wechat_secret}"
events = ["ticket.called"]
timeout_s = 3
max_attempts = 3
retry_base_s = 0.1
retry_max_s = 0.2
"""


def new_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    """A receiver with the secrets of :func:`branch_toml`, serving on a free port."""
    receiver = Receiver({"/sms": SMS_SECRET.encode(), "/wechat": WECHAT_SECRET.encode()})
    server = serve(receiver)
    receiver.port = int(server.server_address[1])
    return receiver, server
