// The region view (host/region.py): every branch's live figures for the region manager, with a
// read-only drill-in to each branch's lobby dashboard (/b/{branch}/lobby).
import { $, api, bi, clock, h, replace, replaceIfChanged, showConnection, TokenStore } from "./common.js";

// The lobby dashboard under /b/{branch}/ reads its credential from the same store (lobby.js).
const tokens = new TokenStore("region");
const REFRESH_MS = 10000;
const LONG_WAIT_S = 15 * 60; // as the lobby dashboard marks a long wait
const state = { token: "", timer: null };

function deny(err) {
  clearInterval(state.timer);
  tokens.clear();
  $("dashboard").hidden = true;
  $("signout").hidden = true;
  $("signin").hidden = false;
  replace($("signin-error"),
    bi("区域看板需要区域经理凭证。", "The region view needs a region manager token.", "div"),
    h("div", { class: "en", lang: "en" }, err.message));
}

function row(b) {
  const level = b.longest_wait_s > 2 * LONG_WAIT_S ? "bad" : b.longest_wait_s > LONG_WAIT_S ? "warn" : "";
  const faults = b.devices_in_fault > 0 ? "bad" : "";
  const satisfied = b.satisfaction === null ? "—" : `${Math.round(b.satisfaction * 100)}%`;
  return h("tr", { class: level || faults, "data-branch": b.branch },
    h("th", { scope: "row" }, bi(b.name_zh, b.name_en)),
    h("td", { class: "num", "data-figure": "waiting" }, String(b.waiting)),
    h("td", { class: "num", "data-figure": "longest" }, b.waiting ? clock(b.longest_wait_s) : "—"),
    h("td", { class: "num", "data-figure": "open" }, `${b.counters_open} / ${b.counters}`),
    h("td", { class: `num ${faults}`, "data-figure": "faults" }, String(b.devices_in_fault)),
    h("td", { class: "num", "data-figure": "satisfied" }, satisfied,
      b.rated ? h("span", { class: "visually-hidden" },
        bi(`（${b.rated} 条评价）`, b.rated === 1 ? " (1 rating)" : ` (${b.rated} ratings)`)) : null),
    h("td", {}, h("a", { href: b.lobby },
      bi(`${b.name_zh} 大堂`, `${b.name_en} lobby`))));
}

async function refresh() {
  let branches;
  try {
    branches = await api("/api/v1/region/branches", { token: state.token });
  } catch (err) {
    if (err.status === 401 || err.status === 403) return deny(err);
    showConnection($("conn"), "offline");
    return;
  }
  showConnection($("conn"), "online");
  replaceIfChanged($("branches"), branches.map(row));
  const alerts = branches.filter((b) => b.devices_in_fault > 0 || b.longest_wait_s > 2 * LONG_WAIT_S).length;
  const badge = $("alerts");
  badge.className = alerts ? "state-bad" : "state-ok";
  replace(badge, alerts ? bi(`${alerts} 个网点异常`, alerts === 1 ? "1 branch to look at" : `${alerts} branches to look at`)
    : bi("一切正常", "all OK"));
  // The branches of a region may keep different time zones: the time is this screen's own.
  const at = new Date().toLocaleTimeString("zh-CN", { hourCycle: "h23" });
  replace($("updated"), bi(`${branches.length} 个网点，更新于 ${at}`,
    `${branches.length} branches, updated ${at}`));
}

function start() {
  $("signin").hidden = true;
  $("dashboard").hidden = false;
  $("signout").hidden = false;
  refresh();
  state.timer = setInterval(refresh, REFRESH_MS);
}

function main() {
  $("signout").addEventListener("click", () => {
    tokens.clear();
    location.reload();
  });
  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    tokens.save($("token-input").value.trim());
    $("token-input").value = "";
    state.token = tokens.get();
    start();
  });
  state.token = tokens.get();
  if (state.token) start();
  else $("signin").hidden = false;
}

main();
