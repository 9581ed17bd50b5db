// Calls for help from the kiosks (需要帮助): the lobby dashboard's list and the manager's phone
// page (/lobby/help) both show them with this module — which kiosk, the screen it was on, the
// time of the press — with "On my way" (the kiosk then says 工作人员马上到 / Staff are on their
// way) and "Helped" (the call is closed). It follows the event stream the page already reads.
import { api, bi, branchTime, focusFirst, h, replace, replaceIfChanged } from "./common.js";

// The kiosk's screens (kiosk/app.py), in the words of the hall.
const SCREENS = {
  home: ["首页", "home screen"], green_confirm: ["绿色通道", "green channel"],
  ticket: ["取票", "ticket"], guidance: ["自助指引", "self-service guidance"],
  message: ["提示", "a message"], out_of_service: ["暂停取号", "tickets paused"],
  closed: ["停止营业", "branch closed"], code: ["预约签到", "appointment code"],
  printing: ["出票中", "printing"], help: ["求助", "help"],
};

export const HELP_EVENTS = new Set(["help_requested", "help_acknowledged", "help_closed"]);

export class HelpAlerts {
  /** ``list``: the <ul> to fill; ``announce``: a role=alert element that says each new call. */
  constructor({ list, announce, token, onError, onChange = () => {} }) {
    Object.assign(this, { list, announce, token, onError, onChange });
    this.alerts = new Map();
  }

  /** The open calls, from the host (at start and after every reconnect). */
  async load() {
    const open = await api("/api/v1/help", { token: this.token });
    this.alerts = new Map(open.map((a) => [a.id, a]));
    this.render();
  }

  /** An event of the stream; true when it was about a call for help. */
  onEvent(event) {
    if (!event || !HELP_EVENTS.has(event.kind)) return false;
    const d = event.data || {};
    if (event.kind === "help_requested") {
      this.alerts.set(d.id, { id: d.id, kiosk: d.kiosk, screen: d.screen, requested_at: d.requested_at, state: "open" });
      const [zh, en] = screenName(d.screen);
      replace(this.announce, h("span", { lang: "en" }, d.kiosk), ` 取号机需要帮助（${zh}）。`,
        h("span", { lang: "en" }, `Help needed at kiosk ${d.kiosk} (${en}).`));
    } else if (event.kind === "help_acknowledged") {
      const alert = this.alerts.get(d.id);
      if (alert) alert.state = "acknowledged";
    } else {
      this.alerts.delete(d.id);
    }
    this.render();
    return true;
  }

  render() {
    const focusKey = document.activeElement && document.activeElement.dataset.focusKey;
    const alerts = [...this.alerts.values()].sort((a, b) => a.requested_at.localeCompare(b.requested_at));
    replaceIfChanged(this.list, alerts.length ? alerts.map((a) => this.row(a))
      : h("li", { class: "help-none" }, bi("暂无求助", "no calls for help")));
    if (focusKey && focusKey.startsWith("help:") && !document.activeElement.dataset.focusKey) {
      const id = focusKey.split(":")[2];
      const again = [...this.list.querySelectorAll("button")].find((b) => b.dataset.focusKey.split(":")[2] === id);
      focusFirst(again, this.list.querySelector("button"), this.list.closest("section").querySelector("h2, h1"));
    }
    this.onChange(alerts.length);
  }

  row(a) {
    const [zh, en] = screenName(a.screen);
    const at = branchTime(a.requested_at);
    const acked = a.state === "acknowledged";
    return h("li", { class: `help-alert ${acked ? "acknowledged" : "open"}`, "data-help": a.id, "data-kiosk": a.kiosk },
      h("strong", {}, h("span", { lang: "en" }, a.kiosk), " · ", bi(`取号机，${zh}`, `kiosk, ${en}`)),
      h("div", { class: "help-time" }, bi(`${at} 按下求助`, `pressed at ${at}`)),
      h("div", { class: acked ? "state-ok" : "state-bad" },
        acked ? bi("已回应，工作人员在路上", "acknowledged: staff on the way") : bi("等待回应", "waiting for an answer")),
      h("div", { class: "help-actions" },
        acked ? null : this.button(a, "ack", ["我马上到", "On my way"], ""),
        this.button(a, "close", ["已解决", "Helped"], "secondary")));
  }

  /** A call's button: its words, and for screen readers which kiosk's call it answers. */
  button(a, action, [zh, en], cls) {
    return h("button", {
      type: "button", class: cls, "data-action": action, "data-focus-key": `help:${action}:${a.id}`,
      onclick: () => this.act(a, action),
    }, h("span", { lang: "zh" }, zh, h("span", { class: "visually-hidden" }, "：",
      h("span", { lang: "en" }, a.kiosk), " 取号机")), " ",
    h("span", { lang: "en", class: "en" }, en, h("span", { class: "visually-hidden" }, `: kiosk ${a.kiosk}`)));
  }

  async act(a, action) {
    try {
      const answer = await api(`/api/v1/help/${encodeURIComponent(a.id)}/${action}`, { token: this.token, method: "POST" });
      if (answer.state === "closed") this.alerts.delete(a.id);
      else this.alerts.set(a.id, answer);
      this.render();
    } catch (err) {
      this.onError(err);
    }
  }
}

function screenName(screen) {
  return SCREENS[screen] || [screen, screen];
}
