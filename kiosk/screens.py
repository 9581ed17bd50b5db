"""Kiosk screens drawn with Pillow from their :class:`~branchq.kiosk.layout.Layout`.

A :class:`Frame` is the image for the framebuffer together with the layout it was drawn from, so
a tap is looked up in the very rectangles that were drawn. Nothing here talks to a device or the
host.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from branchq.kiosk.layout import WHITE, Label, Layout, Panel, Typesetter, layout_screen
from branchq.kiosk.views import Assist, View


@dataclass
class Frame:
    name: str
    image: Image.Image
    layout: Layout

    def button_at(self, x: int, y: int) -> str | None:
        return self.layout.target_at(x, y)


class ScreenRenderer:
    """Lays out and draws frames for one panel."""

    def __init__(self, panel: Panel, font_path: Path) -> None:
        self.panel = panel
        self.typesetter = Typesetter(font_path)

    def layout(self, view: View, lang: str, page: int = 0, assist: Assist | None = None
               ) -> Layout:
        return layout_screen(view, lang, self.panel, self.typesetter, page, assist)

    def frame(self, view: View, lang: str, page: int = 0, assist: Assist | None = None) -> Frame:
        layout = self.layout(view, lang, page, assist)
        return Frame(layout.name, self.draw(layout), layout)

    def draw(self, layout: Layout) -> Image.Image:
        image = Image.new("RGB", (layout.width, layout.height), layout.background)
        draw = ImageDraw.Draw(image)
        radius = round(12 * self.panel.unit)
        for box, color in layout.bands:
            draw.rectangle(_inclusive(box), fill=color)
        for target in layout.targets:
            draw.rounded_rectangle(_inclusive(target.box), radius=radius, fill=target.color,
                                   outline=WHITE, width=2)
            for label in target.labels:
                self.draw_label(draw, label)
        for label in layout.labels:
            self.draw_label(draw, label)
        return image

    def draw_label(self, draw: ImageDraw.ImageDraw, label: Label) -> None:
        x0, y0, x1, y1 = label.box
        draw.text(((x0 + x1) / 2, (y0 + y1) / 2), label.text, fill=label.color,
                  font=self.typesetter.font(label.size), anchor="mm")


def _inclusive(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """Layout boxes are half-open (x1, y1 excluded, as in hit tests); Pillow's are inclusive."""
    x0, y0, x1, y1 = box
    return x0, y0, x1 - 1, y1 - 1
