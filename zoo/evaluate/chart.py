"""A small line chart as PNG bytes, drawn with Pillow (already a dependency; matplotlib is not)."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 640, 420
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 80, 24, 60, 64


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2 or 5 × a power of ten apart)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    return [start + i * step for i in range(int(math.ceil((high - start) / step)) + 1)]


def _label(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e5 else f"{value:.1e}"


def line_chart(xs: Sequence[float], ys: Sequence[float | None], title: str, x_label: str, y_label: str) -> bytes:
    """Points (x, y) joined by lines, with axes, ticks and labels; points with y = None are left out."""
    points = [(x, y) for x, y in zip(xs, ys) if y is not None and math.isfinite(y)]
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=13)
    draw.text((WIDTH // 2, 14), title, fill="black", font=font, anchor="mt")
    left, right, top, bottom = MARGIN_LEFT, WIDTH - MARGIN_RIGHT, MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    draw.rectangle((left, top, right, bottom), outline="black")
    x_ticks = _ticks(min(xs), max(xs))
    y_values = [y for _, y in points] or [0.0]
    y_ticks = _ticks(min(y_values), max(y_values))

    def place(x: float, y: float) -> tuple[float, float]:
        px = left + (x - x_ticks[0]) / (x_ticks[-1] - x_ticks[0]) * (right - left)
        py = bottom - (y - y_ticks[0]) / (y_ticks[-1] - y_ticks[0]) * (bottom - top)
        return px, py

    for x in x_ticks:
        px, _ = place(x, y_ticks[0])
        draw.line((px, bottom, px, bottom + 5), fill="black")
        draw.text((px, bottom + 8), _label(x), fill="black", font=font, anchor="mt")
    for y in y_ticks:
        _, py = place(x_ticks[0], y)
        draw.line((left, py, right, py), fill=(225, 225, 225))
        draw.line((left - 5, py, left, py), fill="black")
        draw.text((left - 8, py), _label(y), fill="black", font=font, anchor="rm")
    draw.text(((left + right) // 2, HEIGHT - 18), x_label, fill="black", font=font, anchor="mb")
    draw.text((8, top - 26), y_label, fill="black", font=font, anchor="lt")
    placed = [place(x, y) for x, y in points]
    if len(placed) > 1:
        draw.line(placed, fill=(31, 119, 180), width=2)
    for px, py in placed:
        draw.ellipse((px - 4, py - 4, px + 4, py + 4), fill=(31, 119, 180))
    buffer = io.BytesIO()
    image.save(buffer, format="png")
    return buffer.getvalue()
