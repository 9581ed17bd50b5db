"""Kiosk figures: start-up to READY=1, tap-to-first-printer-byte latency, screen render time,
peak memory.

Start-up: real ``branchq kiosk run --simulate`` processes, timed from the process start and from
the first import of branchq to the first frame on the (virtual) framebuffer and to ``READY=1`` on
a notify socket standing in for systemd's, with the host on loopback and with it unreachable
(the kiosk then starts on its journal and leases); peak resident memory (and PSS) at READY.

Taps: the real kiosk (screens, touch driver, ticket flow, printer driver) in this process on its
virtual devices, against the real host on loopback. A tap is a virtual finger on the touch
panel's pipe; the clock stops when the virtual printer receives the ticket's first byte.

    .venv/bin/python bench/kiosk_bench.py [--taps 60] [--starts 5]
"""

from __future__ import annotations

import argparse
import asyncio
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from branchq.drivers.framebuffer.virtual import PADDING_BYTE
from branchq.drivers.platform.cli import BRANCHQ_COMMAND
from branchq.host.auth import Role
from branchq.kiosk.app import Kiosk
from branchq.kiosk.config import KioskConfig, load_kiosk_config
from branchq.kiosk.devices import open_virtual_devices
from branchq.kiosk.hostlink import HostLink
from branchq.kiosk.layout import Panel
from branchq.kiosk.screens import ScreenRenderer
from branchq.kiosk.views import HomeView, ServiceTile, TicketView
from tests.host.hostproc import HostProcess
from tests.kiosk.kioskproc import KioskProcess
from tests.pg import free_port


def render_times(width: int, height: int, width_mm: float, font: Path, n: int = 40) -> float:
    """Mean ms to lay out and draw a frame (home and ticket screens, both languages)."""
    r = ScreenRenderer(Panel(width, height, width_mm), font)
    tiles = (ServiceTile("cash", "现金业务", "Cash", "counter", "前面 12 人，约 15 分钟",
                         "12 people ahead, about 15 min"),
             ServiceTile("noncash", "非现金业务", "Non-cash", "counter", "无需等候", "No wait"),
             ServiceTile("wealth", "理财业务", "Wealth", "counter", "无需等候", "No wait"),
             ServiceTile("atm_small", "小额取款", "ATM", "self_service"))
    view = HomeView("示例银行", "Example Bank", tiles, ("ATM 2 暂停服务",))
    r.frame(view, "zh")  # fonts loaded once, as on a running kiosk
    t0 = time.perf_counter()
    for i in range(n):
        r.frame(view, "zh" if i % 2 else "en")
        r.frame(TicketView(f"A{i:03d}", "现金业务", "Cash", f"前面 {i} 人", f"{i} ahead",
                           "normal", False), "zh")
    return (time.perf_counter() - t0) / (2 * n) * 1000


async def tap_latency(kiosk: Kiosk, taps: int) -> tuple[list[float], list[float]]:
    """Per tap: ms to the printer's first byte (the status check before any number is taken)
    and ms to the first byte of the ticket itself (ESC @ after the host issued the number)."""
    printer = kiosk.devices.virtual["printer"]
    touch = kiosk.devices.virtual["touch"]
    first_byte: list[float] = []
    ticket_byte: list[float] = []
    original = printer.feed

    def feed(data: bytes) -> bytes:
        now = time.perf_counter()
        if not first_byte:
            first_byte.append(now)
        if not ticket_byte and b"\x1b@" in data:
            ticket_byte.append(now)
        return original(data)

    printer.feed = feed  # type: ignore[method-assign]
    latencies, to_ticket = [], []
    run = asyncio.create_task(kiosk.run())
    while kiosk.frame is None or kiosk.screen_name != "home" or not kiosk.tiles:
        await asyncio.sleep(0.05)
    for _ in range(taps):
        button = next(b for b in kiosk.frame.layout.targets if b.key == "service:cash")
        x0, y0, x1, y1 = button.box
        await asyncio.sleep(0.3)  # the status polls of the previous print are over
        first_byte.clear()
        ticket_byte.clear()
        t0 = time.perf_counter()
        # screen pixels to raw units of the virtual 800x480 panel
        touch.tap(round((x0 + x1) / 2 * 799 / (kiosk.config.screen.width - 1)),
                  round((y0 + y1) / 2 * 479 / (kiosk.config.screen.height - 1)))
        while not ticket_byte:
            await asyncio.sleep(0.001)
        latencies.append((first_byte[0] - t0) * 1000)
        to_ticket.append((ticket_byte[0] - t0) * 1000)
        while kiosk.busy or kiosk.screen_name != "ticket":
            await asyncio.sleep(0.01)
        kiosk.issued_times.clear()  # the bench taps faster than the per-kiosk rate limit
        kiosk.last_touch = 0
        await kiosk.show("home")
    kiosk.stop()
    await run
    return latencies, to_ticket


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--taps", type=int, default=60, help="0: no tap figures")
    parser.add_argument("--starts", type=int, default=5, help="0: no start-up figures")
    args = parser.parse_args()
    config = load_kiosk_config(None)
    font = config.screen.font_path
    print("screen render per frame (home + ticket, Pillow):")
    for w, h, mm in ((800, 480, 154), (1280, 800, 217)):
        print(f"  {w}x{h}: {render_times(w, h, mm, font):6.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        host = HostProcess(f"sqlite:///{folder / 'h.db'}", folder / "host.log").start()
        try:
            token = host.token(Role.KIOSK)
            token_file = folder / "kiosk.token"
            token_file.write_text(token)
            if args.starts:
                start_up(host, token_file, folder, args.starts)
            if args.taps:
                taps(config, host, token, folder, args.taps)
            peak = kiosk_process_peak_mb(host, token_file, folder)
        finally:
            host.kill()
    print(f"kiosk process peak resident memory: {peak:.0f} MB "
          "(branchq kiosk run --simulate after 10 tickets; includes the simulator and preview)")


def taps(config: KioskConfig, host: HostProcess, token: str, folder: Path, n: int) -> None:
    """Print the tap-to-printer figures of ``n`` taps on a kiosk in this process."""
    settings = config.kiosk.model_copy(update={"state_dir": folder / "state",
                                               "host_url": host.base})
    config = replace(config, kiosk=settings)
    devices, config = open_virtual_devices(config, folder / "sim")

    async def go() -> tuple[list[float], list[float]]:
        link = HostLink(host.base, token, 3)
        try:
            return await tap_latency(Kiosk(config, devices, link), n)
        finally:
            await link.close()

    lat, to_ticket = asyncio.run(go())
    time.sleep(0.3)  # the kiosk's device threads notice the stop and finish
    devices.close()
    print(f"tap to printer ({len(lat)} taps, host on loopback, raster ticket):")
    for name, values in (("first byte (status check)", lat), ("first ticket byte", to_ticket)):
        q = statistics.quantiles(values, n=100)
        print(f"  {name:26s} p50 {q[49]:6.1f} ms   p99 {q[98]:6.1f} ms   max {max(values):6.1f} ms")


def kiosk_process_peak_mb(host: HostProcess, token_file: Path, folder: Path) -> float:
    """Peak RSS (VmHWM) of a real ``branchq kiosk run --simulate`` process after 10 tickets."""
    kiosk = KioskProcess(host.base, token_file, folder / "state2", folder / "kiosk.log").start()
    try:
        for _ in range(10):
            kiosk.tap_button("service:noncash")
            kiosk.wait_for(lambda s: s["screen"] == "ticket", 20)
            kiosk.tap_button("home")
            kiosk.wait_for(lambda s: s["screen"] == "home", 20)
        assert kiosk.proc is not None
        return peak_rss_mb(kiosk.proc.pid)
    finally:
        kiosk.kill()


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set so far (VmHWM), in MB."""
    return _kib(Path(f"/proc/{pid}/status"), "VmHWM") / 1024


def pss_mb(pid: int) -> float:
    """The process's proportional set now, in MB: RSS counts the font file's pages once per font
    size in use (each size is a FreeType face with its own mapping), PSS once in all."""
    return _kib(Path(f"/proc/{pid}/smaps_rollup"), "Pss") / 1024


def _kib(path: Path, field: str) -> int:
    line = next(line for line in path.read_text().splitlines() if line.startswith(field + ":"))
    return int(line.split()[1])


#: The kiosk's command line with one line first: the monotonic clock just before branchq's first
#: import, so "from import" leaves out the interpreter's own start (CLOCK_MONOTONIC is one clock
#: for every process on the machine).
_IMPORT_STAMP = "branchq-import-at"
_STAMPED_COMMAND = (sys.executable, "-c", f"import time; print('{_IMPORT_STAMP}', time.monotonic(),"
                    f" flush=True); {BRANCHQ_COMMAND[2]}")


@dataclass(frozen=True)
class StartFigures:
    """One kiosk start, in seconds from the process start; ``imported_s`` is when branchq's
    first import began; peak resident memory and PSS (MB) when READY=1 arrived."""

    imported_s: float
    first_frame_s: float
    ready_s: float
    peak_mb: float
    pss_mb: float


def kiosk_start(host_url: str, token_file: Path, state_dir: Path, folder: Path,
                timeout: float = 60) -> StartFigures:
    """Start ``branchq kiosk run --simulate`` once on ``state_dir`` (empty: a first start; used
    before: a restart); stop it (SIGTERM) once it is ready. ``folder`` gets its log and socket.

    The first frame is the moment the virtual framebuffer's first pixel is no longer the fill
    the twin created it with; READY=1 is the datagram on ``$NOTIFY_SOCKET``."""
    folder.mkdir(parents=True)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(folder / "notify.sock"))
    kiosk = KioskProcess(host_url, token_file, state_dir, folder / "kiosk.log",
                         command=_STAMPED_COMMAND, env={"NOTIFY_SOCKET": str(folder / "notify.sock")})
    fb0 = state_dir / "sim" / "fb" / "fb0"
    fb0.unlink(missing_ok=True)  # the last run's frame; the twin creates it anew, filled
    fill = bytes([PADDING_BYTE]) * 4
    t0 = time.monotonic()
    proc = kiosk.launch()
    frame = ready = None
    peak = pss = 0.0
    try:
        while frame is None or ready is None:
            if proc.poll() is not None:
                raise RuntimeError(f"kiosk exited:\n{kiosk.log_path.read_text()[-3000:]}")
            if time.monotonic() - t0 > timeout:
                raise RuntimeError(f"kiosk not ready in {timeout} s:\n"
                                   f"{kiosk.log_path.read_text()[-3000:]}")
            readable, _, _ = select.select([notify], [], [], 0.002)
            if readable and b"READY=1" in notify.recv(4096).split(b"\n"):
                ready = time.monotonic() - t0
                peak, pss = peak_rss_mb(proc.pid), pss_mb(proc.pid)
            if frame is None and _drawn(fb0, fill):
                frame = time.monotonic() - t0
    finally:
        kiosk.kill(signal.SIGTERM)
        notify.close()
    stamp = next(line for line in kiosk.log_path.read_text().splitlines()
                 if line.startswith(_IMPORT_STAMP))
    return StartFigures(float(stamp.split()[1]) - t0, frame, ready, peak, pss)


def _drawn(fb0: Path, fill: bytes) -> bool:
    try:
        with fb0.open("rb") as fb:
            head = fb.read(len(fill))
    except FileNotFoundError:
        return False
    return len(head) == len(fill) and head != fill


def import_seconds() -> float:
    """``import branchq.kiosk.app`` in a fresh interpreter, timed inside it."""
    code = ("import time; t = time.perf_counter(); import branchq.kiosk.app; "
            "print(time.perf_counter() - t)")
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                text=True).stdout)


def start_up(host: HostProcess, token_file: Path, folder: Path, starts: int) -> None:
    """Print the start-up figures: min and median of ``starts`` runs (a shared machine is noisy:
    the median is the figure, the min what the code can do)."""
    imports = [import_seconds() for _ in range(starts)]
    print(f"import branchq.kiosk.app ({starts} fresh interpreters): "
          f"min {min(imports) * 1000:5.0f} ms   median {statistics.median(imports) * 1000:5.0f} ms")
    print(f"kiosk start, branchq kiosk run --simulate ({starts} starts each; min / median):")
    if sys.dont_write_bytecode:
        print("  (PYTHONDONTWRITEBYTECODE is set: sources without a .pyc are compiled at every "
              "start, which an installed kiosk does not do)")
    unreachable = f"http://127.0.0.1:{free_port()}"
    kinds = (("first start (empty state), host on loopback", host.base),
             ("restart, host on loopback", host.base),
             ("restart, host unreachable (journal and leases)", unreachable))
    results: list[list[StartFigures]] = [[] for _ in kinds]
    for i in range(starts):
        for k, (_, url) in enumerate(kinds):
            results[k].append(kiosk_start(url, token_file, folder / f"state-{i}",
                                          folder / f"start-{i}-{k}"))
    for (name, _), runs in zip(kinds, results, strict=True):
        print(f"  {name}:")
        for label, values in (
            ("process start to first frame", [r.first_frame_s for r in runs]),
            ("process start to READY=1", [r.ready_s for r in runs]),
            ("branchq import to READY=1", [r.ready_s - r.imported_s for r in runs]),
        ):
            print(f"    {label:30s} {min(values) * 1000:5.0f} / "
                  f"{statistics.median(values) * 1000:5.0f} ms")
        for label, mbs in (("peak resident memory at READY", [r.peak_mb for r in runs]),
                           ("PSS at READY", [r.pss_mb for r in runs])):
            print(f"    {label:30s} {min(mbs):5.0f} / {statistics.median(mbs):5.0f} MB")


if __name__ == "__main__":
    main()
