"""The day chart as a PNG, drawn with Pillow (already a host dependency; no plotting library).

Top: tickets issued per hour, stacked by service. Bottom: the 90th-percentile wait of the
customers who arrived in that hour, with the three-minute line that matters to them.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from branchq.host.insight.reports import LONG_WAIT_S

WIDTH, HEIGHT = 900, 560
MARGIN_L, MARGIN_R, MARGIN_T = 70, 150, 40
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
FONT_PATHS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
              "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_PATHS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default()


def day_chart(report: dict[str, Any]) -> bytes:
    img = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(img)
    font, title = _font(13), _font(17)
    hours = report["hours"] or [{"hour": 9, "tickets": {}, "wait_p90_s": None}]
    services = list(report["services"])
    draw.text((MARGIN_L, 10), f"{report.get('branch', '')}  {report['day']}: "
              f"{report['tickets']} tickets", fill="black", font=title)
    plot_w = WIDTH - MARGIN_L - MARGIN_R
    slot = plot_w / len(hours)
    # --- tickets per hour, stacked
    top, bottom = MARGIN_T + 10, 290
    peak = max(sum(h["tickets"].values()) for h in hours) or 1
    _axis(draw, top, bottom, peak, "tickets / hour", font)
    for i, h in enumerate(hours):
        x0 = MARGIN_L + i * slot + slot * 0.15
        y = float(bottom)
        for j, service in enumerate(services):
            n = h["tickets"].get(service, 0)
            height = (bottom - top) * n / peak
            if n:
                draw.rectangle((x0, y - height, x0 + slot * 0.7, y), fill=COLOURS[j % len(COLOURS)])
            y -= height
        draw.text((x0 + slot * 0.2, bottom + 4), f"{h['hour']:02d}", fill="black", font=font)
    for j, service in enumerate(services):
        y = top + j * 20
        draw.rectangle((WIDTH - MARGIN_R + 15, y, WIDTH - MARGIN_R + 29, y + 14),
                       fill=COLOURS[j % len(COLOURS)])
        draw.text((WIDTH - MARGIN_R + 35, y), service, fill="black", font=font)
    # --- p90 wait per hour of arrival
    top, bottom = 340, HEIGHT - 40
    waits = [h.get("wait_p90_s") or 0 for h in hours]
    peak_min = max(max(waits) / 60, LONG_WAIT_S / 60 * 1.5)
    _axis(draw, top, bottom, peak_min, "p90 wait (min)", font)
    line_y = bottom - (bottom - top) * (LONG_WAIT_S / 60) / peak_min
    draw.line((MARGIN_L, line_y, WIDTH - MARGIN_R, line_y), fill="#d62728", width=1)
    draw.text((WIDTH - MARGIN_R + 8, line_y - 8), "3 min", fill="#d62728", font=font)
    points = [(MARGIN_L + (i + 0.5) * slot, bottom - (bottom - top) * w / 60 / peak_min)
              for i, w in enumerate(waits)]
    if len(points) > 1:
        draw.line(points, fill="#1f77b4", width=3)
    for x, y in points:
        draw.ellipse((x - 4, y - 4, x + 4, y + 4), fill="#1f77b4")
    for i, h in enumerate(hours):
        draw.text((MARGIN_L + i * slot + slot * 0.35, bottom + 4), f"{h['hour']:02d}",
                  fill="black", font=font)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _axis(draw: ImageDraw.ImageDraw, top: float, bottom: float, peak: float, label: str,
          font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> None:
    draw.line((MARGIN_L, top, MARGIN_L, bottom), fill="black")
    draw.line((MARGIN_L, bottom, WIDTH - MARGIN_R, bottom), fill="black")
    for k in range(5):
        value = peak * k / 4
        y = bottom - (bottom - top) * k / 4
        draw.line((MARGIN_L - 4, y, MARGIN_L, y), fill="black")
        draw.text((8, y - 7), f"{value:.0f}", fill="black", font=font)
    draw.text((8, top - 22), label, fill="black", font=font)
