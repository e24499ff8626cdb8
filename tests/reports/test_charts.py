"""Charts draw their own SVG (reports/charts.py): the markup the dashboards' chart templates printed."""

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import gettext_lazy

from reports.charts import _out, _printer, bar_chart, line_chart

# The templates the charts replaced (templates/reports/_bars.html and _line.html until the markup moved).
BARS = """{% load i18n %}<figure class="chart">
  {% if chart.title %}<figcaption>{{ chart.title }}</figcaption>{% endif %}
  <svg viewBox="0 0 {{ chart.width }} {{ chart.height }}" role="img" aria-label="{{ chart.title }}" class="chart-svg">
    {% for bar in chart.bars %}
    <text x="{{ chart.bar_x|add:'-6' }}" y="{{ bar.text_y }}" class="chart-label" text-anchor="end">{{ bar.label|truncatechars:9 }}</text>
    <rect x="{{ chart.bar_x }}" y="{{ bar.y }}" width="{{ bar.width }}" height="{{ chart.bar_height }}" class="chart-bar"></rect>
    <text x="{{ bar.text_x }}" y="{{ bar.text_y }}" class="chart-value">{{ bar.text }}</text>
    {% endfor %}
  </svg>
</figure>
"""
LINE = """{% load i18n %}<figure class="chart">
  {% if chart.title %}<figcaption>{{ chart.title }}</figcaption>{% endif %}
  <svg viewBox="0 0 {{ chart.width }} {{ chart.height }}" role="img" aria-label="{{ chart.title }}" class="chart-svg">
    <line x1="0" x2="{{ chart.width }}" y1="{{ chart.baseline }}" y2="{{ chart.baseline }}" class="chart-axis"></line>
    <polyline points="{{ chart.points }}" class="chart-line"></polyline>
    {% for dot in chart.dots %}
    <circle cx="{{ dot.x }}" cy="{{ dot.y }}" r="3" class="chart-dot"></circle>
    <text x="{{ dot.x }}" y="{{ dot.y|add:'-6' }}" class="chart-value" text-anchor="middle">{{ dot.value }}</text>
    {% if dot.show_label %}<text x="{{ dot.x }}" y="{{ chart.baseline|add:'16' }}" class="chart-label" text-anchor="middle">{{ dot.label }}</text>{% endif %}
    {% endfor %}
  </svg>
</figure>
"""

VALUES = [0, 7, -3, 1234567, 12.5, -3.25, 0.1 + 0.2, 1e20, 1e-7, float("inf"), True, None, "a<b&c", "甲村"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("separators", [False, True])
def test_numbers_print_as_the_template_printed_them(settings, language, separators):
    settings.USE_THOUSAND_SEPARATOR = separators
    with translation.override(language):
        out = _printer()
        assert [out(v) for v in VALUES] == [_out(v) for v in VALUES]
        assert [out(v) for v in VALUES] == [Template("{{ v }}").render(Context({"v": v})) for v in VALUES]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_charts_draw_what_the_templates_drew(language):
    bars = [
        bar_chart(
            [("甲村<b>", 0.5), ("一个名字很长很长的村民委员会", None), ("乙", 1)],
            title="达标率",
            percent=True,
        ),
        bar_chart([("走访", 12345), ("线上", 0), ("院坝会 & 议", 7)], title=gettext_lazy("走访方式")),
        bar_chart([], title=""),
    ]
    lines = [
        line_chart([("01", 3), ("02", 0), ("03", 12)], title=gettext_lazy("走访趋势")),
        line_chart([(f"{m:02}", m * 37) for m in range(1, 13)], title="趋势"),
        line_chart([("12", 5)]),
    ]
    with translation.override(language):
        for chart in bars:
            assert str(chart) == Template(BARS).render(Context({"chart": chart}))
        for chart in lines:
            assert str(chart) == Template(LINE).render(Context({"chart": chart}))
        page = Template("<div>{{ chart }}</div>").render(Context({"chart": bars[0]}))
        assert page == f"<div>{Template(BARS).render(Context({'chart': bars[0]}))}</div>"
