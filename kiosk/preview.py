"""Simulation preview on 127.0.0.1: the live kiosk screen, clicks turned into touches through the
same touch code path (virtual panel -> pipe -> touch driver), the virtual printer's paper, the LED
sign text, and controls to inject faults (paper out, cover open...) or press keypad keys.

Only for ``branchq kiosk run --simulate``; it never runs on a real kiosk.
"""

from __future__ import annotations

import io
from typing import Annotated, Literal

from fastapi import FastAPI, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from drivers.keypad.registers import Key
from kiosk.app import Kiosk


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


class KeypadPress(BaseModel):
    unit: Annotated[int, Field(ge=1, le=247)]
    key: Literal["call_next", "recall", "no_show", "transfer", "done", "pause_resume",
                 "satisfaction_1", "satisfaction_2", "satisfaction_3"]


def _png(image: object) -> Response:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")  # type: ignore[attr-defined]
    return Response(buffer.getvalue(), media_type="image/png")


def create_preview(kiosk: Kiosk) -> FastAPI:
    virtual = kiosk.devices.virtual
    app = FastAPI(title="branchq kiosk preview", docs_url=None, redoc_url=None)
    width, height = kiosk.config.screen.width, kiosk.config.screen.height

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return _PAGE.replace("{W}", str(width)).replace("{H}", str(height))

    @app.get("/screen.png")
    def screen() -> Response:
        return _png(virtual["framebuffer"].snapshot())

    @app.get("/paper.png")
    def paper() -> Response:
        return _png(virtual["printer"].render())

    @app.post("/tap", status_code=204)
    def tap(body: TapRequest) -> Response:
        # Screen pixels to raw panel units of the virtual 800x480 panel.
        touch = virtual["touch"]
        touch.tap(round(body.x * 799 / max(1, width - 1)), round(body.y * 479 / max(1, height - 1)))
        return Response(status_code=204)

    @app.get("/state")
    def state() -> dict[str, object]:
        sign = virtual.get("ledsign")
        keypads = virtual.get("keypads")
        layout = kiosk.frame.layout if kiosk.frame else None
        return {
            "screen": kiosk.screen_name,
            "buttons": [{"key": t.key, "box": t.box} for t in (layout.targets if layout else ())],
            "texts": layout.texts() if layout else [],
            "page": [layout.page + 1, layout.pages] if layout else [1, 1],
            "paper": virtual["printer"].text_lines,
            "led": {a: sign.text(a) for a in sign.addresses} if sign else {},
            "keypads": {str(u): keypads.display_text(u) for u in keypads.keypads} if keypads else {},
            "host_online": kiosk.flow.host_online,
            "unsettled": len(kiosk.journal.unsettled()),
        }

    @app.post("/sim/printer", status_code=204)
    def printer_faults(body: PrinterFaults) -> Response:
        printer = virtual["printer"]
        printer.recover()
        for name, value in body.model_dump().items():
            setattr(printer, name, value)
        return Response(status_code=204)

    @app.post("/sim/paper/tear", status_code=204)
    def tear() -> Response:
        virtual["printer"].tear_off()
        return Response(status_code=204)

    @app.post("/sim/card", status_code=204)
    def swipe(body: CardSwipe) -> Response:
        virtual["cardreader"].swipe(body.pan)
        return Response(status_code=204)

    @app.post("/sim/keypad", status_code=204)
    def press(body: KeypadPress) -> Response:
        virtual["keypads"].press(body.unit, Key(body.key))
        return Response(status_code=204)

    return app


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
<p>Click the screen to touch it, or use its buttons:</p>
<div id="touch" aria-label="On-screen buttons" role="group"></div>
<p>Printer: <button data-f='{}'>OK</button><button data-f='{"paper_near_end":true}'>paper low</button>
<button data-f='{"paper_out":true}'>paper out</button><button data-f='{"cover_open":true}'>cover open</button>
<button data-f='{"error":true}'>cutter error</button>
<button data-f='{"silent":true}'>unplugged</button></p></div>
<div><h2>LED signs</h2><pre id="led"></pre><h2>Printed</h2><pre id="paper"></pre>
<img id="paperimg" src="/paper.png" alt="printed paper" style="max-width:300px"></div>
</main>
<script>
const img = document.getElementById('screen');
const touch = document.getElementById('touch');
const tap = (x, y) => fetch('/tap', {method:'POST', headers:{'Content-Type':'application/json'},
  body: JSON.stringify({x: Math.round(x), y: Math.round(y)})});
img.addEventListener('click', e => {
  const r = img.getBoundingClientRect();
  tap((e.clientX-r.left)*{W}/r.width, (e.clientY-r.top)*{H}/r.height);
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
}, 500);
</script></body></html>
"""
