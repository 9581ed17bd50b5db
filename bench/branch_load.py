"""Load of many branches' peak on one host: kiosks issuing, counters calling, 100 hall displays.

Offers a fixed ticket rate (default 20/s: twenty branches at their pension-day peak) from N kiosk
clients, M counters calling at the same rate, and 100 WebSocket displays listening; prints issue
and call latency (p50/p99) and call-to-display latency (from the moment the teller's call request
is sent until each display receives the call event). Runs on SQLite (1 worker) and on a private
PostgreSQL with 1 and 4 workers.

    .venv/bin/python bench/branch_load.py [--seconds 20] [--rate 20] [--displays 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from branchq.drivers.platform.cli import BRANCHQ_COMMAND

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from branchq.host.auth import Role
from branchq.host.storage import Store
from tests.host.hostproc import DEMO_BRANCH, LOAD_TEST_ENV, HostProcess
from tests.pg import free_port, start_private_server

COUNTERS = [1, 2, 3, 4, 6]
SERVICES = ["cash", "noncash", "wealth"]


async def _paced(rate: float, seconds: float, action: object) -> list[float]:
    latencies: list[float] = []
    start = time.perf_counter()
    tasks = []
    for i in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(action(i, latencies)))  # type: ignore[operator]
    await asyncio.gather(*tasks)
    return latencies


async def run_load(base: str, kiosk_tokens: list[str], manager: str, display: str, rate: float,
                   seconds: float, displays: int) -> dict[str, list[float]]:
    pressed_at: dict[str, float] = {}  # label -> when the teller's call request was sent
    shown_at: list[tuple[str, float]] = []  # (label, when a display received the call)
    ws_base = base.replace("http://", "ws://") + "/api/v1/events"

    async def listen(ready: asyncio.Event, stop: asyncio.Event) -> None:
        async with connect(ws_base, subprotocols=["branchq", display], open_timeout=30,
                           max_queue=None) as ws:
            ready.set()
            while not stop.is_set():
                try:
                    message = await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    continue
                if '"ticket_called"' in message:  # parse only what is measured: the client
                    event = json.loads(message)    # must not be the bottleneck
                    shown_at.append((event["data"]["label"], time.perf_counter()))

    stop = asyncio.Event()
    readies = [asyncio.Event() for _ in range(displays)]
    listeners = [asyncio.create_task(listen(r, stop)) for r in readies]
    await asyncio.gather(*(r.wait() for r in readies))
    kiosks = len(kiosk_tokens)  # each kiosk has its own credential, as in a branch
    kiosk_clients = [httpx.AsyncClient(base_url=base, timeout=30,
                                       headers={"Authorization": f"Bearer {token}"})
                     for token in kiosk_tokens]
    counter_client = httpx.AsyncClient(base_url=base, timeout=30,
                                       headers={"Authorization": f"Bearer {manager}"})

    async def issue(i: int, lat: list[float]) -> None:
        t0 = time.perf_counter()
        r = await kiosk_clients[i % kiosks].post("/api/v1/tickets",
                                                 json={"service": SERVICES[i % len(SERVICES)]})
        lat.append(time.perf_counter() - t0)
        r.raise_for_status()

    async def call(i: int, lat: list[float]) -> None:
        t0 = time.perf_counter()
        r = await counter_client.post(f"/api/v1/counters/{COUNTERS[i % len(COUNTERS)]}/call-next")
        lat.append(time.perf_counter() - t0)
        if r.status_code == 200:
            pressed_at[r.json()["ticket"]["number"]] = t0

    issue_lat, call_lat = await asyncio.gather(
        _paced(rate, seconds, issue), _paced(rate, seconds, call))
    await asyncio.sleep(1.0)
    stop.set()
    await asyncio.gather(*listeners)
    for client in (*kiosk_clients, counter_client):
        await client.aclose()
    # From the teller's press to each display: the event can even beat the HTTP answer.
    to_display = [t - pressed_at[label] for label, t in shown_at if label in pressed_at]
    return {"issue": issue_lat, "call": call_lat, "call-to-display": to_display}


def _report(label: str, results: dict[str, list[float]], seconds: float) -> None:
    print(f"{label}:")
    for name, values in results.items():
        if len(values) < 2:
            print(f"  {name:16s} n={len(values)}")
            continue
        q = statistics.quantiles(values, n=100)
        rate = f"{len(values) / seconds:6.1f}/s" if name != "call-to-display" else "        "
        print(f"  {name:16s} {rate}  p50 {q[49] * 1000:7.1f} ms  p99 {q[98] * 1000:7.1f} ms  "
              f"n={len(values)}")


def bench(label: str, url: str, workers: int, args: argparse.Namespace, tmp: Path) -> None:
    Store(url, DEMO_BRANCH).migrate()
    port = free_port()
    host = HostProcess(url, tmp / f"{label}.log", port=port, env=LOAD_TEST_ENV)
    if workers == 1:
        host.start()
        proc = None
    else:
        proc = subprocess.Popen(
            [*BRANCHQ_COMMAND, "host", "run", "--demo-branch",
             "--db", url, "--port", str(port), "--workers", str(workers)],
            stdout=(tmp / f"{label}.log").open("w"), stderr=subprocess.STDOUT,
            env={**os.environ, **LOAD_TEST_ENV})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{host.base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
    try:
        kiosk_tokens = [host.token(Role.KIOSK, name=f"kiosk {i}") for i in range(args.kiosks)]
        results = asyncio.run(run_load(
            host.base, kiosk_tokens, host.token(Role.MANAGER), host.token(Role.DISPLAY),
            args.rate, args.seconds, args.displays))
        _report(f"{label} ({args.rate:.0f} tickets/s, {args.displays} displays, "
                f"{args.kiosks} kiosks)", results, args.seconds)
    finally:
        host.kill()
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--displays", type=int, default=100)
    parser.add_argument("--kiosks", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        bench("SQLite, 1 worker", f"sqlite:///{tmp / 'load.db'}", 1, args, tmp)
        pg = start_private_server()
        if pg is None:
            print("PostgreSQL: skipped (server binaries not installed)")
            return
        try:
            for workers in (1, 4):
                bench(f"PostgreSQL, {workers} worker(s)", pg.create_database(f"load{workers}"),
                      workers, args, tmp)
        finally:
            pg.destroy()


if __name__ == "__main__":
    main()
