"""API: a dashboard's figures as JSON (the same builder as the HTML page), scoped the same way."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from . import selectors
from .dashboards import build_dashboard
from .forms import PeriodForm

PERIOD_PARAMS = [
    OpenApiParameter("period", OpenApiTypes.STR, enum=["month", "quarter", "year", "custom"]),
    OpenApiParameter("on", OpenApiTypes.DATE, description="a day in the month/quarter/year"),
    OpenApiParameter("start", OpenApiTypes.DATE, description="custom range: first day"),
    OpenApiParameter("end", OpenApiTypes.DATE, description="custom range: last day"),
]


class DashboardSerializer(serializers.Serializer):
    place = serializers.DictField()
    period = serializers.DictField()
    coverage = serializers.DictField()
    contacts = serializers.DictField()
    compliance = serializers.DictField()
    issues = serializers.DictField()
    areas = serializers.ListField()
    dispatch = serializers.DictField(allow_null=True)


def _plain(dashboard: dict) -> dict:
    place, period = dashboard["place"], dashboard["period"]
    contacts = {k: v for k, v in dashboard["contacts"].items() if k != "by_area"}
    contacts["by_month"] = [{"month": m["label"], "count": m["count"]} for m in contacts["by_month"]]
    compliance = dashboard["compliance"]
    issues = dict(dashboard["issues"])
    issues["funnel"] = [{**s, "label": str(s["label"])} for s in issues["funnel"]]
    return {
        "place": {"id": place.pk, "name": place.name, "kind": place.kind},
        "period": {**period.as_params(), "label": period.label},
        "coverage": {k: v for k, v in dashboard["coverage"].items() if k != "by_area"},
        "contacts": contacts,
        "compliance": {
            "on": compliance["on"].isoformat(),
            "totals": compliance["totals"],
            "households_needing_pairing": compliance["households_needing_pairing"],
            "by_type": [
                {k: (str(v) if k == "label" else v) for k, v in t.items() if k != "rules"}
                for t in compliance["by_type"]
            ],
        },
        "issues": issues,
        "areas": [
            {
                **{k: v for k, v in row.items() if k != "place"},
                "id": row["place"].pk,
                "name": row["place"].name,
            }
            for row in dashboard["areas"]
        ],
        "dispatch": dashboard["dispatch"],
    }


class DashboardViewSet(viewsets.ViewSet):
    """GET /api/reports/dashboards/<place id>/?period=month&on=2026-09-15 — 404 outside the user's places."""

    lookup_value_regex = r"[0-9]+"

    @extend_schema(parameters=PERIOD_PARAMS, responses=DashboardSerializer)
    def retrieve(self, request, pk=None):
        place = selectors.get_dashboard_place_for_user(request.user, pk)
        form = PeriodForm(request.query_params if "period" in request.query_params else {"period": "month"})
        if not form.is_valid():
            raise ValidationError(form.errors)
        dashboard = build_dashboard(user=request.user, place=place, period=form.cleaned_data["report_period"])
        return Response(_plain(dashboard))
