// Customer status page (the QR code on the ticket): no login, no personal data. Polls the
// public ticket endpoint: every 0.8 s once the customer is among the next few (so "your turn"
// shows within a second of the call), every 2.5 s before that, every 5 s while the phone's
// screen shows another page.
import { $, api, bi, h, replace, waitText } from "./common.js";

const SLOW_MS = 2500;
const FAST_MS = 800;
const HIDDEN_MS = 5000;
const NEAR = 6;
const ALMOST = 3;
const ticketId = decodeURIComponent(location.pathname.split("/").pop());
const status = { beeps: 0, state: null, recalls: 0 };
window.branchqStatus = status; // for tests: how often the page alerted
let audio = null;

/** A short two-tone chime with Web Audio (phones allow it after one tap on the page). */
function chime() {
  status.beeps += 1;
  if (navigator.vibrate) {
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

function show(t) {
  replace($("number"), t.number);
  replace($("service"), bi(t.service_name_zh, t.service_name_en));
  const box = $("state");
  box.dataset.status = t.status;
  switch (t.status) {
    case "waiting":
    case "printing":
      replace(box, h("div", { class: "wait-now" }, waitText(t.wait)),
        t.wait.estimate_s !== null && t.wait.ahead < ALMOST
          ? h("p", {}, bi("快到您了，请留意叫号。", "Almost your turn: please stay close.")) : null);
      break;
    case "called":
      replace(box, h("div", { class: "turn" },
        h("span", { class: "big", lang: "zh" }, `请到 ${t.counter} 号窗口`),
        h("span", { class: "big en", lang: "en" }, `Your turn: counter ${t.counter}`)));
      break;
    case "done":
      replace(box, h("div", { class: "final" }, bi("已办理完毕，谢谢！", "Served. Thank you!")));
      break;
    case "no_show":
      replace(box, h("div", { class: "final" },
        bi("您已过号，请联系大堂经理。", "You missed your call: please see the lobby manager.")));
      break;
    default:
      replace(box, h("div", { class: "final" }, bi("此号已失效。", "This ticket is no longer valid.")));
  }
  const called = t.status === "called";
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
      replace($("state"), h("div", { class: "final" }, bi("找不到此号。", "No such ticket.")));
      timer = null;
      return;
    }
    replace($("conn"), bi("正在重新连接…", "Reconnecting…"));
  }
  timer = setTimeout(poll, document.hidden ? Math.max(next, HIDDEN_MS) : next);
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && timer !== null) poll();
});

$("sound").addEventListener("click", () => {
  audio = audio || new AudioContext();
  audio.resume().catch(() => {});
  $("sound").hidden = true;
});
poll();
