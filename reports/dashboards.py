"""One dashboard = the selectors' figures for a place and a period, joined into rows and charts for a template.

Shared by the town, village and grid dashboards (the place's kind decides the drill-down level) and by
the benchmark script. A fixed number of queries whatever the data size (asserted in tests/reports).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from grids.enums import PlaceKind
from grids.models import Place

from . import selectors
from .charts import bar_chart, line_chart
from .periods import ReportPeriod


def build_dashboard(*, user, place: Place, period: ReportPeriod) -> dict:
    on = period.status_day
    grid_level = place.kind in (PlaceKind.GRID3, PlaceKind.GRID4)
    breakdown = "member" if grid_level else "child"
    # The compliance grouping first, beside the request where it may (grids.beside): the page's largest
    # statement runs on another connection while everything that does not need it is read here.
    started = selectors.compliance_start(user=user, place=place, period=period, breakdown=breakdown)
    areas = selectors.child_areas(place)
    cover = selectors.coverage(user=user, place=place, on=on)
    contacts = selectors.contact_figures(user=user, place=place, period=period)
    issues = selectors.issue_figures(user=user, place=place, period=period)
    dispatch = selectors.dispatch_figures(place=place, period=period)
    # What coverage and child_areas read already: the place's households (for a user who sees the place
    # whole: every one) and the child places, not read again for the compliance figures.
    known = {
        "households_under": cover["households"] if cover["whole"] else None,
        "children": [place, *(area.place for area in areas)],  # rows of links on the place itself: its own
    }
    compliance = selectors.compliance(
        user=user, place=place, period=period, breakdown=breakdown, started=started, **known
    )

    if not grid_level:
        compliance_by_area = {row["id"]: row for row in compliance["rows"]}
    elif areas:  # a third-level grid: its fourth-level grids too
        by_child = selectors.compliance(user=user, place=place, period=period, breakdown="child", **known)
        compliance_by_area = {row["id"]: row for row in by_child["rows"]}
    else:
        compliance_by_area = {}
    area_rows = []
    for area in areas:
        c = cover["by_area"].get(area.path, {"households": 0, "uncovered": 0, "covered": 0})
        comp = compliance_by_area.get(area.pk, {})
        area_rows.append(
            {
                "place": area.place,
                "households": c["households"],
                "uncovered": c["uncovered"],
                "coverage_share": selectors.share(c["covered"], c["households"]),
                "contacts": contacts["by_area"].get(area.path, 0),
                "links": comp.get("total", 0),
                "overdue": comp.get("overdue", 0),
                "share_on_track": comp.get("share_on_track"),
            }
        )
    charts = {
        "months": line_chart(
            [(m["label"][5:], m["count"]) for m in contacts["by_month"]], title=_("走访趋势")
        ),
        "kinds": bar_chart([(k["label"], k["count"]) for k in contacts["by_kind"]], title=_("走访方式")),
        "duties": bar_chart([(d["label"], d["count"]) for d in contacts["by_duty"]], title=_("五到位")),
        "compliance": bar_chart(
            [(t["label"], t["share_on_track"]) for t in compliance["by_type"]],
            title=_("达标率"),
            percent=True,
        ),
        "funnel": bar_chart([(s["label"], s["count"]) for s in issues["funnel"]], title=_("问题办理")),
        "solved": bar_chart([(lv["label"], lv["solved"]) for lv in issues["levels"]], title=_("办结层级")),
    }
    if area_rows:
        charts["areas"] = bar_chart(
            [(r["place"].name, r["coverage_share"]) for r in area_rows], title=_("联户覆盖率"), percent=True
        )
        # Coverage is near 100 % once the census is paired; who keeps up with the visits is what differs.
        charts["areas_on_track"] = bar_chart(
            [(r["place"].name, r["share_on_track"]) for r in area_rows], title=_("联系达标率"), percent=True
        )
    return {
        "place": place,
        "period": period,
        "coverage": cover,
        "contacts": contacts,
        "compliance": compliance,
        "issues": issues,
        "areas": area_rows,
        "member_rows": compliance["rows"] if grid_level else [],
        "charts": charts,
        "grid_level": grid_level,
        "dispatch": dispatch,
    }
