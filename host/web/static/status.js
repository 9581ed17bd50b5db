// Customer status page (the QR code on the ticket): no login, no personal data. Polls the
// public ticket endpoint: every 0.8 s once the customer is among the next few (so "your turn"
// shows within a second of the call), every 2.5 s before that, every 5 s while the phone's
// screen shows another page.
//
// #state is a live region: it is re-rendered only when what it says changes, politely, except
// for the customer's own call, which interrupts (assertive). The sound button stays where it
// is and turns the chime on or off, so focus never drops to the page.
//
// 到号提醒 / Notify me: only after the customer taps it (never on load) the page asks for the
// Notification permission; then, once when at most ``notify_ahead`` people ([nudge] ahead in
// branch.toml) are ahead and once when called, it shows a notification, vibrates, rings and
// puts a banner on the page. No push service: the page itself must stay open. Without the
// permission (refused, an insecure http:// origin, a browser that notifies only through a
// service worker) the banner, the vibration and the chime remain. What was already said is
// kept per ticket in localStorage, so a reload does not say it twice (docs/web.md).
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
const NUDGE_KEY = `branchq-nudge-${ticketId}`;
const nudge = { on: false, near: false, called: false, ...readNudge() };
status.nudges = []; // for tests: the nudges given, in order

function readNudge() {
  try {
    return JSON.parse(localStorage.getItem(NUDGE_KEY)) || {};
  } catch (err) {
    return {};
  }
}

function saveNudge() {
  try {
    localStorage.setItem(NUDGE_KEY, JSON.stringify(nudge));
  } catch (err) { /* private mode: the nudge lasts as long as the page */ }
}

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

const permission = () => ("Notification" in window ? Notification.permission : "unsupported");

/** A system notification, when the customer allowed them; false when it could not be shown. */
function notify(title, body, tag) {
  if (permission() !== "granted") return false;
  try {
    const shown = new Notification(title, { body, tag, lang: "zh-CN" });
    shown.onclick = () => { window.focus(); shown.close(); };
    return true;
  } catch (err) { // e.g. Chrome on Android notifies only through a service worker
    return false;
  }
}

/** Give one nudge: notification, banner, and (near the turn) the chime; a call chimes anyway. */
function giveNudge(kind, [zh, en], [bodyZh, bodyEn]) {
  nudge[kind] = true;
  saveNudge();
  status.nudges.push(kind);
  notify(`${zh} · ${en}`, `${bodyZh} · ${bodyEn}`, `branchq-${ticketId}-${kind}`);
  replace($("nudge"), h("div", { class: kind === "called" ? "turn" : "final" },
    bi(`${zh}：${bodyZh}`, `${en}: ${bodyEn}`, "div")));
  if (kind === "near") chime();
}

/** The nudges a ticket's state calls for, each once per ticket. */
function checkNudge(t) {
  if (!nudge.on) return;
  if (!nudge.near && t.status === "waiting" && t.wait.ahead <= t.notify_ahead) {
    giveNudge("near", [`${t.number} 快到您了`, `${t.number}: almost your turn`],
      [`前面还有 ${t.wait.ahead} 位`, `${t.wait.ahead} ahead of you`]);
  }
  if (!nudge.called && t.status === "called") {
    giveNudge("called", [`${t.number} 请到 ${t.counter} 号窗口`, `${t.number}: your turn`],
      [`轮到您了`, `please go to counter ${t.counter}`]);
  }
}

function showNotify() {
  const button = $("notify");
  button.setAttribute("aria-pressed", String(nudge.on));
  replace(button, nudge.on
    ? [h("span", { lang: "zh" }, "关闭到号提醒"), " ", h("span", { class: "en", lang: "en" }, "Stop notifying me")]
    : [h("span", { lang: "zh" }, "到号提醒"), " ", h("span", { class: "en", lang: "en" }, "Notify me")]);
  let note = null;
  if (nudge.on && permission() === "granted") {
    note = bi("快到您和叫到您时，手机会通知您。请勿关闭本页。",
      "Your phone will tell you when your turn is near and when you are called. Keep this page open.");
  } else if (nudge.on) {
    note = bi("此浏览器不显示通知：请留在本页，到时会响铃并显示提醒。",
      "This browser shows no notifications: keep this page open; it will ring and show a banner.");
  }
  replace($("notify-note"), note);
}

async function toggleNudge() {
  nudge.on = !nudge.on;
  saveNudge();
  showNotify();
  if (!nudge.on) return;
  status.sound = true;
  showSound(true);
  audio = audio || new AudioContext();
  audio.resume().catch(() => {});
  if (permission() === "default") { // asked on this tap only, never on load
    try { // the answer may never come (a prompt left open): the banner and chime work meanwhile
      await Notification.requestPermission();
    } catch (err) { /* the browser refused to ask */ }
    showNotify();
  }
  if (status.ticket) checkNudge(status.ticket);
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
  checkNudge(t);
  status.ticket = t;
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
$("notify").addEventListener("click", toggleNudge);
showNotify();
poll();
