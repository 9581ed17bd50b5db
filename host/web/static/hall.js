// Hall display: the current call, the last calls, waiting per service, notices; speaks each call.
import {
  $, api, bi, branchTime, debounce, EventStream, focusFirst, h, lastSeq, loadBranch, replace,
  secondsSince, showConnection, TokenStore, waitText,
} from "./common.js";
import { VoiceQueue } from "./voice.js";

const RECENT = 8;
const FRESH_S = 60; // calls older than this (caught up after an outage) are shown, not spoken
// A fresh call keeps a static yellow frame this long; the flips on top (style.css) end within
// 4 s, and under prefers-reduced-motion there are none (WCAG 2.2.2).
const HIGHLIGHT_MS = 8000;
const tokens = new TokenStore("display");
const state = { recent: [], queues: [], counters: [], notices: [], equipment: [] };
let voice = null;
let highlightTimer = null;

function counterText(number, counter) {
  return { zh: `${number} 请到 ${counter} 号窗口`, en: `${number} to counter ${counter}` };
}

function showCurrent(call, highlight) {
  if (!call) {
    replace($("current-number"), "—");
    replace($("current-zh"));
    replace($("current-en"));
    return;
  }
  const text = counterText(call.number, call.counter);
  replace($("current-number"), call.number);
  replace($("current-zh"), `请到 ${call.counter} 号窗口`);
  replace($("current-en"), `to counter ${call.counter}`);
  $("current").setAttribute("aria-label", `${text.zh} / ${text.en}`);
  if (highlight) {
    const box = $("current");
    box.classList.remove("fresh");
    void box.offsetWidth; // restart the flips
    box.classList.add("fresh");
    clearTimeout(highlightTimer);
    highlightTimer = setTimeout(() => box.classList.remove("fresh"), HIGHLIGHT_MS);
  }
}

function showRecent() {
  replace($("recent"), state.recent.map((c, i) =>
    h("li", { class: i === 0 ? "latest" : "" },
      h("span", { class: "num" }, c.number),
      h("span", { class: "arrow" }, "→"),
      bi(`${c.counter} 号窗口`, `counter ${c.counter}`))));
}

/** "也在 6 号窗口办理 / also at counter 6": counters that took this queue as a second service. */
function alsoAt(service) {
  const numbers = state.counters.filter((c) => c.second_service && c.second_service.service === service)
    .map((c) => c.number);
  if (!numbers.length) return null;
  return h("div", { class: "q-also" },
    bi(`也在 ${numbers.join("、")} 号窗口办理`, `also at counter ${numbers.join(", ")}`));
}

function showQueues() {
  replace($("queues"), state.queues.filter((q) => q.kind === "counter").map((q) =>
    h("li", { "data-service": q.service },
      bi(q.name_zh, q.name_en, "div"),
      h("div", { class: "q-figures" },
        h("span", { class: "q-waiting" }, String(q.waiting)),
        h("span", { class: "q-unit" }, bi("人等候", "waiting")),
        h("span", { class: "q-wait" }, waitText(q.wait))),
      alsoAt(q.service))));
}

function showTicker() {
  const items = [
    ...state.notices.map((n) => bi(n.text_zh, n.text_en)),
    ...state.equipment.filter((e) => e.status === "out_of_service").map((e) => [
      bi(`${e.name_zh || e.id} 暂停服务`, `${e.name_en || e.id} out of service`),
      // The manager's note is in whichever language they typed: marked as unknown (lang="").
      ...(e.note ? [" (", h("span", { lang: "" }, e.note), ")"] : [])]),
  ];
  const ticker = $("ticker");
  replace(ticker, items.map((item) => h("span", { class: "ticker-item" }, item)));
  ticker.classList.toggle("moving", items.length > 0);
  const pause = $("ticker-pause");
  if (!items.length && pause === document.activeElement) focusFirst($("hall-main"));
  pause.hidden = !items.length;
}

/** The pause control of the notice ticker (WCAG 2.2.2): a toggle, pressed while it stands still. */
function toggleTicker() {
  const pause = $("ticker-pause");
  const paused = pause.getAttribute("aria-pressed") !== "true";
  pause.setAttribute("aria-pressed", String(paused));
  $("ticker").classList.toggle("paused", paused);
}

function remember(number, counter, at) {
  state.recent = [{ number, counter, at }, ...state.recent.filter((c) => c.number !== number)]
    .slice(0, RECENT);
}

async function loadCalls(token) {
  const counters = await api("/api/v1/counters", { token });
  state.recent = counters.filter((c) => c.serving && c.serving.called_at)
    .map((c) => ({ number: c.serving.number, counter: c.number, at: c.serving.called_at }))
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
    .slice(0, RECENT);
  showRecent();
  showCurrent(state.recent[0], false);
}

async function loadQueues(token) {
  [state.queues, state.counters] = await Promise.all([
    api("/api/v1/queues", { token }), api("/api/v1/counters", { token })]);
  showQueues();
}

async function loadTicker(token) {
  [state.notices, state.equipment] = await Promise.all([
    api("/api/v1/notices", { token }), api("/api/v1/equipment", { token })]);
  showTicker();
}

function reportError(err) {
  $("setup").hidden = err.status !== 401 && err.status !== 403;
  replace($("setup-error"), bi("无法读取", err.message));
}

function onCall(event) {
  const number = event.data.label;
  const counter = event.counter;
  remember(number, counter, event.at);
  showRecent();
  showCurrent(state.recent[0], true);
  if (secondsSince(event.at) < FRESH_S) voice.announce(number, counter);
}

async function main() {
  $("ticker-pause").addEventListener("click", toggleTicker);
  const token = tokens.get();
  if (!token) {
    $("setup").hidden = false;
    return;
  }
  voice = new VoiceQueue(token, {
    onBlocked: (blocked) => {
      const button = $("sound-blocked");
      const hadFocus = button === document.activeElement;
      button.hidden = !blocked;
      if (hadFocus && !blocked) focusFirst($("ticker-pause"), $("hall-main"));
    },
  });
  $("sound-blocked").addEventListener("click", () => voice.enable());
  const refreshQueues = debounce(() => loadQueues(token).catch(reportError), 250);
  const refreshTicker = debounce(() => loadTicker(token).catch(reportError), 250);
  const refreshAll = () => Promise.all([loadCalls(token), loadQueues(token), loadTicker(token)])
    .catch(reportError);

  let after = 0;
  try {
    after = await lastSeq();
    await loadBranch(token);
    tick();
  } catch (err) {
    reportError(err);
  }
  await refreshAll();
  new EventStream({
    token,
    after,
    onState: (s) => showConnection($("conn"), s),
    onOpen: refreshQueues,
    onEvent: (event) => {
      switch (event.kind) {
        case "ticket_called":
        case "ticket_recalled":
          onCall(event);
          refreshQueues();
          break;
        case "day_opened":
          state.recent = [];
          showRecent();
          showCurrent(null, false);
          refreshQueues();
          break;
        case "notice_posted":
        case "notice_cleared":
        case "equipment_changed":
          refreshTicker();
          break;
        default: // a counter taking or giving back a second service changes the waits too
          if (event.kind.startsWith("ticket_") || event.kind.startsWith("second_service_")) refreshQueues();
      }
    },
  });
  // Waits change with time alone; the ticker and calls are re-read now and then as a safety net.
  setInterval(refreshQueues, 30000);
  setInterval(() => loadTicker(token).catch(reportError), 300000);
}

/** The clock over the hall: branch time by the host's clock, whatever the TV's own zone. */
function tick() {
  replace($("clock"), branchTime());
}

tick();
setInterval(tick, 10000);
main();
