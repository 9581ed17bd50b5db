"""Simulation preview on 127.0.0.1: the live kiosk screen, clicks turned into touches through the
same touch code path (virtual panel -> pipe -> touch driver; shift-click holds the finger down for
a long press), the virtual printer's paper, the LED sign text, what the voice said (the WAV files
the virtual speaker was given), and controls to inject faults (paper out, cover open...) or press
keypad keys.

Only for ``branchq kiosk run --simulate``; it never runs on a real kiosk.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from branchq.drivers.keypad.registers import Key
from branchq.kiosk.app import Kiosk

log = logging.getLogger(__name__)


class TapRequest(BaseModel):
    x: Annotated[int, Field(ge=0, le=10_000)]
    y: Annotated[int, Field(ge=0, le=10_000)]


class PrinterFaults(BaseModel):
    paper_out: bool = False
    paper_near_end: bool = False
    cover_open: bool = False
    error: bool = False  # an auto-cutter error (DLE EOT 2 error bit, DLE EOT 3 cutter bit)
    silent: bool = False


class CardSwipe(BaseModel):
    pan: Annotated[str, Field(pattern=r"^[0-9]{12,19}$")]


class Scan(BaseModel):
    """What a QR code or barcode holds, typed by the virtual scanner as US keystrokes."""

    text: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[ -~]+$")]


class KeypadPress(BaseModel):
    unit: Annotated[int, Field(ge=1, le=247)]
    key: Literal["call_next", "recall", "no_show", "transfer", "done", "pause_resume",
                 "satisfaction_1", "satisfaction_2", "satisfaction_3"]


#: What a route answers: status, content type, body.
Answer = tuple[int, str, bytes]
NO_CONTENT: Answer = (204, "text/plain", b"")


def _png(image: Any) -> Answer:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return 200, "image/png", buffer.getvalue()


def _json(data: object) -> Answer:
    return 200, "application/json", json.dumps(data, ensure_ascii=False).encode("utf-8")


class Preview:
    """The preview's routes: a table from (method, path) to a function of the request body.

    Served by the standard library's threaded HTTP server: the simulated kiosk needs no web
    framework, so a kiosk install (``branchq[kiosk]``) has none."""

    def __init__(self, kiosk: Kiosk) -> None:
        self.kiosk = kiosk
        self.virtual = kiosk.devices.virtual
        self.width, self.height = kiosk.config.screen.width, kiosk.config.screen.height
        self.routes: dict[tuple[str, str], Callable[[bytes], Answer]] = {
            ("GET", "/"): self.page,
            ("GET", "/screen.png"): lambda _: _png(self.virtual["framebuffer"].snapshot()),
            ("GET", "/paper.png"): lambda _: _png(self.virtual["printer"].render()),
            ("GET", "/state"): lambda _: _json(self.state()),
            ("POST", "/tap"): self.tap,
            ("POST", "/long-press"): self.long_press,
            ("POST", "/sim/printer"): self.printer_faults,
            ("POST", "/sim/paper/tear"): self.tear,
            ("POST", "/sim/card"): self.swipe,
            ("POST", "/sim/scan"): self.scan,
            ("POST", "/sim/keypad"): self.press,
        }

    def page(self, _: bytes) -> Answer:
        html = _PAGE.replace("{W}", str(self.width)).replace("{H}", str(self.height))
        return 200, "text/html; charset=utf-8", html.encode("utf-8")

    def state(self) -> dict[str, object]:
        kiosk, virtual = self.kiosk, self.virtual
        sign = virtual.get("ledsign")
        keypads = virtual.get("keypads")
        layout = kiosk.frame.layout if kiosk.frame else None
        return {
            "screen": kiosk.screen_name,
            # Each button's smallest text, in px: large text doubles it (controls keep theirs).
            "buttons": [{"key": t.key, "box": t.box, "text_px": min(lb.size for lb in t.labels)}
                        for t in (layout.targets if layout else ())],
            "texts": layout.texts() if layout else [],
            "page": [layout.page + 1, layout.pages] if layout else [1, 1],
            "paper": virtual["printer"].text_lines,
            "led": {a: sign.text(a) for a in sign.addresses} if sign else {},
            "keypads": {str(u): keypads.display_text(u) for u in keypads.keypads} if keypads else {},
            "host_online": kiosk.flow.host_online,
            "unsettled": len(kiosk.journal.unsettled()),
            "large_text": layout.large if layout else False,  # as on the screen now
            # The open call for help as the journal keeps it (None: none open).
            "help": asdict(kiosk.journal.data.help) if kiosk.journal.data.help else None,
            "voice": {
                "available": kiosk.voice_now(),  # enabled, and not the quiet period
                "on": kiosk.voice_on,
                "said": [" | ".join(text for text, _ in u.clips) for u in kiosk.voice.said],
                "played": [{"path": str(p.path), "seconds": round(p.seconds, 3)}
                           for p in virtual["speaker"].played],
            },
        }

    def tap(self, body: bytes, hold_s: float = 0.08) -> Answer:
        request = TapRequest.model_validate_json(body)
        # Screen pixels to raw panel units of the virtual 800x480 panel.
        self.virtual["touch"].tap(round(request.x * 799 / max(1, self.width - 1)),
                                  round(request.y * 479 / max(1, self.height - 1)), hold_s)
        return NO_CONTENT

    def long_press(self, body: bytes) -> Answer:
        """The finger rests past the touch driver's long-press time (on the panel's own clock)."""
        return self.tap(body, self.kiosk.config.touch.long_press_s + 0.2)

    def printer_faults(self, body: bytes) -> Answer:
        faults = PrinterFaults.model_validate_json(body)
        printer = self.virtual["printer"]
        printer.recover()
        for name, value in faults.model_dump().items():
            setattr(printer, name, value)
        return NO_CONTENT

    def tear(self, _: bytes) -> Answer:
        self.virtual["printer"].tear_off()
        return NO_CONTENT

    def swipe(self, body: bytes) -> Answer:
        self.virtual["cardreader"].swipe(CardSwipe.model_validate_json(body).pan)
        return NO_CONTENT

    def scan(self, body: bytes) -> Answer:
        self.virtual["cardreader"].type_text(Scan.model_validate_json(body).text)
        return NO_CONTENT

    def press(self, body: bytes) -> Answer:
        request = KeypadPress.model_validate_json(body)
        self.virtual["keypads"].press(request.unit, Key(request.key))
        return NO_CONTENT

    def answer(self, method: str, path: str, body: bytes) -> Answer:
        route = self.routes.get((method, path.split("?", 1)[0]))
        if route is None:
            return 404, "text/plain; charset=utf-8", b"no such page"
        try:
            return route(body)
        except ValidationError as err:
            return 422, "application/json", err.json(include_url=False).encode("utf-8")


def serve_preview(kiosk: Kiosk, port: int) -> ThreadingHTTPServer:
    """Serve the preview on 127.0.0.1:``port`` in a daemon thread; ``shutdown()`` stops it."""
    preview = Preview(kiosk)

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, method: str) -> None:
            length = min(int(self.headers.get("Content-Length") or 0), 64 * 1024)
            status, kind, body = preview.answer(method, self.path, self.rfile.read(length))
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # the standard library names it so
            self._reply("GET")

        def do_POST(self) -> None:
            self._reply("POST")

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("preview: " + format, *args)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="kiosk-preview", daemon=True).start()
    return server


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>branchq kiosk (simulated)</title>
<style>
body{font-family:sans-serif;background:#222;color:#eee;margin:0}
main{display:flex;flex-wrap:wrap;gap:24px;padding:16px}
#screen{width:{W}px;max-width:100%;height:auto;cursor:pointer;border:4px solid #555}
pre{background:#111;padding:8px;min-width:260px;white-space:pre-wrap}
button{margin:2px;font:inherit}
button:focus-visible{outline:3px solid #ffd200}
h1{font-size:1.2em;margin:0 0 8px}
</style></head><body><main>
<div><h1>branchq kiosk (simulated)</h1>
<img id="screen" src="/screen.png" alt="kiosk screen">
<p>Click the screen to touch it (shift-click: a long press), or use its buttons:</p>
<div id="touch" aria-label="On-screen buttons" role="group"></div>
<p>Printer: <button data-f='{}'>OK</button><button data-f='{"paper_near_end":true}'>paper low</button>
<button data-f='{"paper_out":true}'>paper out</button><button data-f='{"cover_open":true}'>cover open</button>
<button data-f='{"error":true}'>cutter error</button>
<button data-f='{"silent":true}'>unplugged</button></p></div>
<div><h2>Voice</h2><pre id="voice"></pre><h2>LED signs</h2><pre id="led"></pre>
<h2>Printed</h2><pre id="paper"></pre>
<img id="paperimg" src="/paper.png" alt="printed paper" style="max-width:300px"></div>
</main>
<script>
const img = document.getElementById('screen');
const touch = document.getElementById('touch');
const tap = (x, y, path = '/tap') => fetch(path, {method:'POST',
  headers:{'Content-Type':'application/json'},
  body: JSON.stringify({x: Math.round(x), y: Math.round(y)})});
img.addEventListener('click', e => {
  const r = img.getBoundingClientRect();
  tap((e.clientX-r.left)*{W}/r.width, (e.clientY-r.top)*{H}/r.height,
      e.shiftKey ? '/long-press' : '/tap');
});
// The keyboard's way in: one real button per button on the kiosk screen, tapping its centre.
function showTouch(buttons) {
  const keys = buttons.map(b => b.key).join('|');
  if (touch.dataset.keys === keys) return;
  const hadFocus = touch.contains(document.activeElement);
  touch.dataset.keys = keys;
  touch.replaceChildren(...buttons.map(b => {
    const el = document.createElement('button');
    el.type = 'button';
    el.textContent = b.key;
    el.addEventListener('click', () => tap((b.box[0]+b.box[2])/2, (b.box[1]+b.box[3])/2));
    return el;
  }));
  if (hadFocus && touch.firstChild) touch.firstChild.focus();
}
document.querySelectorAll('button[data-f]').forEach(b => b.addEventListener('click', () =>
  fetch('/sim/printer', {method:'POST', headers:{'Content-Type':'application/json'}, body: b.dataset.f})));
setInterval(async () => {
  img.src = '/screen.png?' + Date.now();
  document.getElementById('paperimg').src = '/paper.png?' + Date.now();
  const s = await (await fetch('/state')).json();
  showTouch(s.buttons);
  document.getElementById('led').textContent = Object.entries(s.led).map(([a,t]) => a+': '+t).join('\\n');
  document.getElementById('paper').textContent = s.paper.join('\\n');
  document.getElementById('voice').textContent = (s.voice.available ? '' : '(quiet hours) ') +
    s.voice.said.slice(-3).join('\\n');
}, 500);
</script></body></html>
"""
