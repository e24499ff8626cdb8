"""The village assessment (out of 6) and the per-cadre performance sheet (out of 100): reads and access.

Components, each a rate between 0 and 1, times the year's weight (AssessmentWeights, editable by town staff):
- coverage      village: households with a current link / households (members.selectors' rule);
                cadre: 1 if the number of linked households is in the role's range, else 0 (same module);
- compliance    links on track (none overdue) / current links, on the year's last day or today
                (visits.selectors.compliance_summary: the one copy of the quota rules);
- issues        issues raised in the year that are resolved or closed / issues raised (village: under it;
                cadre: raised by the cadre);
- satisfaction  satisfied + basically satisfied / issues with feedback;
- dispatch      dispatch orders done / orders received (once the dispatch app records them).
A component without any data (no issues raised, no orders) scores its full weight and says so: nothing
was left undone. Everything is aggregated in the database, a fixed number of queries per sheet.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.apps import apps
from django.db.models import Count, Q
from django.db.models.functions import Coalesce, Substr
from django.http import Http404
from django.utils import timezone

from grids.enums import PlaceKind
from grids.models import Place
from issues.access import issues_visible_to
from members.access import scope_for
from members.enums import MemberRole
from members.models import Member
from members.selectors import members_out_of_range
from visits.selectors import compliance_summary

from . import selectors
from .enums import AssessmentStatus, Component, PeriodKind
from .models import AssessmentResult, AssessmentWeights
from .periods import period_of
from .selectors import CLOSED_STATUSES, PATH_STEP, POSITIVE_SATISFACTION

TWO = Decimal("0.01")


def get_assessment_town_for_user(user, pk) -> Place:
    """A town whose whole subtree the user sees (town staff, the discipline commission): else 404."""
    place = selectors.get_dashboard_place_for_user(user, pk)
    if place.kind != PlaceKind.TOWN:
        raise Http404
    return place


def can_approve(user, town: Place) -> bool:
    scope = scope_for(user)
    return scope.is_leading_group and scope.writes_path(town.path)


def weights_for(year: int) -> AssessmentWeights:
    """The year's weights; an unsaved default row if town staff have not set them."""
    return AssessmentWeights.objects.filter(year=year).first() or AssessmentWeights(year=year)


def assessment_result(*, town: Place, year: int) -> dict | None:
    result = AssessmentResult.objects.filter(town=town, year=year).select_related("approved_by").first()
    if result is None:
        return None
    return {
        "object": result,
        "weights": result.weights,
        "villages": result.villages,
        "cadres": result.cadres,
        "approved": result.status == AssessmentStatus.APPROVED,
        "on": result.weights.get("on", ""),
    }


def _year_day(year: int) -> datetime.date:
    return min(datetime.date(year, 12, 31), timezone.localdate())


def _score(rates: dict[str, float | None], weights: dict[str, Decimal]) -> tuple[dict, float]:
    points = {}
    for comp, weight in weights.items():
        rate = rates.get(comp)
        value = weight if rate is None else weight * Decimal(str(rate))
        points[comp] = float(value.quantize(TWO, ROUND_HALF_UP))
    return points, float(sum(Decimal(str(p)) for p in points.values()).quantize(TWO, ROUND_HALF_UP))


def _issue_rates(counts: dict | None) -> tuple[float | None, float | None]:
    if not counts:
        return None, None
    return (
        selectors.share(counts["resolved"], counts["raised"]),
        selectors.share(counts["satisfied"], counts["rated"]),
    )


def _dispatch_by(*, town: Place, year: int, group: str) -> dict:
    """Dispatch orders received and done in the year per village (path prefix) or per member.

    The same recipients as the dashboards (selectors.dispatch_recipients_under): a recipient belongs to the
    village or grid the order went through, else to the member's home.
    """
    recipients = selectors.dispatch_recipients_under(
        place=town, period=period_of(PeriodKind.YEAR, datetime.date(year, 1, 1))
    )
    if recipients is None:  # no dispatch app: the component has no data
        return {}
    from dispatch.enums import RecipientStatus

    qs = recipients.order_by()
    if group == "village":
        qs = qs.annotate(area=Substr(Coalesce("via__path", "member__path"), 1, len(town.path) + PATH_STEP))
        key = "area"
    else:
        key = "member_id"
    return {
        row[key]: row
        for row in qs.values(key).annotate(
            total=Count("id"), done=Count("id", filter=Q(status=RecipientStatus.DONE))
        )
    }


VERIFICATION_ZERO = {"calls": 0, "confirmed": 0, "denied": 0, "unreachable": 0, "false": 0}


def _verification_by_village(*, town: Place, start, end) -> dict[str, dict]:
    """回访核实 per village for the year (docs/verification.md): calls made and their outcomes, and contacts
    the discipline commission decided false. Shown beside the score (not weighted): a false contact already
    counts nowhere, so its effect is in the coverage and compliance figures. Two grouped queries."""
    from verification.enums import CallOutcome, CaseDecision
    from verification.models import Call, Case

    prefix = Substr("path", 1, len(town.path) + PATH_STEP)
    rows: dict[str, dict] = {}
    calls = (
        Call.objects.filter(path__startswith=town.path, called_at__gte=start, called_at__lt=end)
        .annotate(area=prefix)
        .values("area")
        .annotate(
            calls=Count("id"),
            confirmed=Count("id", filter=Q(outcome=CallOutcome.CONFIRMED)),
            denied=Count("id", filter=Q(outcome=CallOutcome.DENIED)),
            unreachable=Count("id", filter=Q(outcome=CallOutcome.UNREACHABLE)),
        )
        .order_by()
    )
    for row in calls:
        area = row.pop("area")
        rows[area] = {**VERIFICATION_ZERO, **row}
    false = (
        Case.objects.filter(
            path__startswith=town.path,
            decision=CaseDecision.FALSE_CONTACT,
            decided_at__gte=start,
            decided_at__lt=end,
        )
        .annotate(area=prefix)
        .values("area")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in false:
        rows.setdefault(row["area"], dict(VERIFICATION_ZERO))["false"] = row["n"]
    return rows


ACTIVITIES_ZERO = {"hours": 0.0, "attended": 0, "absent": 0, "trainings_missed": 0}


def _activities_by_member(*, town: Place, year: int, ids: list[int], on: datetime.date) -> dict[int, dict]:
    """新时代文明实践 per cadre for the year (docs/activities.md): volunteer hours, activities attended, signed up
    but absent, required trainings missed. Shown beside the score (not weighted; the award ranking weighs the
    hours). Empty when the activities app is not installed. A fixed number of queries (activities.services)."""
    if not apps.is_installed("activities"):
        return {}
    from activities.services import members_year_record

    record = members_year_record(member_ids=ids, path=town.path, year=year, on=on)
    return {mid: {**r, "hours": float(r["hours"])} for mid, r in record.items()}


def _issue_counts() -> dict:
    """Issues raised, resolved, rated and rated satisfied: the aggregates of the issues and satisfaction rates."""
    return {
        "raised": Count("id"),
        "resolved": Count("id", filter=Q(status__in=CLOSED_STATUSES)),
        "rated": Count("id", filter=~Q(satisfaction="")),
        "satisfied": Count("id", filter=Q(satisfaction__in=POSITIVE_SATISFACTION)),
    }


def _village_rows(*, user, town: Place, year: int, on, start, end, year_issues, vw: dict) -> list[dict]:
    """One row per village of the town: its rates, points and total, and what the verification calls found."""
    villages = list(Place.objects.filter(parent=town, kind=PlaceKind.VILLAGE).order_by("name"))
    cover = selectors.coverage(user=user, place=town, on=on)["by_area"]
    comp = {
        row["id"]: row for row in compliance_summary(user=user, place=town, on=on, breakdown="child")["rows"]
    }
    by_area = {
        row["area"]: row
        for row in year_issues.annotate(area=Substr("path", 1, len(town.path) + PATH_STEP))
        .values("area")
        .annotate(**_issue_counts())
    }
    dispatch_area = _dispatch_by(town=town, year=year, group="village")
    checked = _verification_by_village(town=town, start=start, end=end)
    village_rows = []
    for village in villages:
        c = cover.get(village.path)
        issues_rate, sat_rate = _issue_rates(by_area.get(village.path))
        d = dispatch_area.get(village.path)
        rates = {
            Component.COVERAGE.value: selectors.share(c["covered"], c["households"]) if c else None,
            Component.COMPLIANCE.value: comp.get(village.pk, {}).get("share_on_track"),
            Component.ISSUES.value: issues_rate,
            Component.SATISFACTION.value: sat_rate,
            Component.DISPATCH.value: selectors.share(d["done"], d["total"]) if d else None,
        }
        points, total = _score(rates, vw)
        village_rows.append(
            {
                "id": village.pk,
                "name": village.name,
                "rates": rates,
                "points": points,
                "total": total,
                "verification": checked.get(village.path, dict(VERIFICATION_ZERO)),
            }
        )
    return village_rows


def _cadre_rows(*, user, town: Place, year: int, on, year_issues, cw: dict) -> list[dict]:
    """One row per cadre (everyone holding a current link under the town), best total first."""
    member_comp = compliance_summary(user=user, place=town, on=on, breakdown="member")["rows"]
    ids = [row["id"] for row in member_comp]
    info = {
        m["pk"]: m
        for m in Member.objects.filter(pk__in=ids).values("pk", "name", "role", "home__name", "is_exempt")
    }
    out_of_range = set(members_out_of_range(user=user, on=on).filter(pk__in=ids).values_list("pk", flat=True))
    by_member = {
        row["raised_by_id"]: row
        for row in year_issues.filter(raised_by_id__in=ids).values("raised_by_id").annotate(**_issue_counts())
    }
    dispatch_member = _dispatch_by(town=town, year=year, group="member")
    roles = dict(MemberRole.choices)
    cadre_rows = []
    for row in member_comp:
        pk = row["id"]
        issues_rate, sat_rate = _issue_rates(by_member.get(pk))
        d = dispatch_member.get(pk)
        rates = {
            Component.COVERAGE.value: 0.0 if pk in out_of_range else 1.0,
            Component.COMPLIANCE.value: row["share_on_track"],
            Component.ISSUES.value: issues_rate,
            Component.SATISFACTION.value: sat_rate,
            Component.DISPATCH.value: selectors.share(d["done"], d["total"]) if d else None,
        }
        points, total = _score(rates, cw)
        m = info.get(pk, {})
        cadre_rows.append(
            {
                "id": pk,
                "name": m.get("name", row["name"]),
                "role_label": str(roles.get(m.get("role"), "")),
                "home": m.get("home__name", ""),
                "rates": rates,
                "points": points,
                "total": total,
            }
        )
    volunteering = _activities_by_member(town=town, year=year, ids=ids, on=on)
    for r in cadre_rows:
        r["activities"] = volunteering.get(r["id"], dict(ACTIVITIES_ZERO))
    cadre_rows.sort(key=lambda r: (-r["total"], r["name"]))
    return cadre_rows


def assessment_build(*, user, town: Place, year: int) -> dict:
    """Compute the year's sheet for the town as `user` sees it (town staff see the whole town)."""
    on = _year_day(year)
    weights = weights_for(year)
    vw, cw = weights.village(), weights.cadre()
    start = timezone.make_aware(datetime.datetime(year, 1, 1))
    end = timezone.make_aware(datetime.datetime(year + 1, 1, 1))
    year_issues = (
        issues_visible_to(user)
        .filter(path__startswith=town.path, raised_at__gte=start, raised_at__lt=end)
        .order_by()
    )
    villages = _village_rows(
        user=user, town=town, year=year, on=on, start=start, end=end, year_issues=year_issues, vw=vw
    )
    cadres = _cadre_rows(user=user, town=town, year=year, on=on, year_issues=year_issues, cw=cw)
    return {
        "weights": {
            "village": {k: float(v) for k, v in vw.items()},
            "cadre": {k: float(v) for k, v in cw.items()},
            "on": on.isoformat(),
            "saved": weights.pk is not None,
        },
        "villages": villages,
        "cadres": cadres,
        "approved": False,
        "on": on.isoformat(),
    }
