"""Host throughput and latency: ticket issue and call-next at 1 and 16 concurrent clients.

Starts the real host (uvicorn on 127.0.0.1) on SQLite, and on a private PostgreSQL when the server
binaries are installed. The load generator is a minimal keep-alive HTTP/1.1 client on asyncio
streams, so that on a 2-core machine most CPU goes to the host, not to the client.

Two measurements per operation:
- *max*: each client sends its next request as soon as the previous answer arrives (closed loop):
  the most the host can do; latency there is mostly time spent queueing behind other clients.
- *paced*: the 16 clients together offer a fixed rate (``--rate``, default 500/s, the goal for
  one branch server); latency there is what a kiosk or teller sees at that load.

    .venv/bin/python bench/host_bench.py [--requests 2000] [--rate 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from branchq.host.auth import Role
from branchq.host.storage import Store
from tests.host.hostproc import DEMO_BRANCH, LOAD_TEST_ENV, HostProcess
from tests.pg import start_private_server

SERVICES = ["cash", "noncash", "wealth"]
COUNTERS = [1, 2, 3, 4, 6]
Request = Callable[[int, int], tuple[str, dict[str, str] | None]]


class _Conn:
    """One keep-alive HTTP/1.1 connection, just enough for JSON POSTs."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: dict[str, str] | None) -> int:
        return (await self.exchange(path, body))[0]

    async def exchange(self, path: str, body: dict[str, str] | None,
                       token: str | None = None) -> tuple[int, bytes]:
        """POST with this connection's token (or ``token``): the status and the body."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        payload = json.dumps(body).encode() if body is not None else b""
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token or self.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _load(port: int, token: str, clients: int, total: int, request: Request,
                rate: float | None) -> tuple[list[float], float]:
    latencies: list[float] = []
    per_client = total // clients
    interval = clients / rate if rate else 0.0

    async def client(i: int) -> None:
        conn = _Conn(port, token)
        try:
            # One unmeasured request first: kiosks and counters keep their connection open
            # and their token verified, so connection set-up is not part of a request's latency.
            await conn.post(*request(i, -1))
            await asyncio.sleep(max(0.0, start - time.perf_counter()))
            for j in range(per_client):
                if interval:  # open loop: request j of client i is due at a fixed time
                    due = start + (j + i / clients) * interval
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                path, body = request(i, j)
                t0 = time.perf_counter()
                status = await conn.post(path, body)
                latencies.append(time.perf_counter() - t0)
                if status >= 400:
                    raise RuntimeError(f"{path}: HTTP {status}")
        finally:
            conn.close()

    start = time.perf_counter() + 0.2  # after every client's warm-up request
    await asyncio.gather(*(client(i) for i in range(clients)))
    return latencies, time.perf_counter() - start


def _row(name: str, mode: str, clients: int, lat: list[float], wall: float, steal: float) -> str:
    q = statistics.quantiles(lat, n=100)
    return (f"  {name:9s} {mode:11s} clients={clients:2d} {len(lat) / wall:6.0f} req/s  "
            f"p50 {q[49] * 1000:6.1f} ms  p99 {q[98] * 1000:6.1f} ms  n={len(lat)}  "
            f"steal {steal:3.0%}")


def _cpu_times() -> list[int]:
    """The machine's CPU time counters (``/proc/stat``: user nice system idle iowait irq
    softirq steal ...)."""
    return [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]


def _steal(before: list[int], after: list[int]) -> float:
    """Share of CPU time the hypervisor gave to other guests: on a shared virtual machine
    the figures of a run with much steal are not comparable with a quiet one."""
    delta = [b - a for a, b in zip(before, after, strict=True)]
    return delta[7] / max(1, sum(delta[:8]))


def _rss_mb(pid: int) -> tuple[float, float]:
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if ":" in line
    )
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def _issue(i: int, j: int) -> tuple[str, dict[str, str] | None]:
    return "/api/v1/tickets", {"service": SERVICES[(i + j) % len(SERVICES)]}


def _call(i: int, j: int) -> tuple[str, dict[str, str] | None]:
    return f"/api/v1/counters/{COUNTERS[(i + j) % len(COUNTERS)]}/call-next", None


def bench(label: str, db_url: str, requests: int, rate: float, workdir: Path) -> None:
    Store(db_url, DEMO_BRANCH).migrate()
    host = HostProcess(db_url, workdir / f"{label}.log", env=LOAD_TEST_ENV).start()
    try:
        tokens = {"issue": host.token(Role.KIOSK), "call-next": host.token(Role.MANAGER)}
        print(f"{label}:")
        for name, request in (("issue", _issue), ("call-next", _call)):
            for clients, mode, paced in ((1, "max", None), (16, "max", None),
                                         (16, f"paced {rate:.0f}/s", rate)):
                n = requests if clients == 16 else requests // 4
                before = _cpu_times()
                lat, wall = asyncio.run(_load(host.port, tokens[name], clients, n, request, paced))
                print(_row(name, mode, clients, lat, wall, _steal(before, _cpu_times())))
        assert host.proc is not None
        rss, peak = _rss_mb(host.proc.pid)
        print(f"  host resident memory: {rss:.0f} MB now, {peak:.0f} MB peak")
    finally:
        host.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--db", choices=("all", "sqlite", "postgresql"), default="all",
                        help="which databases to measure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if args.db in ("all", "sqlite"):
            bench("SQLite", f"sqlite:///{workdir / 'bench.db'}", args.requests, args.rate, workdir)
        if args.db == "sqlite":
            return
        pg = start_private_server()
        if pg is None:
            print("PostgreSQL: skipped (server binaries not installed)")
            return
        try:
            bench("PostgreSQL", pg.create_database("bench"), args.requests, args.rate, workdir)
        finally:
            pg.destroy()


if __name__ == "__main__":
    main()
