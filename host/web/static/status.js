// Customer status page (the QR code on the ticket): no login, no personal data. Polls the
// public ticket endpoint: every 0.8 s once the customer is among the next few (so "your turn"
// shows within a second of the call), every 2.5 s before that, every 5 s while the phone's
// screen shows another page.
//
// #state is a live region: it is re-rendered only when what it says changes, politely, except
// for the customer's own call, which interrupts (assertive). The sound button stays where it
// is and turns the chime on or off, so focus never drops to the page.
import { $, api, bi, h, replace, waitText } from "./common.js";

const SLOW_MS = 2500;
const FAST_MS = 800;
const HIDDEN_MS = 5000;
const NEAR = 6;
const ALMOST = 3;
const ticketId = decodeURIComponent(location.pathname.split("/").pop());
const status = { beeps: 0, state: null, recalls: 0, renders: 0, sound: true, shown: "" };
window.branchqStatus = status; // for tests: how often the page alerted
let audio = null;

/** A short two-tone chime with Web Audio (phones allow it after one tap on the page). */
function chime() {
  status.beeps += 1;
  if (!status.sound) return;
  // Before the customer's first tap the browser refuses to vibrate and logs an error for it.
  if (navigator.vibrate && navigator.userActivation && navigator.userActivation.hasBeenActive) {
    try {
      navigator.vibrate([300, 150, 300]);
    } catch (err) { /* not allowed here */ }
  }
  if (!audio) audio = new AudioContext();
  if (audio.state === "suspended") audio.resume().catch(() => {});
  const start = audio.currentTime;
  [880, 660, 880].forEach((freq, i) => {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.3, start + i * 0.25);
    gain.gain.exponentialRampToValueAtTime(0.001, start + i * 0.25 + 0.22);
    osc.connect(gain).connect(audio.destination);
    osc.start(start + i * 0.25);
    osc.stop(start + i * 0.25 + 0.23);
  });
}

/** Render #state only when its words change (each render is spoken by screen readers). */
function render(key, live, ...content) {
  if (status.shown === key) return;
  status.shown = key;
  status.renders += 1;
  const box = $("state");
  box.setAttribute("aria-live", live);
  replace(box, ...content);
}

/** What #state says for a ticket. */
function stateView(t) {
  switch (t.status) {
    case "waiting":
    case "printing":
      return [h("div", { class: "wait-now" }, waitText(t.wait)),
        t.wait.estimate_s !== null && t.wait.ahead < ALMOST
          ? h("p", {}, bi("快到您了，请留意叫号。", "Almost your turn: please stay close.")) : null];
    case "called":
      return [h("div", { class: "turn" },
        h("span", { class: "big", lang: "zh" }, `请到 ${t.counter} 号窗口`),
        h("span", { class: "big en", lang: "en" }, `Your turn: counter ${t.counter}`))];
    case "done":
      return [h("div", { class: "final" }, bi("已办理完毕，谢谢！", "Served. Thank you!"))];
    case "no_show":
      return [h("div", { class: "final" },
        bi("您已过号，请联系大堂经理。", "You missed your call: please see the lobby manager."))];
    default:
      return [h("div", { class: "final" }, bi("此号已失效。", "This ticket is no longer valid."))];
  }
}

function show(t) {
  if ($("number").textContent !== t.number) replace($("number"), t.number);
  if (!$("service").textContent) replace($("service"), bi(t.service_name_zh, t.service_name_en));
  $("state").dataset.status = t.status;
  const called = t.status === "called";
  const view = stateView(t);
  // A recall is said again: same words, but the key changes.
  render(JSON.stringify([t.status, called ? t.recalls : 0, view.map((n) => n && n.textContent)]),
    called ? "assertive" : "polite", view);
  if (called && (status.state !== "called" || t.recalls > status.recalls)) chime();
  status.state = t.status;
  status.recalls = t.recalls;
}

let timer = null;

async function poll() {
  clearTimeout(timer);
  let next = SLOW_MS;
  try {
    const t = await api(`/api/v1/tickets/${encodeURIComponent(ticketId)}`);
    show(t);
    replace($("conn"));
    if (t.status === "called" || (t.status === "waiting" && t.wait.ahead < NEAR)) next = FAST_MS;
    if (["done", "expired", "voided"].includes(t.status)) { // nothing more will happen
      timer = null;
      return;
    }
  } catch (err) {
    if (err.status === 404 || err.status === 422) {
      render("unknown", "polite", h("div", { class: "final" }, bi("找不到此号。", "No such ticket.")));
      timer = null;
      return;
    }
    if (!$("conn").textContent) replace($("conn"), bi("正在重新连接…", "Reconnecting…"));
  }
  timer = setTimeout(poll, document.hidden ? Math.max(next, HIDDEN_MS) : next);
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && timer !== null) poll();
});

/** The sound button: first tap unlocks audio (phones need a tap), later taps switch it off/on. */
function showSound(on) {
  const button = $("sound");
  button.dataset.on = String(on);
  replace(button, on ? [h("span", { lang: "zh" }, "关闭提醒音"), " ", h("span", { class: "en", lang: "en" }, "Turn off the alert sound")]
    : [h("span", { lang: "zh" }, "开启提醒音"), " ", h("span", { class: "en", lang: "en" }, "Turn on the alert sound")]);
}

$("sound").addEventListener("click", () => {
  status.sound = $("sound").dataset.on !== "true";
  if (status.sound) {
    audio = audio || new AudioContext();
    audio.resume().catch(() => {});
  }
  showSound(status.sound);
});
poll();
