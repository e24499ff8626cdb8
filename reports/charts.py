"""Server-side SVG charts: geometry computed here, drawn by templates/reports/_bars.html and _line.html.

No JavaScript and no CDN: the page arrives with its charts drawn, on a closed township network and on a
360 px phone (the SVG scales to its container through its viewBox). Every chart sits next to a table with
the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 340  # viewBox width: one unit ≈ one CSS pixel on a 360 px phone
ROW = 30
LABEL_WIDTH = 120


@dataclass
class Bar:
    label: str
    value: float
    text: str
    y: float
    width: float
    text_y: float
    text_x: float


@dataclass
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    bar_x: int
    bar_height: int
    title: str


def bar_chart(
    items: list[tuple[str, float | int | None]], *, title: str = "", percent: bool = False
) -> BarChart:
    """Horizontal bars (long Chinese labels fit on the left); `percent` takes shares 0..1."""
    values = [float(v or 0) for _, v in items]
    top = 1.0 if percent else max(values + [0.0]) or 1.0
    span = WIDTH - LABEL_WIDTH - 40
    bars = []
    for index, ((label, raw), value) in enumerate(zip(items, values, strict=True)):
        y = index * ROW + 4
        width = span * value / top if top else 0
        text = "—" if raw is None else (f"{value * 100:.0f}%" if percent else f"{raw:g}")
        bars.append(
            Bar(
                label=str(label),
                value=value,
                text=text,
                y=y,
                width=round(width, 1),
                text_y=y + ROW / 2 + 1,
                text_x=round(LABEL_WIDTH + width + 4, 1),
            )
        )
    return BarChart(bars, WIDTH, len(items) * ROW + 8, LABEL_WIDTH, ROW - 10, title)


@dataclass
class LineChart:
    points: str
    dots: list[dict]
    width: int
    height: int
    baseline: float
    title: str


def line_chart(items: list[tuple[str, int]], *, title: str = "", height: int = 150) -> LineChart:
    """A line over months (label under each point, value above it)."""
    top = max([v for _, v in items] + [0]) or 1
    left, right, bottom, upper = 14, 14, 28, 20
    span_x = WIDTH - left - right
    span_y = height - bottom - upper
    step = span_x / max(len(items) - 1, 1)
    dots = []
    for index, (label, value) in enumerate(items):
        x = left + (index * step if len(items) > 1 else span_x / 2)
        y = upper + span_y * (1 - value / top)
        dots.append(
            {
                "x": round(x, 1),
                "y": round(y, 1),
                "label": label,
                "value": value,
                # Month labels only where they fit: every label up to 6 points, else every other one.
                "show_label": len(items) <= 6 or index % 2 == 0,
            }
        )
    points = " ".join(f"{d['x']},{d['y']}" for d in dots)
    return LineChart(points, dots, WIDTH, height, height - bottom, title)
