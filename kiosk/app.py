"""The kiosk process: screens on the framebuffer, taps from the touch screen, the ticket flow,
voice guidance, and the device gateway (LED signs, caller keypads) — one asyncio loop owns the
state; blocking device I/O (and speech) runs in threads and hands results back to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from branchq.drivers.audio.errors import AudioError
from branchq.drivers.audio.player import AlsaPlayer, Speaker
from branchq.drivers.audio.virtual import VirtualSpeaker
from branchq.drivers.platform import sdnotify
from branchq.drivers.platform.files import atomic_write
from branchq.drivers.printer.errors import PrinterError
from branchq.drivers.printer.status import PrinterStatus
from branchq.drivers.touch.gestures import Gesture, LongPress
from branchq.kiosk import messages
from branchq.kiosk.appointments import CODE_LENGTH, scanned_code
from branchq.kiosk.config import KioskConfig
from branchq.kiosk.devices import KioskDevices
from branchq.kiosk.flow import (
    BranchFacts,
    Guidance,
    HostDeclined,
    IssuedTicket,
    KioskUnavailable,
    TicketFlow,
    WrongCode,
    printer_fault,
    wait_words,
)
from branchq.kiosk.gateway import DeviceGateway
from branchq.kiosk.hostlink import HostError, HostLink, HostRefused, HostUnreachable, Queue
from branchq.kiosk.journal import Journal, PendingHelp
from branchq.kiosk.layout import Panel
from branchq.kiosk.messages import CustomerMessage
from branchq.kiosk.screens import Frame, ScreenRenderer
from branchq.kiosk.views import (
    Assist,
    CodeView,
    GreenView,
    HomeView,
    ServiceTile,
    TicketView,
    View,
    closed_view,
    guidance_view,
    help_view,
    notice_view,
    out_of_service_view,
    printing_view,
)
from branchq.kiosk.voice import KioskVoice, screen_speech

log = logging.getLogger("branchq.kiosk")

TICKET_SCREEN_S = 8.0
TEST_SLIP_FRESH = timedelta(minutes=2)  # a test slip asked longer ago is not printed any more
UNTOUCHED = "not touched yet"  # the touch report's detail until a first touch (host/opening.py)
VIP_WINDOW_S = 60.0  # a recognised VIP swipe applies to a ticket taken within this time
SYNC_INTERVAL_S = 3.0


class Kiosk:
    def __init__(self, config: KioskConfig, devices: KioskDevices, host: HostLink,
                 keypad_host: HostLink | None = None) -> None:
        self.config = config
        self.devices = devices
        self.host = host
        state_dir = config.kiosk.state_dir
        self.journal = Journal(state_dir / "journal.json")
        self.heartbeat_file = state_dir / "heartbeat.json"
        self.lease_file = state_dir / "lease.json"
        self.flow = TicketFlow(config.kiosk.id, devices.printer, host, self.journal,
                               config.kiosk.offline_lease_size)
        self.gateway = DeviceGateway(config, devices, host, keypad_host, self.journal)
        screen = config.screen
        self.renderer = ScreenRenderer(Panel(screen.width, screen.height, screen.width_mm),
                                       screen.font_path)
        self.lang = config.kiosk.language
        self.frame: Frame | None = None
        self.screen_name = "starting"  # until the first frame is on the screen
        self.synced = False  # the host sync has run once (until then no offline banner)
        self.page = 0  # the page of a long list of services (home, green channel)
        self.large = False  # large text, for this customer (back to normal for the next one)
        # The customer asked for the voice (Voice key, long press): each new screen is read out
        # until the next customer. The ticket screen is read out to everyone.
        self.voice_on = False
        self.voice = KioskVoice(config.voice, self._open_speaker(), state_dir / "voice")
        self._speech: set[asyncio.Task[None]] = set()
        self.screen_since = time.monotonic()
        self.last_touch = time.monotonic()
        self.busy = False  # a ticket is being issued: taps are ignored (no double tickets)
        self.issued_times: deque[float] = deque()
        self.tiles: tuple[ServiceTile, ...] = ()
        self.notices: tuple[str, ...] = ()
        self.printer_status: PrinterStatus | None = None
        self.fault: KioskUnavailable | None = None
        self.last_ticket: TicketView | None = None
        self.guidance: Guidance | None = None
        self.message: CustomerMessage | None = None
        self.loop_tick = time.monotonic()
        self._taps: asyncio.Queue[Gesture] = asyncio.Queue()
        self.vip_card: str | None = None  # digest of a recognised VIP card, for the next ticket
        self.vip_until = 0.0
        self.code = ""  # the digits typed on the code screen ("I have an appointment")
        self.code_note: tuple[str, str] = ("", "")  # why the last code was not taken
        self._stop = asyncio.Event()
        self.frames_rendered = 0
        # The call for help (kept in the journal): pressed again while open (no second alert).
        self.help_again = False
        self._help_tasks: set[asyncio.Task[None]] = set()
        # For the morning check: the touch screen's state (a fault of its reader, whether any
        # touch came since the start) and the last test slip's result, in the heartbeat.
        self.touch_fault: str | None = None
        self.touched = False
        self.test_slip: dict[str, str] | None = None
        self._beat_now = asyncio.Event()  # send the heartbeat now (a test slip's result)
        self.gateway.listeners.append(self._on_host_event)

    # -- life cycle ---------------------------------------------------------------------------
    async def run(self) -> None:
        """Draw the first frame, say READY=1, then serve until :meth:`stop`.

        READY means the customer sees a screen that issues tickets (docs/architecture.md §3). On a
        restart the journal's branch facts draw it at once and the host sync follows in the
        background (a tap meanwhile asks the host, or issues from the lease, as at any time); only
        a kiosk that has never reached its host waits for the first sync, whose services it needs.
        """
        loop = asyncio.get_running_loop()
        self.flow.restore_facts()
        if self.flow.facts is None:
            await self._sync_with_host()
        else:
            self._set_tiles(self.flow.facts, {})
        await self.show("home")
        touch_thread = threading.Thread(target=self._read_touch, args=(loop,), daemon=True,
                                        name="touch")
        touch_thread.start()
        if self.devices.cardreader is not None:
            threading.Thread(target=self._read_cards, args=(loop,), daemon=True,
                             name="cardreader").start()
        tasks = [
            asyncio.create_task(self._tap_loop(), name="taps"),
            asyncio.create_task(self._sync_loop(), name="sync"),  # at once if not synced yet
            asyncio.create_task(self._heartbeat_loop(), name="heartbeat"),
            asyncio.create_task(self._screen_loop(), name="screen"),
            asyncio.create_task(self._watchdog_loop(), name="watchdog"),
            *self.gateway.tasks(),
        ]
        sdnotify.notify("READY=1\nSTATUS=kiosk ready")
        log.info("kiosk %s ready", self.config.kiosk.id)
        try:
            await self._stop.wait()
        finally:
            sdnotify.notify("STOPPING=1")
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.gateway.stop()
            self.voice.close()

    def stop(self) -> None:
        self._stop.set()

    def _open_speaker(self) -> Speaker:
        """The speaker on ALSA; in simulation its twin, which keeps each WAV it is given."""
        if self.devices.virtual:
            twin = VirtualSpeaker(self.config.kiosk.state_dir / "sim" / "voice")
            self.devices.virtual["speaker"] = twin
            return twin
        return AlsaPlayer(self.config.voice.device)

    # -- touch --------------------------------------------------------------------------------
    def _read_touch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Runs in a thread: blocking reads from the touch device, taps handed to the loop."""
        while not self._stop.is_set():
            try:
                gestures = self.devices.touch.poll(self.devices.touch_source, 0.1)
            except Exception as err:  # the device vanished: report, keep the kiosk up
                log.error("touch screen: %s; retrying", err)
                self.touch_fault = str(err)[:200] or type(err).__name__
                time.sleep(1)
                continue
            self.touch_fault = None
            for gesture in gestures:  # a long press speaks; it never issues (a stuck finger)
                loop.call_soon_threadsafe(self._taps.put_nowait, gesture)

    def _read_cards(self, loop: asyncio.AbstractEventLoop) -> None:
        """Runs in a thread: card swipes become digests (the number never leaves the driver)."""
        reader, source = self.devices.cardreader, self.devices.card_source
        while reader is not None and source is not None and not self._stop.is_set():
            try:
                reads = reader.poll(source, 0.1)
            except Exception as err:  # reader unplugged: report, keep the kiosk up
                log.error("card reader: %s; retrying", err)
                time.sleep(1)
                continue
            for read in reads:
                if read.kind == "card" and read.digest:
                    asyncio.run_coroutine_threadsafe(self.on_card(read.digest), loop)
                elif read.kind == "text" and (code := scanned_code(read.text or "")):
                    asyncio.run_coroutine_threadsafe(self.on_scanned_code(code), loop)

    async def on_card(self, digest: str) -> None:
        """A swipe anywhere: if the host knows the card as VIP, the next ticket is VIP."""
        try:
            recognised = await self.host.is_vip_card(digest)
        except HostError as err:
            log.warning("VIP card check failed: %s", err)
            return
        if recognised:
            self.vip_card, self.vip_until = digest, time.monotonic() + VIP_WINDOW_S
            if self.screen_name == "home" and not self.busy:
                await self.show("home")

    async def on_scanned_code(self, code: str) -> None:
        """An appointment's QR code (``BQA:<code>``) scanned on any screen: check it in."""
        if self.busy:
            return  # a ticket is coming out: the customer scans again after it
        self.last_touch = time.monotonic()
        await self.check_in(code)

    async def _tap_loop(self) -> None:
        while True:
            gesture = await self._taps.get()
            self.last_touch = time.monotonic()
            self.touched = True
            try:
                if isinstance(gesture, LongPress):
                    self.on_long_press(gesture.x, gesture.y)
                else:
                    await self.on_tap(gesture.x, gesture.y)
            except Exception:  # one bad tap must not stop the kiosk
                log.exception("handling a tap failed")

    def on_long_press(self, x: int, y: int) -> None:
        """A long press on a button says that button, then the screen."""
        if self.busy or self.frame is None:
            return
        key = self.frame.button_at(x, y)
        if key is not None and self.voice_now():
            self.voice_on = True
            self.speak(key)

    async def on_tap(self, x: int, y: int) -> None:
        if self.busy or self.frame is None:
            return
        key = self.frame.button_at(x, y)
        if key is None:
            return
        log.debug("tap %s on %s", key, self.screen_name)
        if key == "voice":
            if self.voice_now():  # the key is drawn only then, but the clock may just have moved
                self.voice_on = True
                self.speak()
        elif key == "help":
            await self.call_for_help()
        elif key == "lang":
            self.lang = "en" if self.lang == "zh" else "zh"
            await self.show(self.screen_name, speak=True)
        elif key == "large":
            self.large = not self.large
            self.page = 0  # the pages hold other choices now
            await self.show(self.screen_name, keep_page=True)
        elif key == "home" and self.screen_name == "ticket":
            await self._next_customer()  # "Done": this customer has their ticket
        elif key == "home" or key == "cancel":
            await self.show("home")
        elif key in ("page:next", "page:prev"):
            self.page += 1 if key == "page:next" else -1
            await self.show(self.screen_name, keep_page=True, speak=True)
        elif key == "green":
            await self.show("green_confirm")
        elif key == "appointment":
            self.code, self.code_note = "", ("", "")
            await self.show("code")
        elif key.startswith("digit:") or key == "delete":
            self.code = self.code[:-1] if key == "delete" else \
                (self.code + key.split(":", 1)[1])[:CODE_LENGTH]
            await self.show("code")
        elif key == "confirm":
            if len(self.code) < CODE_LENGTH:
                short = messages.message("A07")
                self.code_note = (short.title_zh, short.title_en)
                await self.show("code")
            else:
                await self.check_in(self.code)
        elif key.startswith("service:"):
            await self.take_ticket(key.split(":", 1)[1], "normal")
        elif key.startswith("green:"):
            await self.take_ticket(key.split(":", 1)[1], "green")

    # -- tickets ------------------------------------------------------------------------------
    def _rate_limited(self) -> bool:
        now = time.monotonic()
        while self.issued_times and now - self.issued_times[0] > 60:
            self.issued_times.popleft()
        return len(self.issued_times) >= self.config.kiosk.tickets_per_minute

    async def _told_to_slow_down(self) -> bool:
        """More tickets this minute than a kiosk gives (kiosk.toml): the customer is told so."""
        if not self._rate_limited():
            return False
        self.message = messages.message("K01")
        await self.show("message")
        return True

    async def take_ticket(self, service: str, priority: str) -> None:
        if await self._told_to_slow_down():
            return
        vip_card = self.vip_card if time.monotonic() < self.vip_until else None
        self.vip_card = None
        if vip_card is not None and priority == "normal":
            priority = "vip"

        async def issue() -> None:
            result = await self.flow.issue(service, priority, vip_card)
            self.issued_times.append(time.monotonic())
            if isinstance(result, Guidance):
                self.guidance = result
                await self.show("guidance")
            else:
                self.last_ticket = _ticket_view(result)
                await self.show("ticket")

        await self._print_for_customer(issue)

    async def _print_for_customer(self, work: Callable[[], Awaitable[None]]) -> None:
        """The printing screen while ``work`` takes a ticket and shows what came of it; a
        printer fault puts the kiosk out of service, a host's refusal shows its message."""
        self.busy = True
        try:
            await self.show("printing")
            await work()
        except KioskUnavailable as fault:
            self.fault = fault
            # Only a status read after this fault may bring the home screen back: the last
            # periodic one can predate it and would say "ready" at once.
            self.printer_status = None
            await self.show("out_of_service")
        except HostDeclined as err:
            self.message = err.message
            await self.show("message")
        finally:
            self.busy = False

    async def check_in(self, code: str) -> None:
        """An appointment's or a remote ticket's code, typed or scanned: its ticket, or back to
        the keypad with a kind word for a wrong code, or a message (too many tries, checked in
        already)."""
        if await self._told_to_slow_down():
            return
        self.code, self.code_note = "", ("", "")

        async def check_in() -> None:
            try:
                issued = await self.flow.check_in(code)
            except WrongCode as err:  # back to the keypad, with a kind word under it
                self.code_note = (err.message.text_zh, err.message.text_en)
                await self.show("code")
                return
            self.issued_times.append(time.monotonic())
            self.last_ticket = _ticket_view(issued)
            await self.show("ticket")

        await self._print_for_customer(check_in)

    # -- call for help ----------------------------------------------------------------------
    async def call_for_help(self) -> None:
        """The "需要帮助 / I need help" key: the press goes to the journal (a host that is down
        gets it later, with its time), then to the host; the help screen says where it stands.
        While one is open, another press sends nothing and the screen says staff already know."""
        if self.journal.data.help is not None:
            self.help_again = True
            await self.show("help", speak=True)
            return
        self.help_again = False
        self.journal.set_help(PendingHelp(Journal.new_ref(self.config.kiosk.id), self.screen_name,
                                          datetime.now(UTC).isoformat()))
        await self.deliver_help()
        await self.show("help")

    async def deliver_help(self) -> None:
        """Send a queued call for help (again: the host makes one alert of one reference)."""
        pending = self.journal.data.help
        if pending is None or pending.state != "queued":
            return
        try:
            answer = await self.host.request_help(self.config.kiosk.id, pending.screen,
                                                  pending.requested_at, pending.client_ref)
        except HostUnreachable as err:
            log.info("call for help queued until the host answers: %s", err)
            return
        except HostRefused as err:
            if err.status in (401, 403, 429):  # the credential or the pace: it may pass later
                log.error("call for help not taken yet: %s", err)
                return
            log.error("call for help dropped: %s", err)  # it will never be taken (too old)
            self.journal.set_help(None)
            return
        if self.journal.data.help is not pending:
            return  # closed meanwhile: its event came on the stream before this answer
        if answer.state == "closed":
            self.journal.set_help(None)
            return
        pending.alert_id = answer.id
        if pending.state == "queued":  # an acknowledgement may have come first, too
            pending.state = "acknowledged" if answer.state == "acknowledged" else "told"
        self.journal.set_help(pending)

    def _on_host_event(self, event: dict[str, Any]) -> None:
        """The lobby manager acknowledged or closed this kiosk's call for help, or asked it for
        a test slip."""
        pending, data = self.journal.data.help, event.get("data", {})
        if event["kind"] == "test_slip_requested" and data.get("kiosk") == self.config.kiosk.id:
            asked = datetime.fromisoformat(event["at"])
            if datetime.now(UTC) - asked < TEST_SLIP_FRESH:  # not an old one caught up on
                task = asyncio.create_task(self._print_test_slip(data["id"]))
                self._help_tasks.add(task)
                task.add_done_callback(self._help_tasks.discard)
            return
        if event["kind"] not in ("help_acknowledged", "help_closed") or pending is None or \
                data.get("kiosk") != self.config.kiosk.id or \
                pending.alert_id not in (None, data.get("id")):
            return
        if event["kind"] == "help_closed":
            self.journal.set_help(None)
        else:
            pending.state, pending.alert_id = "acknowledged", data.get("id")
            self.journal.set_help(pending)
        task = asyncio.create_task(self._help_changed())
        self._help_tasks.add(task)
        task.add_done_callback(self._help_tasks.discard)

    async def _help_changed(self) -> None:
        """Show the customer what became of their call: on its screen (or, acknowledged, on the
        home screen they went back to); once closed, the kiosk is for the next customer."""
        pending = self.journal.data.help
        if self.busy:
            return
        if pending is None and self.screen_name == "help":
            await self._next_customer()
        elif pending is not None and (self.screen_name == "help" or (
                self.screen_name == "home" and pending.state == "acknowledged")):
            await self.show("help", speak=True)

    # -- screens ------------------------------------------------------------------------------
    async def show(self, name: str, keep_page: bool = False, speak: bool | None = None) -> None:
        """Draw screen ``name``. A new screen (or ``speak``) is read out when the customer asked
        for the voice, and the ticket screen always; a redraw of the same screen (fresh queue
        figures) is not."""
        if not keep_page and name != self.screen_name:
            self.page = 0
        if speak is None:
            speak = name != self.screen_name
        frame = self._render(name)
        self.frame, self.screen_name, self.page = frame, name, frame.layout.page
        self.screen_since = time.monotonic()
        await asyncio.to_thread(self.devices.framebuffer.show, frame.image)
        self.frames_rendered += 1
        if speak and (self.voice_on or name == "ticket") and self.voice_now():
            self.speak()

    # -- voice --------------------------------------------------------------------------------
    def voice_now(self) -> bool:
        return self.voice.speaks_now(self.flow.facts.timezone if self.flow.facts else None)

    def speak(self, pressed: str | None = None) -> None:
        """Say the screen on show (after the ``pressed`` button), in the background."""
        if self.frame is None:
            return
        task = asyncio.create_task(self._say(screen_speech(self.frame.layout, pressed)))
        self._speech.add(task)
        task.add_done_callback(self._speech.discard)

    async def _say(self, clips: list[tuple[str, str]]) -> None:
        if not clips:
            return
        try:
            await asyncio.to_thread(self.voice.say, clips)
        except (AudioError, OSError) as err:  # the kiosk still issues tickets without its voice
            log.warning("voice guidance: %s", err)

    def _render(self, name: str) -> Frame:
        # No keys while a ticket prints: taps are ignored then.
        assist = Assist(voice=self.voice_now(), large=self.large, keys=name != "printing")
        return self.renderer.frame(self._view(name), self.lang, self.page, assist)

    async def _next_customer(self) -> None:
        """Back home for the next customer: the first page, normal text, no voice."""
        # What is being said goes on: the ticket read out lasts longer than the ticket screen.
        self.page, self.large, self.voice_on = 0, False, False
        self.code, self.code_note = "", ("", "")
        await self.show("home", keep_page=True)

    def _view(self, name: str) -> View:
        facts = self.flow.facts
        if name == "home" and facts is not None and not facts.open_now:
            name = "closed"
        if name == "green_confirm":
            return GreenView(self.tiles)
        if name == "code":
            return CodeView(self.code, CODE_LENGTH, self.code_note)
        if name == "printing":
            return printing_view()
        if name == "ticket" and self.last_ticket is not None:
            return self.last_ticket
        if name == "guidance" and self.guidance is not None:
            return guidance_view(self.guidance.text_zh, self.guidance.text_en)
        if name == "out_of_service" and self.fault is not None:
            return out_of_service_view(self.fault.message)
        if name == "closed":
            return closed_view(facts.hours if facts else "")
        if name == "message" and self.message is not None:
            return notice_view(self.message)
        if name == "help" and self.journal.data.help is not None:
            return help_view(self.journal.data.help.state, self.help_again)
        return HomeView(facts.name_zh if facts else "", facts.name_en if facts else "",
                        self.tiles, self.notices, offline=self.synced and not self.flow.host_online,
                        vip_armed=self.vip_card is not None and time.monotonic() < self.vip_until)

    async def _screen_loop(self) -> None:
        """Idle timeout back home; leave out-of-service when the printer recovers."""
        while True:
            await asyncio.sleep(0.5)
            self.loop_tick = time.monotonic()
            idle = time.monotonic() - max(self.last_touch, self.screen_since)
            if self.busy:
                continue
            if self.screen_name in ("ticket", "guidance") and idle > TICKET_SCREEN_S:
                await self._next_customer()
            elif self.screen_name in ("green_confirm", "code", "message") and \
                    idle > self.config.kiosk.idle_timeout_s:
                await self._next_customer()
            elif self.screen_name == "help" and idle > self.config.kiosk.idle_timeout_s:
                await self._next_customer()  # the call stays open: the key says so again
            elif self.screen_name == "home" and (self.page or self.large or self.voice_on) and \
                    idle > self.config.kiosk.idle_timeout_s:
                await self._next_customer()
            elif self.screen_name == "out_of_service" and self.printer_status is not None \
                    and printer_fault(self.printer_status) is None:
                await self.show("home")

    # -- host ---------------------------------------------------------------------------------
    async def _sync_with_host(self) -> None:
        """Branch facts, queue figures, notices, leases, and the journal's unsettled tickets."""
        facts: BranchFacts | None
        try:
            facts = await self.flow.refresh_facts()
            await self.flow.refresh_appointments()
            queues = {q.service: q for q in await self.host.queues()}
            self.notices = tuple(n.text_zh if self.lang == "zh" else n.text_en
                                 for n in await self.host.notices())
            await self.flow.settle()
            await self.flow.top_up_leases()
        except HostError as err:
            if self.flow.host_online:
                log.warning("host unreachable: %s", err)
            self.flow.host_online = False
            facts, queues = self.flow.facts, {}
        if facts is not None:
            self._set_tiles(facts, queues)
        self._write_lease_file()
        self.synced = True
        if self.flow.host_online and self.journal.data.help is not None and \
                self.journal.data.help.state == "queued":
            await self.deliver_help()  # pressed while the host was down: it arrives now
            await self._help_changed()

    def _set_tiles(self, facts: BranchFacts, queues: dict[str, Queue]) -> None:
        """The service buttons, with each queue's wait words when the host gave them."""
        self.tiles = tuple(
            ServiceTile(key, svc.name_zh, svc.name_en, svc.kind,
                        *wait_words(queues[key].wait if key in queues else None))
            for key, svc in facts.services.items()
        )

    async def _sync_loop(self) -> None:
        while True:
            if self.synced:
                await asyncio.sleep(SYNC_INTERVAL_S)
            was = self.flow.host_online if self.synced else None
            await self._sync_with_host()
            if self.screen_name in ("home", "closed") and not self.busy:
                await self.show("home")  # fresh figures, or the offline banner
            if was is not None and was != self.flow.host_online:
                log.info("host link %s", "restored" if self.flow.host_online else "lost")

    def _write_lease_file(self) -> None:
        """``lease.json`` for the technicians' ``branchq maint health``."""
        # The business day is the branch's (``timezone``), not this machine's: health compares it.
        zone = {"timezone": self.flow.facts.timezone} if self.flow.facts else {}
        data = {k: {"day": b.day, "next": b.next, "end": b.last + 1, **zone}
                for k, b in self.journal.data.leases.items()}
        _write_json(self.lease_file, data)

    # -- health -------------------------------------------------------------------------------
    async def _print_test_slip(self, slip_id: str) -> None:
        """The morning check's test slip (the technician's ``branchq maint printer test`` slip),
        between customers; its result goes to the host in a heartbeat at once."""
        from branchq.kiosk.maint.printer import test_ticket

        while self.busy:  # a customer's ticket first
            await asyncio.sleep(0.2)
        self.busy = True
        try:
            status = await asyncio.to_thread(self.devices.printer.status)
            fault = printer_fault(status)
            if fault is None:
                zone = ZoneInfo(self.flow.facts.timezone) if self.flow.facts else UTC
                await asyncio.to_thread(self.devices.printer.print_ticket,
                                        test_ticket(self.config.printer, zone))
            result = ("fault", f"{fault.message.code}: {status.description}") if fault \
                else ("ok", "printed")
        except PrinterError as err:
            result = ("fault", f"P05: {err}")
        finally:
            self.busy = False
        log.info("test slip %s: %s", slip_id, result[1])
        self.test_slip = {"device": "test_slip", "status": result[0],
                          "detail": f"{slip_id}: {result[1]}"[:200]}
        self._beat_now.set()

    def device_reports(self) -> list[dict[str, str]]:
        reports = []
        status = self.printer_status
        if status is not None:
            fault = printer_fault(status)
            level = "fault" if fault else ("warning" if status.paper_near_end else "ok")
            detail = (f"{fault.message.code}: {status.description}" if fault
                      else ("paper near end" if status.paper_near_end else ""))
            reports.append({"device": "printer", "status": level, "detail": detail})
        if self.voice.fault:
            reports.append({"device": "speaker", "status": "fault",
                            "detail": self.voice.fault[:200]})
        # Untouched is no fault (nothing for the technician): the morning check asks for a tap.
        reports.append({"device": "touch", "status": "fault" if self.touch_fault else "ok",
                        "detail": self.touch_fault or ("" if self.touched else UNTOUCHED)})
        if self.test_slip is not None:
            reports.append(self.test_slip)
        reports.extend(self.gateway.device_reports())
        return reports

    async def _heartbeat_loop(self) -> None:
        while True:
            try:
                self.printer_status = await asyncio.to_thread(self.devices.printer.status)
            except Exception:  # a driver bug must not stop the heartbeat
                log.exception("printer status failed")
            reports = self.device_reports()
            today = self.flow.facts.today(datetime.now(UTC)) if self.flow.facts else ""
            left = self.journal.numbers_left(today)
            _write_json(self.heartbeat_file, {
                "at": datetime.now(UTC).isoformat(), "devices": reports,
                "host_online": self.flow.host_online, "offline_numbers_left": left,
                "unsettled": len(self.journal.unsettled()),
            })
            try:
                await self.host.heartbeat(self.config.kiosk.id, reports, left)
            except HostError as err:
                log.debug("heartbeat not delivered: %s", err)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._beat_now.wait(), self.config.kiosk.heartbeat_s)
            self._beat_now.clear()

    async def _watchdog_loop(self) -> None:
        """Ping systemd's watchdog only while the screen loop keeps ticking: a stalled kiosk
        stops pinging and systemd restarts it."""
        interval = sdnotify.watchdog_interval_s()
        if interval is None:
            return
        while True:
            await asyncio.sleep(interval)
            if time.monotonic() - self.loop_tick < 2 * interval:
                sdnotify.notify("WATCHDOG=1")
            else:
                log.error("screen loop stalled: not pinging the watchdog")


def _ticket_view(t: IssuedTicket) -> TicketView:
    return TicketView(t.number, t.service_zh, t.service_en, t.wait_zh, t.wait_en, t.priority,
                      t.offline, t.note_zh, t.note_en)


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(data, ensure_ascii=False).encode("utf-8"))
