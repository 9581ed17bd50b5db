// Today's hourly chart for the lobby dashboard: arrivals per hour as bars, the average wait of
// those arrivals as a line. Inline SVG built here from the day report's ``hours`` (no library, no
// CDN, nothing the page's Content-Security-Policy would have to allow).
import { h } from "./common.js";

const SVG = "http://www.w3.org/2000/svg";
const H = 250;
const LEFT = 40;
const RIGHT = 40;
const TOP = 46;
const BOTTOM = 28;
const LABEL_PX = 26; // room an hour's label needs under the axis

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  for (const child of children) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

/** A round top for an axis: 1, 2, 5 or 10 times a power of ten, at least ``value``. */
function niceMax(value) {
  if (value <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * step).find((v) => v >= value);
}

/** Opening hours "09:00-17:00" as the hours of the day they cover: [9, 16]. */
export function openHours(text) {
  const m = /^(\d{2}):\d{2}-(\d{2}):(\d{2})$/.exec(text || "");
  if (!m) return null;
  const close = Number(m[2]) - (m[3] === "00" ? 1 : 0);
  return [Number(m[1]), Math.max(Number(m[1]), close)];
}

/**
 * The chart for ``hours`` (rows of host/insight/reports.py: hour, tickets per service,
 * wait_mean_s of the customers who arrived in that hour) over the opening hours ``span``
 * ([first, last] hour; widened to every hour with arrivals). An empty day gets a sentence instead.
 */
export function dayChart(hours, span = null, width = 640) {
  const W = Math.max(300, Math.round(width)); // drawn at the size shown: text stays legible
  if (!hours.length) {
    return h("p", { class: "chart-empty" }, h("span", { lang: "zh" }, "今天还没有到达的客户"), " ",
      h("span", { lang: "en", class: "en" }, "No arrivals yet today"));
  }
  const first = Math.min(hours[0].hour, span ? span[0] : 24);
  const last = Math.max(hours[hours.length - 1].hour, span ? span[1] : -1);
  const byHour = new Map(hours.map((row) => [row.hour, row]));
  const slots = [];
  for (let hour = first; hour <= last; hour += 1) {
    const row = byHour.get(hour);
    const arrivals = row ? Object.values(row.tickets).reduce((a, b) => a + b, 0) : 0;
    const waitMin = row && row.wait_mean_s !== null && row.wait_mean_s !== undefined
      ? row.wait_mean_s / 60 : null;
    slots.push({ hour, arrivals, waitMin });
  }
  const maxArrivals = niceMax(Math.max(...slots.map((x) => x.arrivals)));
  const maxWait = niceMax(Math.max(1, ...slots.map((x) => x.waitMin || 0)));
  const plotW = W - LEFT - RIGHT;
  const plotH = H - TOP - BOTTOM;
  const slotW = plotW / slots.length;
  const y = (value, max) => TOP + plotH - (value / max) * plotH;

  const summary = slots.map((x) => `${x.hour}:00 ${x.arrivals} / ${x.waitMin === null ? "—" : `${x.waitMin.toFixed(1)} min`}`).join("; ");
  const svg = s("svg", {
    viewBox: `0 0 ${W} ${H}`, role: "img", class: "day-chart",
    "aria-label": `每小时到达人数与平均等候 Arrivals and average wait per hour: ${summary}`,
  });
  svg.append(
    s("line", { x1: LEFT, y1: TOP + plotH, x2: W - RIGHT, y2: TOP + plotH, class: "axis" }),
    s("text", { x: LEFT - 6, y: TOP + 4, class: "tick", "text-anchor": "end" }, maxArrivals),
    s("text", { x: LEFT - 6, y: TOP + plotH, class: "tick", "text-anchor": "end" }, 0),
    s("text", { x: W - RIGHT + 6, y: TOP + 4, class: "tick wait" }, `${maxWait}′`),
    s("text", { x: LEFT, y: 14, class: "legend arrivals" }, "■ 到达人数 arrivals"),
    s("text", { x: LEFT, y: 32, class: "legend wait" }, "● 平均等候（分钟） average wait (min)"),
  );
  const labelEvery = Math.ceil(LABEL_PX / slotW);
  const points = [];
  slots.forEach((x, i) => {
    const left = LEFT + i * slotW;
    const top = y(x.arrivals, maxArrivals);
    const bar = s("rect", {
      x: left + slotW * 0.15, y: top, width: slotW * 0.7, height: TOP + plotH - top,
      class: "bar", "data-hour": x.hour, "data-arrivals": x.arrivals,
    });
    bar.append(s("title", {}, `${x.hour}:00 到达 ${x.arrivals} 人 / ${x.arrivals} arrivals`));
    svg.append(bar);
    if ((x.hour - first) % labelEvery === 0) {
      svg.append(s("text", { x: left + slotW / 2, y: H - 10, class: "tick", "text-anchor": "middle" }, x.hour));
    }
    if (x.waitMin !== null) points.push([left + slotW / 2, y(x.waitMin, maxWait), x]);
  });
  if (points.length > 1) {
    svg.append(s("polyline", { points: points.map(([px, py]) => `${px},${py}`).join(" "), class: "wait-line" }));
  }
  for (const [px, py, x] of points) {
    const dot = s("circle", { cx: px, cy: py, r: 4, class: "wait-dot", "data-hour": x.hour });
    dot.append(s("title", {}, `${x.hour}:00 平均等候 ${x.waitMin.toFixed(1)} 分钟 / average wait ${x.waitMin.toFixed(1)} min`));
    svg.append(dot);
  }
  return svg;
}
