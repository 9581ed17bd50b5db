// Shared by every branchq screen: DOM building, tokens, API calls, the event stream, formats.
// Plain ES modules served by the host (no build step, nothing from the internet).

/** Build an element: h("td", {class: "x"}, "text", child). Text is never parsed as HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Both languages side by side: Chinese first, English after. */
export function bi(zh, en, tag = "span") {
  return h(tag, { class: "bi" }, h("span", { lang: "zh", class: "zh" }, zh), " ",
    h("span", { lang: "en", class: "en" }, en));
}

export function $(id) {
  return document.getElementById(id);
}

export function replace(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
}

/**
 * Replace el's children only if the new ones differ: an unchanged table keeps its rows, so the
 * button under the user's pointer or focus is not swapped for a copy between press and release.
 */
export function replaceIfChanged(el, ...children) {
  const next = document.createElement(el.tagName);
  replace(next, ...children);
  if (next.innerHTML !== el.innerHTML) el.replaceChildren(...next.childNodes);
}

/**
 * Move focus to the first candidate a user can reach (shown, not disabled): used when the
 * focused control hides or disables itself, so focus never falls back to <body> (WCAG 2.4.3).
 */
export function focusFirst(...candidates) {
  for (const el of candidates) {
    if (el && !el.disabled && el.getClientRects().length) {
      el.focus();
      return el;
    }
  }
  return null;
}

/**
 * The credential of one screen, kept in localStorage. A new one may arrive once in the URL
 * fragment (#token=...&counter=3): the fragment never reaches the server, and it is removed
 * from the address bar at once so it does not linger in history or on screen.
 */
export class TokenStore {
  constructor(key) {
    this.key = `branchq.${key}`;
    this.extra = {};
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (fragment.has("token")) {
      this.save(fragment.get("token").trim());
      for (const [k, v] of fragment) if (k !== "token") this.extra[k] = v;
      history.replaceState(null, "", location.pathname + location.search);
    }
  }
  get() {
    return localStorage.getItem(this.key) || "";
  }
  save(token) {
    localStorage.setItem(this.key, token);
  }
  clear() {
    localStorage.removeItem(this.key);
  }
}

export class ApiError extends Error {
  constructor(status, error, detail) {
    super(typeof detail === "string" ? detail : `${status} ${error}`);
    this.status = status;
    this.error = error;
    this.detail = detail;
  }
}

/**
 * The branch a page is addressed to on a region host (``/b/{branch}/hall``, docs/deploy.md):
 * its API calls and event stream go under the same prefix. "" on a branch's own host.
 */
export const apiBase = (location.pathname.match(/^\/b\/[a-z0-9][a-z0-9-]*(?=\/)/) || [""])[0];

/** Server time minus local time (ms), from the Date header: the TV's clock may be wrong. */
export let serverOffsetMs = 0;

/** Call the API; resolves to parsed JSON (or null for 204), rejects with ApiError. */
export async function api(path, { token = "", method = "GET", body = undefined } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(apiBase + path, {
      method, headers, cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, "network", "主机无法连接 / host unreachable");
  }
  const date = Date.parse(response.headers.get("date") || "");
  if (!Number.isNaN(date)) serverOffsetMs = date - Date.now();
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : null;
  if (!response.ok) {
    const detail = data && data.detail !== undefined ? data.detail : response.statusText;
    throw new ApiError(response.status, (data && data.error) || "error", detailText(detail));
  }
  return data;
}

function detailText(detail) {
  if (Array.isArray(detail)) return detail.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("; ");
  return typeof detail === "string" ? detail : JSON.stringify(detail);
}

/** The sequence number of the last stored event: where a fresh screen starts its stream. */
export async function lastSeq() {
  const health = await api("/healthz");
  return health.last_seq || 0;
}

/**
 * The host's event WebSocket, kept open all day. The token travels in the subprotocol list
 * (never in a URL); after any drop it reconnects with after=SEQ and so catches up on what it
 * missed. Callbacks: onEvent(event), onOpen() (refresh snapshots), onState("online"|"offline"|
 * "denied").
 */
export class EventStream {
  constructor({ token, after, onEvent, onOpen = () => {}, onState = () => {} }) {
    Object.assign(this, { token, seq: after, onEvent, onOpen, onState });
    this.delay = 500;
    this.ws = null;
    this.stopped = false;
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}${apiBase}/api/v1/events?after=${this.seq}`;
    const ws = new WebSocket(url, ["branchq", this.token]);
    this.ws = ws;
    ws.onopen = () => {
      this.delay = 500;
      this.onState("online");
      this.onOpen();
    };
    ws.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.seq <= this.seq) return;
      this.seq = event.seq;
      this.onEvent(event);
    };
    ws.onclose = (close) => {
      if (this.ws !== ws) return;
      let wait = this.delay;
      if (close.code === 4401) {
        this.onState("denied");
        wait = 30000; // a revoked token: try again now and then, a new one may be stored
      } else {
        this.onState("offline");
        this.delay = Math.min(this.delay * 2, 4000);
      }
      this.timer = setTimeout(() => this.connect(), wait);
    };
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
  }
}

/** Run fn at most once per `ms`, the last call winning: many events, one refresh. */
export function debounce(fn, ms) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

/**
 * A wait exactly as the host words it (``wait`` of a ticket or queue, made by
 * host/insight/wait_text.py): people ahead and the estimate, both languages, never re-worded here.
 */
export function waitText(wait) {
  const el = bi(wait.text_zh, wait.text_en);
  el.classList.add("wait-text");
  return el;
}

/** Elapsed time as m:ss or h:mm:ss. */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n) => String(n).padStart(2, "0");
  const hours = Math.floor(s / 3600);
  const rest = `${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return hours ? `${hours}:${rest}` : rest.replace(/^0/, "");
}

export function secondsSince(iso) {
  return (Date.now() + serverOffsetMs - Date.parse(iso)) / 1000;
}

/** The branch's time zone (``[branch] timezone``); null until a page has read it. */
let branchZone = null;

/** Read the branch's time zone once (any staff or display token): every time shown on a page is
 * branch time, whatever the zone of the TV, tablet or PC showing it. */
export async function loadBranch(token) {
  const branch = await api("/api/v1/branch", { token });
  branchZone = branch.timezone;
  return branch;
}

/** Now, by the host's clock (the device's own clock may be wrong). */
export function hostNow() {
  return new Date(Date.now() + serverOffsetMs);
}

/** "09:05" in branch time, or "" while the branch's zone is not known yet (never a wrong time). */
export function branchTime(at = hostNow()) {
  if (!branchZone) return "";
  return new Date(at).toLocaleTimeString("zh-CN", {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: branchZone,
  });
}

/** Today's date in the branch, YYYY-MM-DD (the business day reports are kept by). */
export function branchDay(at = hostNow()) {
  return new Intl.DateTimeFormat("en-CA", {
    year: "numeric", month: "2-digit", day: "2-digit", timeZone: branchZone || undefined,
  }).format(new Date(at));
}

/** A small online/offline badge for the page header. */
export function showConnection(el, state) {
  el.className = `conn ${state}`;
  const labels = {
    online: bi("已连接", "live"),
    offline: bi("重新连接中…", "reconnecting…"),
    denied: bi("凭证无效", "token rejected"),
  };
  replace(el, labels[state]);
}
