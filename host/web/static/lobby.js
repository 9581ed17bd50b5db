// Lobby dashboard: every queue, counter and device at a glance (red = needs the manager), and
// the manager's actions: issue a ticket, reinstate a no-show, ATM in/out of service, notices,
// an idle counter taking a second service for an hour when a queue grows (窗口调整).
import {
  $, api, apiBase, bi, branchDay, branchTime, clock, debounce, EventStream, focusFirst, h, lastSeq,
  loadBranch, replace, replaceIfChanged, secondsSince, showConnection, TokenStore, waitText,
} from "./common.js";
import { dayChart, openHours } from "./daychart.js";
import { HelpAlerts } from "./help.js";

// Under /b/{branch}/ (a region host) the region view's credential (region.js), read-only there.
const tokens = new TokenStore(apiBase ? "region" : "manager");
const LONG_WAIT_S = 900;
const state = { token: "", stream: null, open: null, advice: [], queues: [], counters: [], opening: null };
// Events after which a morning check on screen is run again (a fault fixed turns its item green).
const OPENING_EVENTS = new Set(["device_status", "equipment_changed", "notice_posted", "notice_cleared",
  "test_slip_requested"]);
const SECOND_SERVICE_MINUTES = 60;
const FIGURES_EVERY_MS = 3000; // today's figures are read from the event log: at most this often
const DEVICE_STATES = {
  ok: ["正常", "OK", "state-ok"], warning: ["注意", "warning", "state-warn"],
  fault: ["故障", "FAULT", "state-bad"], offline: ["离线", "OFFLINE", "state-bad"],
};
const DEVICE_NAMES = {
  printer: ["取号打印机", "Ticket printer"], touch: ["触摸屏", "Touch screen"],
  ledsign: ["LED 叫号屏", "LED signs"], cardreader: ["读卡器", "Card reader"],
  framebuffer: ["取号机屏幕", "Kiosk screen"], test_slip: ["测试单", "Test slip"],
};
const CJK = /[\u3400-\u9fff]/;
// What kiosks report about their devices (kiosk/app.py, kiosk/flow.py, kiosk/gateway.py), in Chinese.
const KNOWN_DETAILS = {
  "paper near end": "打印纸快用完了",
  "paper out": "打印纸用完",
  "the ticket printer is out of paper": "打印纸用完",
  "the ticket printer cover is open": "打印机盖未关",
  "the ticket printer does not answer": "打印机无响应",
  "not answering": "无响应",
  "not touched yet": "开机后还没有触摸过",
};

/**
 * A row's button, its visible words plus (for screen readers) what it acts on, in both
 * languages: "停用 自动柜员机 1 Out of service: ATM 1". ``focusKey`` finds it again after a refresh.
 */
function rowButton(attrs, [zh, en], [whatZh, whatEn], focusKey) {
  return h("button", { type: "button", "data-focus-key": focusKey, ...attrs },
    h("span", { lang: "zh" }, zh, h("span", { class: "visually-hidden" }, ` ${whatZh}`)), " ",
    h("span", { lang: "en", class: "en" }, en, h("span", { class: "visually-hidden" }, `: ${whatEn}`)));
}

// Where focus goes when the row of the focused button is gone after a refresh.
const FOCUS_HOMES = {
  equipment: "devices-h", noshow: "noshows-h", notice: "notices-h", move: "moves-h", deadletter: "deadletters-h",
};

function say(kind, zh, en) {
  const box = $("message");
  box.className = `message ${kind}`;
  replace(box, bi(zh, en));
}

function sayError(err) {
  if (err.status === 401 || err.status === 403) return deny(err);
  if (err.status === 0) say("error", "主机无法连接", "host unreachable");
  else say("error", "操作失败", `${err.message} (${err.status} ${err.error})`); // the host's words are English
}

/** The dashboard is for the lobby manager: any other credential gets a clear message. */
function deny(err) {
  if (state.stream) state.stream.stop();
  tokens.clear();
  $("dashboard").hidden = true;
  $("signout").hidden = true;
  $("signin").hidden = false;
  replace($("signin-error"),
    bi("大堂看板需要大堂经理凭证。", "The lobby dashboard needs a manager token.", "div"),
    h("div", { class: "en", lang: "en" }, err.message));
}

function queueRows(queues) {
  return queues.filter((q) => q.kind === "counter").map((q) => {
    const level = q.longest_wait_s > 2 * LONG_WAIT_S ? "bad" : q.longest_wait_s > LONG_WAIT_S ? "warn" : "";
    return h("tr", { class: level, "data-service": q.service },
      h("td", {}, bi(q.name_zh, q.name_en)),
      h("td", { class: "num" }, String(q.waiting)),
      h("td", {}, q.waiting ? clock(q.longest_wait_s) : "—"),
      h("td", {}, waitText(q.wait)));
  });
}

function counterRows(counters) {
  return counters.map((c) => {
    const s = c.serving;
    return h("tr", { class: c.paused ? "warn" : "", "data-counter": c.number },
      h("td", {}, bi(`${c.number} ${c.name_zh}`, c.name_en)),
      h("td", { class: "num" }, s ? s.number : "—"),
      h("td", { class: "since" },
        s && s.called_at ? `${branchTime(s.called_at)} (${clock(secondsSince(s.called_at))})` : ""),
      h("td", {}, c.paused ? h("span", { class: "state-warn" }, bi("暂停", "paused"))
        : h("span", { class: "state-ok" }, bi("开放", "open"))));
  });
}

/** A kiosk device by name in both languages: "取号打印机 Ticket printer", "叫号器 3 Caller keypad 3". */
function deviceName(device) {
  const keypad = /^keypad-(\d+)$/.exec(device);
  if (keypad) return [`叫号器 ${keypad[1]}`, `Caller keypad ${keypad[1]}`];
  return DEVICE_NAMES[device] || [device, device];
}

/** A device's detail in both languages. A kiosk that words it in both is shown as it is; a
 * technical text in one language (a driver's error) is marked as such under a bilingual line. */
function deviceDetail(d, zh, en) {
  if (!d.detail) return "";
  if (CJK.test(d.detail)) return d.detail;
  const known = KNOWN_DETAILS[d.detail.trim().toLowerCase()];
  if (known) return bi(known, d.detail, "div");
  const [nameZh, nameEn] = deviceName(d.device);
  return h("div", {}, bi(`${nameZh}：${zh}`, `${nameEn}: ${en.toLowerCase()}`, "div"),
    h("div", { class: "tech" }, bi("技术信息", "technical detail"), `: ${d.detail}`));
}

function deviceRows(devices, equipment) {
  const rows = devices.map((d) => {
    const [zh, en, cls] = DEVICE_STATES[d.status] || [d.status, d.status, "state-warn"];
    const bad = cls === "state-bad" || d.stale;
    const [nameZh, nameEn] = deviceName(d.device);
    return h("tr", { class: bad ? "bad" : cls === "state-warn" ? "warn" : "", "data-device": d.device },
      h("td", {}, h("span", { lang: "en" }, d.kiosk), " · ", bi(nameZh, nameEn)),
      h("td", {}, h("span", { class: cls }, bi(zh, en)),
        d.stale ? h("div", { class: "state-bad" }, bi("无心跳", "no heartbeat")) : null),
      h("td", { class: "detail" }, deviceDetail(d, zh, en)),
      h("td", {}));
  });
  for (const e of equipment) {
    const out = e.status === "out_of_service";
    rows.push(h("tr", { class: out ? "bad" : "", "data-equipment": e.id },
      h("td", {}, bi(e.name_zh || e.id, e.name_en || e.kind)),
      h("td", {}, out ? h("span", { class: "state-bad" }, bi("暂停服务", "OUT OF SERVICE"))
        : h("span", { class: "state-ok" }, bi("正常", "in service"))),
      h("td", { lang: "" }, e.note), // typed by the manager, in either language
      h("td", {}, rowButton({
        class: out ? "" : "danger", "data-action": "toggle",
        onclick: () => setEquipment(e, out ? "in_service" : "out_of_service"),
      }, out ? ["恢复服务", "Back in service"] : ["停用", "Out of service"],
      [e.name_zh || e.id, e.name_en || e.id], `equipment:${e.id}`))));
  }
  return rows;
}

// Outbound webhooks (an SMS or WeChat gateway) given up on: docs/web.md, "Webhooks".
const WEBHOOK_EVENTS = { "ticket.near_turn": ["快到号提醒", "near-turn message"], "ticket.called": ["叫号通知", "call message"] };

function deadLetterRows(letters) {
  if (!letters.length) return [h("tr", {}, h("td", {}, bi("暂无", "none")))];
  return letters.map((d) => {
    const [zh, en] = WEBHOOK_EVENTS[d.type] || [d.type, d.type];
    return h("tr", { class: "bad", "data-delivery": d.id },
      h("td", { class: "num" }, d.number),
      h("td", {}, bi(zh, en, "div"),
        h("div", { class: "detail" }, h("span", { lang: "" }, d.webhook), " · ",
          bi(`尝试 ${d.attempts} 次`, `${d.attempts} attempts`), " · ",
          h("span", { lang: "en" }, d.last_error || ""))),
      h("td", {}, rowButton({ onclick: () => retryDelivery(d, zh, en) }, ["重发", "Retry"],
        [`${d.number} ${zh}`, `${en} for ${d.number}`], `deadletter:${d.id}`)));
  });
}

// A day's appointments (docs/web.md, "Appointments and remote tickets"): slot, service, status;
// nothing about the customer. A booking not checked in once its check-in grace is over: missed.
const APPOINTMENT_STATES = {
  booked: ["已预约", "booked", ""], cancelled: ["已取消", "cancelled", ""],
  early: ["已签到（提前）", "checked in (early)", "state-ok"],
  on_time: ["已签到", "checked in", "state-ok"],
  late_walk_in: ["迟到，已改为普通排队", "late: walk-in ticket", "state-warn"],
  missed: ["未到", "did not come", "state-warn"],
};

function appointmentRows(appointments, queues) {
  if (!appointments.length) return [h("tr", {}, h("td", {}, bi("今日暂无预约", "no appointments today")))];
  const names = Object.fromEntries(queues.map((q) => [q.service, [q.name_zh, q.name_en]]));
  return appointments.map((a) => {
    const key = a.status === "checked_in" ? a.arrival : a.missed ? "missed" : a.status;
    const [zh, en, cls] = APPOINTMENT_STATES[key] || [key, key, ""];
    const [nameZh, nameEn] = names[a.service] || [a.service, a.service];
    return h("tr", { "data-appointment": a.id, "data-state": key },
      h("td", { class: "num" }, `${branchTime(a.slot_start)}–${branchTime(a.slot_end)}`),
      h("td", {}, bi(nameZh, nameEn)),
      h("td", {}, h("span", { class: cls }, bi(zh, en))));
  });
}

function noShowRows(tickets) {
  if (!tickets.length) return [h("tr", {}, h("td", {}, bi("暂无", "none")))];
  return tickets.map((t) => h("tr", { "data-ticket": t.number },
    h("td", { class: "num" }, t.number),
    h("td", {}, bi(t.service_name_zh, t.service_name_en)),
    h("td", {}, rowButton({ onclick: () => reinstate(t) }, ["恢复排队", "Reinstate"], [t.number, t.number],
      `noshow:${t.number}`))));
}

function noticeRows(notices) {
  if (!notices.length) return [h("tr", {}, h("td", {}, bi("暂无公告", "no notices")))];
  return notices.map((n) => h("tr", {},
    h("td", {}, bi(n.text_zh, n.text_en, "div")),
    h("td", {}, rowButton({ class: "secondary", onclick: () => clearNotice(n) }, ["撤下", "Clear"],
      [`公告“${n.text_zh}”`, `notice "${n.text_en}"`], `notice:${n.id}`))));
}

/**
 * 窗口调整: counters serving a second service (with an undo), then, for each queue the staffing
 * advice says needs another counter, one button per idle counter that could take it for an hour.
 */
function moveRows(advice, counters, queues) {
  const names = Object.fromEntries(queues.map((q) => [q.service, [q.name_zh, q.name_en]]));
  const rows = counters.filter((c) => c.second_service).map((c) => {
    const [zh, en] = names[c.second_service.service] || [c.second_service.service, c.second_service.service];
    const until = branchTime(c.second_service.until);
    return h("tr", { "data-second": c.number },
      h("td", {}, bi(`${c.number} 号窗口加办${zh}，至 ${until}`, `Counter ${c.number} also takes ${en} until ${until}`)),
      h("td", {}, rowButton({ class: "secondary", onclick: () => endSecond(c, zh, en) }, ["撤销", "Undo"],
        [`${c.number} 号窗口加办${zh}`, `counter ${c.number} taking ${en}`], `move:end:${c.number}`)));
  });
  for (const a of advice.filter((x) => x.open_more > 0)) {
    const cells = a.idle_counters.length
      ? a.idle_counters.map((n) => rowButton({ onclick: () => takeSecond(n, a) },
        [`${n} 号窗口加办 1 小时`, `Counter ${n} takes it for 1 hour`],
        [a.name_zh, a.name_en], `move:take:${n}:${a.service}`))
      : [bi("暂无空闲窗口", "no counter is idle")];
    rows.push(h("tr", { class: "warn", "data-advice": a.service },
      h("td", {}, bi(`${a.name_zh}排队较长，需要增开窗口`, `${a.name_en}: the queue needs another counter`)),
      h("td", { class: "move-offers" }, cells)));
  }
  if (!rows.length) rows.push(h("tr", {}, h("td", {}, bi("各队列窗口充足", "enough counters for every queue"))));
  return rows;
}

function showMoves() {
  replaceIfChanged($("moves"), moveRows(state.advice, state.counters, state.queues));
}

/** 开门检查: each item green or red, in both languages, a red one with what to do next. */
function openingRows(result) {
  return result.items.map((i) => h("li", { class: i.ok ? "ok" : "bad", "data-item": i.key },
    h("span", { class: i.ok ? "state-ok" : "state-bad" }, i.ok ? bi("正常", "OK") : bi("异常", "FAULT")), " ",
    h("strong", {}, bi(i.name_zh, i.name_en)),
    h("div", { class: "detail" }, bi(i.detail_zh, i.detail_en)),
    i.ok ? null : h("div", { class: "next" }, bi(`下一步：${i.action_zh}`, `Next: ${i.action_en}`)),
    testSlipButton(i.key)));
}

/** On a kiosk's printer item: a test slip on request (its result is the next item). */
function testSlipButton(key) {
  const printer = /^printer:(.+)$/.exec(key);
  if (!printer) return null;
  return h("div", {}, rowButton({ class: "secondary", "data-action": "test-slip", onclick: () => testSlip(printer[1]) },
    ["打印测试单", "Print test slip"], ["（取号机打印机）", "on the kiosk's printer"], `slip:${printer[1]}`));
}

async function testSlip(kiosk) {
  try {
    await api("/api/v1/opening-check/test-slip", { token: state.token, method: "POST", body: { kiosk } });
    say("info", "已请取号机打印测试单", "Test slip sent to the kiosk");
  } catch (err) {
    sayError(err);
  }
}

function showOpening(result, recorded) {
  state.opening = result;
  const red = result.items.filter((i) => !i.ok).length;
  const at = branchTime(result.at);
  const summary = $("opening-summary");
  summary.className = `opening-summary ${red ? "state-bad" : "state-ok"}`;
  replace(summary, red ? bi(`${red} 项异常（${at} 检查）`, `${red} ${red === 1 ? "item" : "items"} red (checked ${at})`)
    : bi(`全部正常，共 ${result.items.length} 项（${at} 检查）`, `all ${result.items.length} items green (checked ${at})`),
  recorded ? bi("，已记入工作日志", ", kept in the work log") : null);
  const focusKey = document.activeElement && document.activeElement.dataset.focusKey;
  replaceIfChanged($("opening"), openingRows(result));
  if (focusKey && focusKey.startsWith("slip:") && !document.activeElement.dataset.focusKey) {
    const again = [...$("opening").querySelectorAll("[data-focus-key]")].find((b) => b.dataset.focusKey === focusKey);
    focusFirst(again, $("opening-h"));
  }
}

async function runOpening() {
  const button = $("opening-btn");
  button.disabled = true;
  try {
    showOpening(await api("/api/v1/opening-check", { token: state.token, method: "POST" }), true);
  } catch (err) {
    sayError(err);
  } finally {
    button.disabled = false;
  }
}

/** Once a check is on screen it follows the branch: a fault fixed turns green without a tap. */
const scheduleOpening = debounce(() => {
  if (state.opening) api("/api/v1/opening-check", { token: state.token }).then((r) => showOpening(r, false)).catch(sayError);
}, 1000);

const STORAGE_FAULTS = {
  full: ["磁盘已满，无法取号", "disk full: no new tickets"],
  read_only: ["数据库只读，无法取号", "database read-only: no new tickets"],
  missing: ["数据库文件丢失，无法取号", "database file missing: no new tickets"],
};

/** A row for the host's own database when it takes no writes (what /healthz says). */
async function storageRows() {
  const health = await fetch("/healthz").then((r) => r.json()).catch(() => null);
  if (health && health.database === "ok") return [];
  const [zh, en] = STORAGE_FAULTS[health && health.database] || ["数据库不可达", "database unreachable"];
  return [h("tr", { class: "bad", "data-storage": (health && health.database) || "unreachable" },
    h("td", {}, bi("主机数据库", "host database")),
    h("td", {}, h("span", { class: "state-bad" }, bi(zh, en))),
    h("td", { lang: "en" }, (health && health.detail) || ""), h("td", {}))];
}

async function refresh() {
  const get = (path) => api(path, { token: state.token });
  // The day's appointments: the lobby manager's; a region manager's read-only view has none.
  // In the one Promise.all: a request of its own would reject unhandled with the host down.
  const [noShows, queues, counters, devices, equipment, notices, deadLetters, appointments] =
    await Promise.all([
      get("/api/v1/tickets?status=no_show"), get("/api/v1/queues"), get("/api/v1/counters"),
      get("/api/v1/devices"), get("/api/v1/equipment"), get("/api/v1/notices"),
      state.readOnly ? [] : get("/api/v1/webhooks/dead-letters"),
      state.readOnly ? null : get(`/api/v1/appointments?day=${branchDay()}`)]);
  const storage = await storageRows();
  const focusKey = document.activeElement && document.activeElement.dataset.focusKey;
  replaceIfChanged($("queues"), queueRows(queues));
  replaceIfChanged($("counters"), counterRows(counters));
  replaceIfChanged($("devices"), [...storage, ...deviceRows(devices, equipment)]);
  replaceIfChanged($("noshows"), noShowRows(noShows));
  $("appointments-panel").hidden = appointments === null;
  if (appointments !== null) replaceIfChanged($("appointments"), appointmentRows(appointments, queues));
  replaceIfChanged($("deadletters"), deadLetterRows(deadLetters));
  replaceIfChanged($("notices"), noticeRows(notices));
  [state.queues, state.counters] = [queues, counters];
  showMoves();
  fillServices(queues);
  if (focusKey && !document.activeElement.dataset.focusKey) { // its row was rebuilt or is gone:
    // focus the same button again, or the heading of its table
    const again = [...document.querySelectorAll("[data-focus-key]")].find((b) => b.dataset.focusKey === focusKey);
    focusFirst(again, $(FOCUS_HOMES[focusKey.split(":")[0]]));
  }
  // A call for help not yet answered counts too (the list is help.js's).
  const alerts = document.querySelectorAll("#devices tr.bad, #queues tr.bad, #deadletters tr.bad, #help-list li.open").length;
  const badge = $("alerts");
  badge.className = alerts ? "state-bad" : "state-ok";
  replace(badge, alerts ? bi(`${alerts} 项异常`, alerts === 1 ? "1 alert" : `${alerts} alerts`)
    : bi("一切正常", "all OK"));
}

function figure(id, zh, en, value, note = null) {
  return h("div", { class: "figure", "data-figure": id },
    h("div", { class: "value" }, value), bi(zh, en, "div"), note);
}

const duration = (s) => (s === null || s === undefined ? "—" : clock(s));

/** Appointments kept: of those whose check-in has closed, the share that came (and how many). */
function appointmentsFigure(a) {
  const rate = a.show_rate === null ? "—" : `${Math.round(a.show_rate * 100)}%`;
  return figure("appointments", "预约到场", "appointments kept", rate,
    bi(`${a.checked_in}/${a.booked} 已签到`, `${a.checked_in} of ${a.booked} checked in`, "div"));
}

/** Today's figures and the hourly chart, from the day report (host/insight/reports.py). */
async function loadToday() {
  const [report, advice] = await Promise.all([
    api(`/api/v1/reports/day?date=${branchDay()}`, { token: state.token }),
    api("/api/v1/staffing", { token: state.token })]);
  state.advice = advice;
  showMoves();
  const sat = report.satisfaction;
  replace($("today"),
    figure("served", "已办结", "served", String(report.served)),
    figure("mean", "平均等候", "average wait", duration(report.wait_mean_s)),
    figure("longest", "最长等候", "longest wait", duration(report.wait_max_s)),
    figure("noshows", "过号", "no-shows", String(report.no_shows)),
    appointmentsFigure(report.appointments),
    figure("satisfaction", "满意率", "satisfied",
      sat.rated ? `${Math.round(sat.satisfied_share * 100)}%` : "—",
      bi(`${sat.rated} 条评价`, sat.rated === 1 ? "1 rating" : `${sat.rated} ratings`, "div")));
  const chart = $("day-chart");
  replace(chart, dayChart(report.hours, state.open, chart.clientWidth));
}

let figuresTimer = null;
function scheduleFigures() {
  if (figuresTimer !== null) return;
  figuresTimer = setTimeout(() => {
    figuresTimer = null;
    loadToday().catch(sayError);
  }, FIGURES_EVERY_MS);
}

function fillServices(queues) {
  const select = $("issue-service");
  const chosen = select.value;
  const counterServices = queues.filter((q) => q.kind === "counter");
  if (select.options.length === counterServices.length) return;
  replace(select, counterServices.map((q) =>
    h("option", { value: q.service }, `${q.prefix} · ${q.name_zh} ${q.name_en}`)));
  if (chosen) select.value = chosen;
}

async function perform(work, zh, en) {
  try {
    await work();
    say("info", zh, en);
    await refresh();
  } catch (err) {
    sayError(err);
  }
}

function setEquipment(e, status) {
  return perform(() => api(`/api/v1/equipment/${encodeURIComponent(e.id)}`,
    { token: state.token, method: "PUT", body: { status, note: "" } }),
  `${e.name_zh || e.id} ${status === "in_service" ? "已恢复服务" : "已停用"}`,
  `${e.name_en || e.id} ${status === "in_service" ? "back in service" : "out of service"}`);
}

function reinstate(t) {
  return perform(() => api(`/api/v1/tickets/${encodeURIComponent(t.id)}/reinstate`,
    { token: state.token, method: "POST" }),
  `${t.number} 已恢复，将优先办理`, `${t.number} reinstated, served next`);
}

function retryDelivery(d, zh, en) {
  return perform(() => api(`/api/v1/webhooks/deliveries/${encodeURIComponent(d.id)}/retry`,
    { token: state.token, method: "POST" }), `${d.number} ${zh}将重发`, `${en} for ${d.number} sent again`);
}

function takeSecond(n, a) {
  return perform(() => api(`/api/v1/counters/${n}/second-service`, {
    token: state.token, method: "POST", body: { service: a.service, minutes: SECOND_SERVICE_MINUTES },
  }).then(() => loadToday()), `${n} 号窗口加办${a.name_zh} 1 小时`, `Counter ${n} takes ${a.name_en} for 1 hour`);
}

function endSecond(c, zh, en) {
  return perform(() => api(`/api/v1/counters/${c.number}/second-service`,
    { token: state.token, method: "DELETE" }).then(() => loadToday()),
  `${c.number} 号窗口不再加办${zh}`, `Counter ${c.number} no longer takes ${en}`);
}

function clearNotice(n) {
  return perform(() => api(`/api/v1/notices/${encodeURIComponent(n.id)}`,
    { token: state.token, method: "DELETE" }), "公告已撤下", "Notice cleared");
}

async function issue(event) {
  event.preventDefault();
  const priority = document.querySelector("input[name=priority]:checked").value;
  try {
    const ticket = await api("/api/v1/tickets", {
      token: state.token, method: "POST",
      body: { service: $("issue-service").value, priority },
    });
    if (ticket.route === "self_service") {
      replace($("issued"), bi(ticket.guidance_zh, ticket.guidance_en, "div"));
      return;
    }
    replace($("issued"),
      h("div", { class: "num" }, ticket.number),
      h("div", {}, waitText(ticket.wait)),
      h("a", { href: new URL(ticket.status_url).pathname, target: "_blank", rel: "noopener" },
        bi("客户查询页", "customer status page")));
    await refresh();
  } catch (err) {
    sayError(err);
  }
}

async function postNotice(event) {
  event.preventDefault();
  const body = { text_zh: $("notice-zh").value.trim(), text_en: $("notice-en").value.trim() };
  await perform(() => api("/api/v1/notices", { token: state.token, method: "POST", body }),
    "公告已发布", "Notice posted");
  $("notice-zh").value = "";
  $("notice-en").value = "";
}

const scheduleRefresh = debounce(() => refresh().catch(sayError), 300);

async function start() {
  $("signin").hidden = true;
  $("dashboard").hidden = false;
  $("signout").hidden = false;
  try {
    state.open = openHours((await loadBranch(state.token)).hours);
    // A region manager looks on: every control hidden (the host refuses their writes anyway).
    state.readOnly = (await api("/api/v1/me", { token: state.token })).role === "region-manager";
    document.body.classList.toggle("read-only", state.readOnly);
    await Promise.all([refresh(), loadToday()]);
  } catch (err) {
    sayError(err);
    return;
  }
  // Calls for help: shown as their event arrives, not after the dashboard's refresh.
  state.help = new HelpAlerts({
    list: $("help-list"), announce: $("help-announce"), token: state.token, onError: sayError,
    onChange: (open) => {
      $("help-panel").classList.toggle("alerting", open > 0);
      scheduleRefresh(); // the header's count of alerts
    },
  });
  if (!state.readOnly) await state.help.load().catch(sayError);
  const after = await lastSeq().catch(() => 0);
  const onEvent = (event) => {
    if (state.help.onEvent(event)) return;
    scheduleRefresh();
    scheduleFigures();
    if (event && OPENING_EVENTS.has(event.kind)) scheduleOpening();
  };
  state.stream = new EventStream({
    token: state.token, after, onEvent,
    onOpen: () => { onEvent(); if (!state.readOnly) state.help.load().catch(sayError); },
    onState: (s) => showConnection($("conn"), s),
  });
}

function main() {
  $("issue-form").addEventListener("submit", issue);
  $("notice-form").addEventListener("submit", postNotice);
  $("opening-btn").addEventListener("click", runOpening);
  $("signout").addEventListener("click", () => {
    if (state.stream) state.stream.stop();
    tokens.clear();
    location.reload();
  });
  $("signin").addEventListener("submit", (event) => {
    event.preventDefault();
    tokens.save($("token-input").value.trim());
    $("token-input").value = "";
    state.token = tokens.get();
    start();
  });
  // Waits and heartbeats age with time alone.
  setInterval(() => { if (state.stream) { scheduleRefresh(); scheduleOpening(); } }, 15000);
  setInterval(() => { if (state.stream) scheduleFigures(); }, 60000);
  state.token = tokens.get();
  if (state.token) start();
  else $("signin").hidden = false;
}

main();
