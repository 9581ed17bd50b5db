// Counter console: what this counter serves and the buttons (and keys) a teller uses all day.
import {
  $, api, bi, clock, debounce, EventStream, focusFirst, h, lastSeq, replace, secondsSince,
  showConnection, TokenStore, waitText,
} from "./common.js";

const tokens = new TokenStore("teller");
const COUNTER_KEY = "branchq.teller.counter";
const SHORTCUTS_KEY = "branchq.teller.shortcuts";
// Single-key shortcuts act only when no control has focus, so a key typed on a button (or read
// by a screen reader) never pauses the counter; the teller may switch them off (WCAG 2.1.4).
const CONTROLS = "button, input, select, textarea, a[href], summary, [contenteditable], [tabindex]:not([tabindex='-1'])";
const NEEDS_TICKET = ["btn-recall", "btn-noshow", "btn-transfer", "btn-done"];
const RATINGS = { 1: ["不满意", "Unsatisfied"], 2: ["一般", "Neutral"], 3: ["满意", "Satisfied"] };
const state = { token: "", counter: 0, info: null, queues: [], ticket: null, stream: null };

function say(kind, zh, en) {
  const box = $("message");
  box.className = `message ${kind}`;
  replace(box, zh || en ? bi(zh, en) : null);
}

function sayError(err) {
  // The host's own messages are in English: they go in the English half.
  if (err.status === 403) say("error", "无权操作", `Not allowed: ${err.message}`);
  else if (err.status === 0) say("error", "主机无法连接", "host unreachable");
  else say("error", "操作失败", `${err.message} (${err.status} ${err.error})`);
}

function showServing() {
  const info = state.info;
  const serving = info && info.serving;
  replace($("serving-number"), serving ? serving.number : "—");
  const paused = Boolean(info && info.paused);
  $("paused").hidden = !paused;
  const pause = $("btn-pause");
  if (pause.dataset.paused !== String(paused)) { // re-labelled only when it changes
    pause.dataset.paused = String(paused);
    replace(pause, paused
      ? [h("span", { lang: "zh" }, "恢复"), h("span", { class: "en", lang: "en" }, "Resume ", h("kbd", {}, "P"))]
      : [h("span", { lang: "zh" }, "暂停"), h("span", { class: "en", lang: "en" }, "Pause ", h("kbd", {}, "P"))]);
  }
  const focused = document.activeElement;
  for (const id of NEEDS_TICKET) $(id).disabled = !serving;
  if (NEEDS_TICKET.includes(focused && focused.id) && focused.disabled) focusFirst($("btn-next"));
  if (!serving) {
    replace($("serving-meta"), bi("当前无客户", "Nobody at the counter"));
    return;
  }
  const queue = state.queues.find((q) => q.service === serving.service);
  const ticket = state.ticket && state.ticket.id === serving.ticket_id ? state.ticket : null;
  const waited = ticket && serving.called_at
    ? (Date.parse(serving.called_at) - Date.parse(ticket.issued_at)) / 1000 : null;
  replace($("serving-meta"),
    queue ? bi(queue.name_zh, queue.name_en, "div") : h("div", {}, serving.service),
    serving.priority !== "normal"
      ? bi(serving.priority === "green" ? "绿色通道" : "贵宾", serving.priority === "green" ? "Green channel" : "VIP", "div")
      : null,
    waited !== null ? bi(`已等候 ${clock(waited)}`, `waited ${clock(waited)}`, "div") : null,
    serving.called_at ? bi(`办理 ${clock(secondsSince(serving.called_at))}`,
      `serving for ${clock(secondsSince(serving.called_at))}`, "div") : null,
    serving.recalls ? bi(`重呼 ${serving.recalls} 次`, `recalled ${serving.recalls}×`, "div") : null);
}

function showQueues() {
  const mine = state.info ? state.info.services : [];
  replace($("queues"), state.queues.filter((q) => mine.includes(q.service)).map((q) =>
    h("li", { "data-service": q.service }, bi(q.name_zh, q.name_en, "div"),
      h("div", { class: "q-figures" }, h("span", { class: "q-waiting" }, String(q.waiting)),
        bi("人等候", "waiting"), h("span", { class: "q-wait" }, waitText(q.wait))))));
}

async function refresh() {
  const [counters, queues] = await Promise.all([
    api("/api/v1/counters", { token: state.token }), api("/api/v1/queues", { token: state.token })]);
  state.queues = queues;
  state.info = counters.find((c) => c.number === state.counter) || null;
  if (!state.info) throw Object.assign(new Error(`no counter ${state.counter}`), { status: 404, error: "not_found" });
  replace($("title"), bi(`${state.counter} 号窗口 ${state.info.name_zh}`, `Counter ${state.counter} ${state.info.name_en}`, "span"));
  const serving = state.info.serving;
  if (serving && serving.ticket_id && (!state.ticket || state.ticket.id !== serving.ticket_id)) {
    state.ticket = await api(`/api/v1/tickets/${encodeURIComponent(serving.ticket_id)}`);
  }
  showServing();
  showQueues();
}

async function act(path, body, done) {
  try {
    const result = await api(`/api/v1/counters/${state.counter}/${path}`,
      { token: state.token, method: "POST", body });
    if (result === null) say("info", "没有等候的客户", "Nobody is waiting");
    else {
      state.info = result.counter;
      if (result.ticket) state.ticket = result.ticket;
      showServing();
      if (done) done(result);
    }
    await refresh();
  } catch (err) {
    sayError(err);
  }
}

const actions = {
  n: () => act("call-next", undefined, (r) => say("info", `已呼叫 ${r.ticket.number}`, `Called ${r.ticket.number}`)),
  r: () => act("recall", undefined, (r) => say("info", `已重呼 ${r.ticket.number}`, `Recalled ${r.ticket.number}`)),
  s: () => act("no-show", undefined, (r) => say("info", `${r.ticket.number} 已过号`, `${r.ticket.number} marked no-show`)),
  d: () => act("done", undefined, (r) => say("info", `${r.ticket.number} 已办结`, `${r.ticket.number} done`)),
  p: () => (state.info && state.info.paused
    ? act("resume", undefined, () => say("info", "已恢复", "Resumed"))
    : act("pause", undefined, () => say("info", "已暂停", "Paused"))),
  t: openTransfer,
  c: openCall,
};

function openTransfer() {
  if (!state.info || !state.info.serving) return;
  const current = state.info.serving.service;
  replace($("transfer-choices"), state.queues.filter((q) => q.kind === "counter" && q.service !== current)
    .map((q) => h("button", {
      type: "button", "data-service": q.service,
      onclick: () => {
        $("transfer-dialog").close();
        act("transfer", { service: q.service },
          (r) => say("info", `${r.ticket.number} 已转到 ${q.name_zh}`, `${r.ticket.number} sent to ${q.name_en}`));
      },
    }, bi(q.name_zh, q.name_en))));
  $("transfer-dialog").showModal();
}

function openCall() {
  replace($("call-error"));
  $("call-number").value = "";
  $("call-dialog").showModal();
  $("call-number").focus();
}

async function callNumber(event) {
  event.preventDefault();
  const number = $("call-number").value.trim().toUpperCase();
  try {
    const waiting = await api("/api/v1/tickets?status=waiting", { token: state.token });
    const ticket = waiting.find((t) => t.number === number);
    if (!ticket) {
      replace($("call-error"), bi(`${number || "?"} 不在等候中`, `${number || "?"} is not waiting`));
      return;
    }
    $("call-dialog").close();
    await act("call", { ticket_id: ticket.id }, (r) => say("info", `已呼叫 ${r.ticket.number}`, `Called ${r.ticket.number}`));
  } catch (err) {
    replace($("call-error"), bi("呼叫失败", err.message));
  }
}

function shortcutsOn() {
  return localStorage.getItem(SHORTCUTS_KEY) !== "off";
}

function showShortcuts() {
  const on = shortcutsOn();
  $("shortcuts").checked = on;
  document.body.classList.toggle("no-shortcuts", !on);
  for (const button of document.querySelectorAll(".actions button")) {
    if (on) button.setAttribute("aria-keyshortcuts", button.dataset.key.toUpperCase());
    else button.removeAttribute("aria-keyshortcuts");
  }
}

function onKey(event) {
  if (event.ctrlKey || event.altKey || event.metaKey || $("console").hidden || !shortcutsOn()) return;
  if (document.querySelector("dialog[open]") || event.target.closest(CONTROLS)) return;
  const action = actions[event.key.toLowerCase()];
  if (!action) return;
  event.preventDefault();
  const button = document.querySelector(`button[data-key="${event.key.toLowerCase()}"]`);
  if (button && !button.disabled) action();
}

function onEvent(event) {
  if (event.kind === "ticket_rated" && event.counter === state.counter) {
    const [zh, en] = RATINGS[event.data.score] || ["?", "?"];
    const box = $("rating");
    box.className = `rating r${event.data.score}`;
    replace(box, bi(`${event.data.label} 客户评价：${zh}`, `${event.data.label} rated: ${en}`));
  }
  if (event.kind === "ticket_called" && event.counter === state.counter) replace($("rating"));
  scheduleRefresh();
}

const scheduleRefresh = debounce(() => refresh().catch(sayError), 200);

async function start() {
  $("signin").hidden = true;
  $("console").hidden = false;
  $("signout").hidden = false;
  try {
    await refresh();
  } catch (err) {
    if (err.status === 401) return signOut(err.message);
    sayError(err);
  }
  const after = await lastSeq().catch(() => 0);
  state.stream = new EventStream({
    token: state.token, after, onEvent, onOpen: scheduleRefresh,
    onState: (s) => {
      if (s === "online" && $("conn").classList.contains("offline")) say("", "", ""); // back
      showConnection($("conn"), s);
    },
  });
}

function signOut(reason = "") {
  if (state.stream) state.stream.stop();
  tokens.clear();
  localStorage.removeItem(COUNTER_KEY);
  $("console").hidden = true;
  $("signout").hidden = true;
  $("signin").hidden = false;
  replace($("signin-error"), reason ? bi("请重新登录", reason) : null);
}

function main() {
  showShortcuts();
  $("shortcuts").addEventListener("change", () => {
    localStorage.setItem(SHORTCUTS_KEY, $("shortcuts").checked ? "on" : "off");
    showShortcuts();
  });
  for (const button of document.querySelectorAll(".actions button")) {
    button.addEventListener("click", () => actions[button.dataset.key]());
  }
  document.addEventListener("keydown", onKey);
  $("transfer-cancel").addEventListener("click", () => $("transfer-dialog").close());
  $("call-cancel").addEventListener("click", () => $("call-dialog").close());
  $("call-form").addEventListener("submit", callNumber);
  $("signout").addEventListener("click", () => signOut());
  $("signin").addEventListener("submit", (event) => {
    event.preventDefault();
    tokens.save($("token-input").value.trim());
    localStorage.setItem(COUNTER_KEY, $("counter-input").value);
    $("token-input").value = "";
    startIfSignedIn();
  });
  if (tokens.extra.counter) localStorage.setItem(COUNTER_KEY, tokens.extra.counter);
  setInterval(() => { if (state.info) showServing(); }, 1000);
  startIfSignedIn();
}

function startIfSignedIn() {
  state.token = tokens.get();
  state.counter = Number(localStorage.getItem(COUNTER_KEY) || 0);
  if (state.token && state.counter) start();
  else $("signin").hidden = false;
}

main();
