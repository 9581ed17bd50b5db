"""Kiosk figures: tap-to-first-printer-byte latency, screen render time, peak memory.

Runs the real kiosk (screens, touch driver, ticket flow, printer driver) in this process on its
virtual devices, against the real host on loopback. A tap is a virtual finger on the touch
panel's pipe; the clock stops when the virtual printer receives the ticket's first byte.

    .venv/bin/python bench/kiosk_bench.py [--taps 60]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from branchq.host.auth import Role
from branchq.kiosk.app import Kiosk
from branchq.kiosk.config import load_kiosk_config
from branchq.kiosk.devices import open_virtual_devices
from branchq.kiosk.hostlink import HostLink
from branchq.kiosk.layout import Panel
from branchq.kiosk.screens import ScreenRenderer
from branchq.kiosk.views import HomeView, ServiceTile, TicketView
from tests.host.hostproc import HostProcess


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
    parser.add_argument("--taps", type=int, default=60)
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
            settings = config.kiosk.model_copy(update={"state_dir": folder / "state",
                                                       "host_url": host.base})
            config = replace(config, kiosk=settings)
            devices, config = open_virtual_devices(config, folder / "sim")

            async def go() -> tuple[list[float], list[float]]:
                link = HostLink(host.base, token, 3)
                try:
                    return await tap_latency(Kiosk(config, devices, link), args.taps)
                finally:
                    await link.close()

            lat, to_ticket = asyncio.run(go())
            time.sleep(0.3)  # the kiosk's device threads notice the stop and finish
            devices.close()
            peak = kiosk_process_peak_mb(host, token, folder)
        finally:
            host.kill()
    print(f"tap to printer ({len(lat)} taps, host on loopback, raster ticket):")
    for name, values in (("first byte (status check)", lat), ("first ticket byte", to_ticket)):
        q = statistics.quantiles(values, n=100)
        print(f"  {name:26s} p50 {q[49]:6.1f} ms   p99 {q[98]:6.1f} ms   max {max(values):6.1f} ms")
    print(f"kiosk process peak resident memory: {peak:.0f} MB "
          "(branchq kiosk run --simulate after 10 tickets; includes the simulator and preview)")


def kiosk_process_peak_mb(host: HostProcess, token: str, folder: Path) -> float:
    """Peak RSS (VmHWM) of a real ``branchq kiosk run --simulate`` process after 10 tickets."""
    from tests.kiosk.kioskproc import KioskProcess

    token_file = folder / "kiosk.token"
    token_file.write_text(token)
    kiosk = KioskProcess(host.base, token_file, folder / "state2", folder / "kiosk.log").start()
    try:
        for _ in range(10):
            kiosk.tap_button("service:noncash")
            kiosk.wait_for(lambda s: s["screen"] == "ticket", 20)
            kiosk.tap_button("home")
            kiosk.wait_for(lambda s: s["screen"] == "home", 20)
        assert kiosk.proc is not None
        status = Path(f"/proc/{kiosk.proc.pid}/status").read_text()
        hwm = next(line for line in status.splitlines() if line.startswith("VmHWM"))
        return int(hwm.split()[1]) / 1024
    finally:
        kiosk.kill()


if __name__ == "__main__":
    main()
