// The lobby manager's phone page (/lobby/help): only the kiosks' calls for help, to answer them
// from anywhere in the hall. A page of its own rather than the lobby dashboard on a phone: the
// dashboard's tables and charts are for a tablet; a phone needs the call at once and one tap.
import { $, bi, EventStream, h, lastSeq, loadBranch, replace, showConnection, TokenStore } from "./common.js";
import { HelpAlerts } from "./help.js";

const tokens = new TokenStore("manager");
let stream = null;

function say(kind, zh, en) {
  const box = $("message");
  box.className = `message ${kind}`;
  replace(box, bi(zh, en));
}

function deny(err) {
  if (stream) stream.stop();
  tokens.clear();
  $("dashboard").hidden = true;
  $("signout").hidden = true;
  $("signin").hidden = false;
  replace($("signin-error"), bi("求助页需要大堂经理凭证。", "The help page needs a manager token.", "div"),
    h("div", { class: "en", lang: "en" }, err.message)); // the host's reason is English
}

function sayError(err) {
  if (err.status === 401 || err.status === 403) return deny(err);
  if (err.status === 0) return say("error", "主机无法连接", "host unreachable");
  return say("error", "操作失败", `${err.message} (${err.status} ${err.error})`);
}

async function start(token) {
  $("signin").hidden = true;
  $("dashboard").hidden = false;
  $("signout").hidden = false;
  const alerts = new HelpAlerts({ list: $("help-list"), announce: $("help-announce"), token, onError: sayError });
  try {
    await loadBranch(token); // the branch's time zone: a call's time is branch time
    await alerts.load();
  } catch (err) {
    sayError(err);
    return;
  }
  const after = await lastSeq().catch(() => 0);
  stream = new EventStream({
    token, after, onEvent: (event) => alerts.onEvent(event),
    onOpen: () => alerts.load().catch(sayError), onState: (s) => showConnection($("conn"), s),
  });
}

function main() {
  $("signout").addEventListener("click", () => {
    if (stream) stream.stop();
    tokens.clear();
    location.reload();
  });
  $("signin").addEventListener("submit", (event) => {
    event.preventDefault();
    tokens.save($("token-input").value.trim());
    $("token-input").value = "";
    start(tokens.get());
  });
  const token = tokens.get();
  if (token) start(token);
  else $("signin").hidden = false;
}

main();
