"""Server-side SVG charts: geometry and markup computed here; a template shows a chart as `{{ chart }}`.

No JavaScript and no CDN: the page arrives with its charts drawn, on a closed township network and on a
360 px phone (the SVG scales to its container through its viewBox). Every chart sits next to a table with
the same numbers.

The markup is written here rather than in an included template: a town's dashboard draws about seventy
bars, seven values each, and the template engine took ≈ 8 ms of CPU a request to render them one variable
at a time. Values go out as a template would print them: numbers localized (`localize`), text escaped.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.formats import get_format, localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator


def _out(value) -> str:
    """A value as `{{ value }}` prints it: localized, then escaped."""
    return conditional_escape(localize(value))


def _printer():
    """`_out` for the active language, with a short way for plain ints and floats (a chart has hundreds):
    what `localize` makes of them without thousand separators (the digits, the decimal separator), without
    its per-value format lookups. Anything else, and every value when separators are on, goes through `_out`."""
    if settings.USE_THOUSAND_SEPARATOR:
        return _out
    separator = get_format("DECIMAL_SEPARATOR")

    def out(value) -> str:
        if type(value) is int:
            return str(value)
        if type(value) is float:
            text = repr(value)
            if text[-1].isdigit() and "e" not in text:  # not 1e+16, inf or nan
                return conditional_escape(text.replace(".", separator))
        return _out(value)

    return out


def _add(value, offset: int):
    """The `add` filter on a number: `int(value) + offset` (a float is truncated, as the filter does)."""
    return int(value) + offset


def _figure(chart, body: list[str], out) -> SafeString:
    title = out(chart.title)
    caption = f"<figcaption>{title}</figcaption>" if chart.title else ""
    return mark_safe(
        f'<figure class="chart">\n  {caption}\n  <svg viewBox="0 0 {out(chart.width)} {out(chart.height)}" '
        f'role="img" aria-label="{title}" class="chart-svg">\n{"".join(body)}\n  </svg>\n</figure>\n'
    )


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

    def __html__(self) -> SafeString:
        out = _printer()
        label_x = out(_add(self.bar_x, -6))
        bar_x, bar_height = out(self.bar_x), out(self.bar_height)
        body = ["    "]
        for bar in self.bars:
            text_y = out(bar.text_y)
            body.append(
                f'\n    <text x="{label_x}" y="{text_y}" class="chart-label" text-anchor="end">'
                f"{conditional_escape(Truncator(bar.label).chars(9))}</text>"
                f'\n    <rect x="{bar_x}" y="{out(bar.y)}" width="{out(bar.width)}" height="{bar_height}" '
                f'class="chart-bar"></rect>'
                f'\n    <text x="{out(bar.text_x)}" y="{text_y}" class="chart-value">{out(bar.text)}</text>\n    '
            )
        return _figure(self, body, out)

    __str__ = __html__


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

    def __html__(self) -> SafeString:
        out = _printer()
        baseline = out(self.baseline)
        body = [
            f'    <line x1="0" x2="{out(self.width)}" y1="{baseline}" y2="{baseline}" class="chart-axis"></line>'
            f'\n    <polyline points="{out(self.points)}" class="chart-line"></polyline>\n    '
        ]
        label_y = out(_add(self.baseline, 16))
        for dot in self.dots:
            x = out(dot["x"])
            label = (
                f'<text x="{x}" y="{label_y}" class="chart-label" text-anchor="middle">{out(dot["label"])}</text>'
                if dot["show_label"]
                else ""
            )
            body.append(
                f'\n    <circle cx="{x}" cy="{out(dot["y"])}" r="3" class="chart-dot"></circle>'
                f'\n    <text x="{x}" y="{out(_add(dot["y"], -6))}" class="chart-value" text-anchor="middle">'
                f"{out(dot['value'])}</text>"
                f"\n    {label}\n    "
            )
        return _figure(self, body, out)

    __str__ = __html__


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
