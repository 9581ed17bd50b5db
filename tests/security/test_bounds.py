"""Protocol bounds of the real host (host/serving.py): request heads, WebSocket messages, clients
that stop reading, date parameters, and query strings kept out of the log."""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from branchq.host.api.events import SEND_STALL_S
from branchq.host.auth import Role
from branchq.host.serving import MAX_HEAD_BYTES, MAX_HEADERS, WS_MAX_BYTES, WS_PING_S
from tests.host.hostproc import HostProcess

MIB = 1024 * 1024


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _raw(host: HostProcess, request: bytes) -> bytes:
    """Send ``request`` in one write and read the answer until the host closes or 5 s pass."""
    with socket.create_connection(("127.0.0.1", host.port), timeout=5) as s:
        s.sendall(request)
        answer = b""
        try:
            while chunk := s.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and b"connection: close" not in answer.lower():
                    break
        except (ConnectionResetError, TimeoutError):
            pass
    return answer


def _stream_huge_header(port: int, size: int, sent: list[int]) -> None:
    """One header of ``size`` bytes, written 1 MiB at a time until the host stops taking it."""
    block = b"a" * MIB
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nx-big: ")
        total = 0
        try:
            while total < size:
                s.sendall(block)
                total += len(block)
        except OSError:
            pass  # the host closed the connection: what we want
        sent.append(total)


def test_eight_64_mib_headers_are_refused_without_growing_the_host(host: HostProcess) -> None:
    assert host.proc is not None
    before = _rss_mib(host.proc.pid)
    sent: list[int] = []
    threads = [threading.Thread(target=_stream_huge_header, args=(host.port, 64 * MIB, sent))
               for _ in range(8)]
    for t in threads:
        t.start()
    peak = before
    while any(t.is_alive() for t in threads):
        peak = max(peak, _rss_mib(host.proc.pid))
        time.sleep(0.05)
    assert len(sent) == 8 and max(sent) < 64 * MIB  # every connection was cut short
    assert peak - before < 24, f"RSS {before:.0f} -> peak {peak:.0f} MiB"
    with host.client() as c:
        assert c.get("/healthz").status_code == 200  # still serving


def test_a_head_over_the_limit_gets_431(host: HostProcess) -> None:
    big = b"x" * (MAX_HEAD_BYTES + 1024)
    answer = _raw(host, b"GET /healthz HTTP/1.1\r\nhost: a\r\nx-big: " + big + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"] == "headers_too_large"
    long_url = b"GET /healthz?" + b"q" * MAX_HEAD_BYTES + b" HTTP/1.1\r\nhost: a\r\n\r\n"
    assert _raw(host, long_url).startswith(b"HTTP/1.1 431 ")


def test_header_fields_are_counted(host: HostProcess) -> None:
    def request(fields: int) -> bytes:
        lines = b"".join(b"x-f%d: %d\r\n" % (i, i) for i in range(fields - 2))
        return b"GET /healthz HTTP/1.1\r\nhost: a\r\n" + lines + b"connection: close\r\n\r\n"

    assert _raw(host, request(MAX_HEADERS)).startswith(b"HTTP/1.1 200 ")
    refused = _raw(host, request(MAX_HEADERS + 1))
    assert refused.startswith(b"HTTP/1.1 431 "), refused[:200]
    assert str(MAX_HEADERS) in json.loads(refused.split(b"\r\n\r\n", 1)[1])["detail"]


def test_a_body_that_arrives_with_its_head_is_not_counted_as_head(host: HostProcess) -> None:
    """A 60 KiB body in the same write as its head: only the head is bounded."""
    token = host.token(Role.MANAGER).encode()
    body = b'{"service": "cash"' + b" " * (60 * 1024) + b"}"
    head = (b"POST /api/v1/tickets HTTP/1.1\r\nhost: a\r\nauthorization: Bearer " + token
            + b"\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n" % len(body))
    answer = _raw(host, head + body)
    assert answer.startswith(b"HTTP/1.1 201 "), answer[:300]


def test_websocket_messages_over_4_kib_close_the_connection(host: HostProcess) -> None:
    token = host.token(Role.DISPLAY)
    url = f"ws://127.0.0.1:{host.port}/api/v1/events"
    with connect(url, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        ws.send("x" * WS_MAX_BYTES)  # at the limit: taken (and ignored)
        ws.ping().wait(5)
    with connect(url, additional_headers={"Authorization": f"Bearer {token}"},
                 max_size=None) as ws:
        ws.send("x" * (WS_MAX_BYTES + 1))
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009  # message too big


def _server_side(port: int, client_port: int) -> tuple[str, int] | None:
    """(state, bytes queued to send) of the host's socket for this client, from /proc/net/tcp."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, queues = fields[1], fields[2], fields[3], fields[4]
        if int(local.split(":")[1], 16) == port and int(remote.split(":")[1], 16) == client_port:
            return state, int(queues.split(":")[0], 16)
    return None


def test_a_client_that_stops_reading_is_cut_off_at_tcp_level(host: HostProcess) -> None:
    """A hall screen that hangs: the host resets its WebSocket (it answers no keepalive ping)
    and nothing stays queued for it, neither in the host process nor in its kernel."""
    manager = host.token(Role.MANAGER)
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: small window
    client.connect(("127.0.0.1", host.port))
    key = base64.b64encode(os.urandom(16))
    client.sendall(b"GET /api/v1/events HTTP/1.1\r\nhost: 127.0.0.1\r\nupgrade: websocket\r\n"
                   b"connection: Upgrade\r\nsec-websocket-version: 13\r\n"
                   b"sec-websocket-key: " + key + b"\r\nauthorization: Bearer "
                   + manager.encode() + b"\r\n\r\n")
    assert client.recv(4096).startswith(b"HTTP/1.1 101 ")
    # From here on the client reads nothing. Each notice is an event of about 1 KB.
    queued = 0
    with host.client(manager) as c:
        for i in range(300):
            r = c.post("/api/v1/notices", json={"text_zh": f"{i} " + "通知" * 95,
                                                 "text_en": f"{i} " + "n" * 190})
            assert r.status_code == 201
            side = _server_side(host.port, client.getsockname()[1])
            if side is None:
                break
            queued = max(queued, side[1])
    assert queued > 100_000  # the events wait in the host's socket for a client that reads none
    deadline = time.monotonic() + 2 * WS_PING_S + SEND_STALL_S
    while _server_side(host.port, client.getsockname()[1]) is not None:
        assert time.monotonic() < deadline, "the host kept the connection of a client that reads nothing"
        time.sleep(0.2)
    with pytest.raises(ConnectionResetError):  # reset, not a polite close that waits to flush
        while client.recv(65536):
            pass
    client.close()
    with host.client(manager) as c:
        metrics = c.get("/metrics").text
    assert "branchq_event_subscribers 0" in metrics


@pytest.mark.parametrize("query", [
    "/api/v1/reports/day?date=9999-12-31", "/api/v1/reports/day?date=0001-01-01",
    "/api/v1/reports/day.csv?date=9999-12-31", "/api/v1/reports/day/chart.png?date=0001-01-01",
    "/api/v1/reports/month?month=9999-12", "/api/v1/reports/month?month=0001-01",
    "/api/v1/opinions?month=9999-12", "/api/v1/opinions/summary?month=0001-01",
    "/api/v1/reports/day?date=2026-02-30", "/api/v1/reports/month?month=2026-13",
])
def test_dates_outside_the_supported_years_get_422(host: HostProcess, query: str) -> None:
    with host.client(host.token(Role.MANAGER)) as c:
        r = c.get(query)
    assert (r.status_code, r.json()["error"]) == (422, "invalid_request"), r.text


def test_dates_at_the_edges_of_the_supported_years_answer(host: HostProcess) -> None:
    with host.client(host.token(Role.MANAGER)) as c:
        for query in ("/api/v1/reports/day?date=2000-01-01", "/api/v1/reports/day?date=2999-12-31",
                      "/api/v1/reports/month?month=2999-12", "/api/v1/opinions?month=2000-01"):
            assert c.get(query).status_code == 200, query


def test_websocket_query_strings_never_reach_the_log(host: HostProcess) -> None:
    secret = "bq_" + "S3cr3tT0k3n" * 4
    url = f"ws://127.0.0.1:{host.port}/api/v1/events?token={secret}&after=0"
    with connect(url) as ws, pytest.raises(ConnectionClosed):
        ws.recv(timeout=5)  # no credential in a header: closed with 4401
    deadline = time.monotonic() + 5
    log = ""
    while '"WebSocket /api/v1/events"' not in log and time.monotonic() < deadline:
        time.sleep(0.05)
        log = host.log_path.read_text(errors="replace")
    assert '"WebSocket /api/v1/events"' in log  # the handshake is logged ...
    assert secret not in log and "token=" not in log  # ... without its query string
