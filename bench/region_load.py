"""Region load: many branches with pension-day traffic on two region host processes.

Starts a private PostgreSQL and two ``branchq host run --region`` processes serving the same
branches (the example branch under ids b000, b001, ...), as two hosts behind a proxy would: each
request goes to either process. Then, from one asyncio loop (httpx for the API, websockets for
the screens):

- every branch is loaded in both processes, and their resident memory with none and with every
  branch resident gives the cost of an idle branch;
- ``--subscribers`` hall screens (display credentials, WebSocket ``/api/v1/events``) spread
  evenly over the branches and the two processes;
- for ``--seconds``, Poisson arrivals of ``--rate`` tickets a second in all (pension day: mostly
  cash, one in five a senior's green-channel ticket), and counters calling the next customer at
  about the same rate, each call going to a branch in proportion to its waiting tickets.

It prints issue and call latency (p50/p99), call-to-display latency (from the call's answer to
the ``ticket_called`` event on each screen of that branch, p50/p99, and how many never came),
resident memory per process and the branches resident. Goals: issue p99 <= 50 ms,
call-to-display p99 <= 150 ms.

    .venv/bin/python bench/region_load.py [--branches 200] [--rate 100] [--subscribers 2000]
                                           [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.host_bench import _Conn, _cpu_times, _rss_mb, _steal
from branchq.host.auth import Role, create_token
from branchq.host.storage import Store
from branchq.host.storage.store import make_engine
from tests.host.hostproc import LOAD_TEST_ENV, HostProcess
from tests.host.test_region import region_process, write_branches
from tests.pg import start_private_server

# Pension day (docs/architecture.md §1): most customers come for cash; counters per service as
# in the example branch (host/example-branch.toml).
SERVICE_MIX = (("cash", 0.6), ("noncash", 0.3), ("wealth", 0.1))
COUNTERS = {"cash": (1, 2, 5), "noncash": (3, 4, 5), "wealth": (6,)}
GREEN_SHARE = 0.2
IN_FLIGHT = 64
ISSUE_GOAL_MS, DISPLAY_GOAL_MS = 50, 150


@dataclass
class Branch:
    id: str
    kiosk: str
    manager: str
    display: str
    waiting: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass
class Figures:
    issue_ms: list[float] = field(default_factory=list)
    call_ms: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # (branch, label) -> when the call was answered; and when each screen saw it called.
    answered: dict[tuple[str, str], float] = field(default_factory=dict)
    seen: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    screens: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _tokens(url: str, branch_ids: list[str]) -> list[Branch]:
    """A kiosk, a lobby manager (calls for any counter) and a hall display per branch, made over
    one connection pool (a Store per branch would open a pool each)."""
    engine = make_engine(url)
    try:
        out = []
        for b in branch_ids:
            store = Store(url, b, engine)
            out.append(Branch(b, *(create_token(store, role, f"bench {role.value}", None)
                                   for role in (Role.KIOSK, Role.MANAGER, Role.DISPLAY))))
        return out
    finally:
        engine.dispose()


def _process_cpu_s(host: HostProcess) -> float:
    """User and system CPU seconds the host process has used so far."""
    assert host.proc is not None
    fields = Path(f"/proc/{host.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime, stime in clock ticks (USER_HZ)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _screen(base: str, branch: Branch, figures: Figures) -> None:
    """A hall screen until cancelled: when each call reaches it."""
    url = base.replace("http", "ws") + "/api/v1/events"
    async with websockets.connect(url, subprotocols=["branchq", branch.display],  # type: ignore[list-item]
                                  open_timeout=60, max_queue=None) as ws:
        figures.screens[branch.id] += 1
        async for text in ws:  # no timeout per message: a timer each costs the loop dearly
            if '"ticket_called"' in text:  # parse only what is measured
                at = time.perf_counter()
                event = json.loads(text)
                figures.seen[(branch.id, event["data"]["label"])].append(at)


class _Pool:
    """Keep-alive connections to one region process: the light client of bench/host_bench.py
    (httpx costs the one-loop load generator several times more CPU per request)."""

    def __init__(self, port: int, size: int) -> None:
        self.free: asyncio.Queue[_Conn] = asyncio.Queue()
        for _ in range(size):
            self.free.put_nowait(_Conn(port, ""))

    async def post(self, path: str, body: dict[str, str] | None, token: str) -> tuple[int, bytes]:
        conn = await self.free.get()
        try:
            return await conn.exchange(path, body, token)
        except (OSError, asyncio.IncompleteReadError):
            conn.close()
            conn.writer = None  # the next request opens a new connection
            return 0, b""
        finally:
            self.free.put_nowait(conn)

    def close(self) -> None:
        while not self.free.empty():
            self.free.get_nowait().close()


async def _issue(client: _Pool, branch: Branch, figures: Figures,
                 rng: random.Random) -> None:
    service = rng.choices([s for s, _ in SERVICE_MIX], [w for _, w in SERVICE_MIX])[0]
    body = {"service": service}
    if rng.random() < GREEN_SHARE:
        body["priority"] = "green"
    t0 = time.perf_counter()
    status, _ = await client.post("/api/v1/tickets", body, branch.kiosk)
    if status != 201:
        figures.failures[f"issue {status}"] += 1
        return
    figures.issue_ms.append((time.perf_counter() - t0) * 1000)
    branch.waiting[service] += 1


async def _call(client: _Pool, branch: Branch, figures: Figures,
                rng: random.Random) -> None:
    services = [s for s, n in branch.waiting.items() if n > 0]
    if not services:
        return
    service = rng.choice(services)
    branch.waiting[service] -= 1  # claimed now, so two calls do not chase one ticket
    counter = rng.choice(COUNTERS[service])
    t0 = time.perf_counter()
    status, answer = await client.post(f"/api/v1/counters/{counter}/call-next", None,
                                       branch.manager)
    done = time.perf_counter()
    if status == 204:
        return
    if status != 200:
        figures.failures[f"call {status}"] += 1
        return
    figures.call_ms.append((done - t0) * 1000)
    ticket = json.loads(answer)["ticket"]
    figures.answered[(branch.id, ticket["number"])] = done
    if ticket["service"] != service:  # the counter took another service's customer first
        branch.waiting[service] += 1
        branch.waiting[ticket["service"]] -= 1


async def _arrivals(rate: float, seconds: float, rng: random.Random,
                    act: Callable[[], Awaitable[None]]) -> None:
    """Poisson arrivals at ``rate`` per second for ``seconds``, each running ``act()``."""
    gate = asyncio.Semaphore(IN_FLIGHT)
    tasks: set[asyncio.Task[None]] = set()
    end = time.perf_counter() + seconds
    due = time.perf_counter()
    while due < end:
        due += rng.expovariate(rate)
        await asyncio.sleep(max(0.0, due - time.perf_counter()))

        async def one() -> None:
            async with gate:
                await act()
        task = asyncio.create_task(one())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)


async def _run(args: argparse.Namespace, hosts: list[HostProcess], branches: list[Branch]) -> None:
    rng = random.Random(18)
    figures = Figures()
    clients = [_Pool(h.port, IN_FLIGHT // 2) for h in hosts]
    warm = [httpx.AsyncClient(base_url=h.base, timeout=60) for h in hosts]
    try:
        rss_none = [_rss_mb(h.proc.pid)[0] for h in hosts if h.proc]
        t0 = time.perf_counter()
        for client in warm:  # every branch loaded in both processes
            for i in range(0, len(branches), 50):
                await asyncio.gather(*(client.get("/api/v1/branch", headers={
                    "Authorization": f"Bearer {b.kiosk}"}) for b in branches[i:i + 50]))
        load_s = time.perf_counter() - t0
        rss_all = [_rss_mb(h.proc.pid)[0] for h in hosts if h.proc]
        print(f"  {len(branches)} branches loaded in each process in {load_s:.1f} s")
        for name, none, full in zip("AB", rss_none, rss_all, strict=True):
            print(f"  process {name}: RSS {none:.0f} MB with no branch resident, {full:.0f} MB "
                  f"with {len(branches)}: {(full - none) * 1024 / len(branches):.0f} KB per idle "
                  "branch (goal <= 1024 KB)")
        screens = []
        t0 = time.perf_counter()
        for i in range(args.subscribers):
            screens.append(asyncio.create_task(_screen(
                hosts[i % 2].base, branches[(i // 2) % len(branches)], figures)))
            if i % 100 == 99:
                await asyncio.sleep(0)  # let the handshakes go on
        while sum(figures.screens.values()) < args.subscribers:
            if any(s.done() for s in screens):
                next(s for s in screens if s.done()).result()  # a screen that failed: raise
            await asyncio.sleep(0.1)
        print(f"  {args.subscribers} screens connected in {time.perf_counter() - t0:.1f} s")
        by_branch = [1.0 + rng.random() for _ in branches]  # some branches busier than others

        async def issue() -> None:
            branch = rng.choices(branches, by_branch)[0]
            await _issue(rng.choice(clients), branch, figures, rng)

        async def call() -> None:
            weights = [sum(b.waiting.values()) for b in branches]
            if sum(weights) <= 0:
                return
            branch = rng.choices(branches, weights)[0]
            await _call(rng.choice(clients), branch, figures, rng)

        cpu = _cpu_times()
        host_cpu = [_process_cpu_s(h) for h in hosts]
        own_cpu = time.process_time()
        await asyncio.gather(_arrivals(args.rate, args.seconds, rng, issue),
                             _arrivals(args.rate * 0.97, args.seconds, rng, call))
        steal = _steal(cpu, _cpu_times())
        load = Path("/proc/loadavg").read_text().split()[0]
        host_cpu = [_process_cpu_s(h) - before for h, before in zip(hosts, host_cpu, strict=True)]
        requests = max(1, len(figures.issue_ms) + len(figures.call_ms))
        print(f"  CPU during the load: region processes {sum(host_cpu) / args.seconds:.2f} cores "
              f"({sum(host_cpu) * 1000 / requests:.1f} ms per request), load generator "
              f"{(time.process_time() - own_cpu) / args.seconds:.2f} cores; steal {steal:.0%}, "
              f"load average {load}")
        await asyncio.sleep(2.0)  # the last events on their way to the screens
        for screen in screens:
            screen.cancel()
        await asyncio.gather(*screens, return_exceptions=True)
        _report(args, hosts, figures, rss_all)
    finally:
        for pool in clients:
            pool.close()
        for client in warm:
            await client.aclose()


def _report(args: argparse.Namespace, hosts: list[HostProcess], figures: Figures,
            rss_loaded: list[float]) -> None:
    delays, missed = [], 0
    for key, answered in figures.answered.items():
        seen = figures.seen.get(key, [])
        missed += figures.screens[key[0]] - len(seen)
        delays += [max(0.0, at - answered) * 1000 for at in seen]
    issue_p99 = _pct(figures.issue_ms, 0.99)
    display_p99 = _pct(delays, 0.99)
    print(f"  issue: {len(figures.issue_ms)} in {args.seconds:.0f} s "
          f"({len(figures.issue_ms) / args.seconds:.0f}/s), p50 {_pct(figures.issue_ms, .5):.1f} ms,"
          f" p99 {issue_p99:.1f} ms (goal <= {ISSUE_GOAL_MS})")
    print(f"  call:  {len(figures.call_ms)}, p50 {_pct(figures.call_ms, .5):.1f} ms, "
          f"p99 {_pct(figures.call_ms, .99):.1f} ms")
    print(f"  call to display: {len(delays)} deliveries, p50 {_pct(delays, .5):.1f} ms, "
          f"p99 {display_p99:.1f} ms (goal <= {DISPLAY_GOAL_MS}); never arrived: {missed}")
    if figures.failures:
        print(f"  refused or failed: {dict(figures.failures)}")
    for name, host, loaded in zip("AB", hosts, rss_loaded, strict=True):
        rss, peak = _rss_mb(host.proc.pid) if host.proc else (0.0, 0.0)
        resident = len(httpx.get(f"{host.base}/healthz", timeout=10).json()["resident_branches"])
        print(f"  process {name}: RSS {rss:.0f} MB under load (idle {loaded:.0f} MB, peak "
              f"{peak:.0f} MB), {resident} branches resident")
    print(f"  mean issue {statistics.fmean(figures.issue_ms or [0]):.1f} ms")
    goals = issue_p99 <= ISSUE_GOAL_MS and display_p99 <= DISPLAY_GOAL_MS and missed == 0
    print(f"  goals {'met' if goals else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--branches", type=int, default=200)
    parser.add_argument("--rate", type=float, default=100.0, help="tickets per second in all")
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    server = start_private_server()
    if server is None:
        print("region load: skipped (PostgreSQL server binaries not installed)")
        return
    hosts: list[HostProcess] = []
    try:
        with tempfile.TemporaryDirectory(prefix="branchq-region-") as tmp:
            work = Path(tmp)
            ids = [f"b{i:03d}" for i in range(args.branches)]
            folder = write_branches(work / "branches", tuple(ids))
            url = server.create_database("region_bench")
            print(f"region load: {args.branches} branches, 2 region processes, "
                  f"{args.subscribers} screens, {args.rate:.0f} tickets/s for {args.seconds:.0f} s")
            for name in "ab":
                host = region_process(url, folder, work / f"{name}.log")
                host.env = dict(LOAD_TEST_ENV)
                hosts.append(host.start(timeout=120))
            branches = _tokens(url, ids)
            asyncio.run(_run(args, hosts, branches))
    finally:
        for host in hosts:
            host.kill()
        server.destroy()


if __name__ == "__main__":
    main()
