"""The city tier: the city dashboard (towns side by side), the department league table and a city
department's whistles by town. Figures only; the views are in reports/city_views.py.

Households, coverage and compliance per town come from the towns' latest snapshots (visits.snapshots, taken by
the per-town job `compliance_snapshots`, nightly and hourly in working hours): judging every link of a 30-town
city on each request took 7.5 of 9.1 s. The rest is built on the town dashboards' selectors
(reports/selectors.py), called with the city as the place: they group on the path prefix one level below the
place, so with the city that level is the town and every figure comes per town out of one GROUP BY. The number of queries does not grow with the number
of towns (asserted in tests/reports/test_city.py). Who may open a city page: members.access (city posts,
CITY_POSITIONS, read-only) and `get_city_for_user` below.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.enums import PlaceKind
from grids.models import Place
from issues.access import issues_visible_to
from issues.enums import ACTIVE_STATUSES, OPEN_ASSIGNMENT_STATUSES, AssignmentStatus, IssueAction
from issues.models import IssueEvent, WhistleAssignment
from members.access import scope_for
from visits.snapshots import city_summary, city_towns

from . import selectors
from .charts import bar_chart, line_chart
from .periods import ReportPeriod
from .selectors import PATH_STEP, share

CLOSED = selectors.CLOSED_STATUSES


# --- access ------------------------------------------------------------------------------------------


def cities_for(user) -> QuerySet[Place]:
    """Cities whose city pages the user may open: a city post's city (superusers: every city)."""
    scope = scope_for(user)
    cities = Place.objects.filter(kind=PlaceKind.CITY)
    if scope.is_superuser:
        return cities.order_by("path")
    return cities.filter(path__in=scope.city_paths).order_by("path")


def get_city_for_user(user, pk) -> Place:
    """The city, if the user holds a city post there (or is a superuser); anyone else: 404."""
    city = cities_for(user).filter(pk=pk).first()
    if city is None:
        raise Http404
    return city


# --- the city dashboard ------------------------------------------------------------------------------


def _town_expr(city: Place, field: str = "path"):
    return Substr(field, 1, len(city.path) + PATH_STEP)


def issue_rows_by_town(*, user, city: Place, period: ReportPeriod, now: datetime.datetime) -> dict[str, dict]:
    """Per town: issues raised in the period, closed of those, active now, overdue now (one GROUP BY)."""
    start, end = period.bounds
    in_period = Q(raised_at__gte=start, raised_at__lt=end)
    active = Q(status__in=ACTIVE_STATUSES)
    rows = (
        selectors.under(issues_visible_to(user), user=user, place=city)
        .filter(in_period | active)
        .order_by()
        .annotate(town=_town_expr(city))
        .values("town")
        .annotate(
            raised=Count("id", filter=in_period),
            resolved=Count("id", filter=in_period & Q(status__in=CLOSED)),
            active=Count("id", filter=active),
            overdue=Count("id", filter=active & Q(deadline__lt=now)),
        )
    )
    return {row["town"]: row for row in rows}


def whistle_rows_by_town(*, city: Place, now: datetime.datetime) -> dict[str, dict]:
    """Per town: whistles (department assignments) open now and overdue now, whatever their age."""
    open_ = Q(status__in=OPEN_ASSIGNMENT_STATUSES)
    rows = (
        WhistleAssignment.objects.filter(open_, issue__path__startswith=city.path)
        .order_by()
        .annotate(town=_town_expr(city, "issue__path"))
        .values("town")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(deadline__lt=now)))
    )
    return {row["town"]: row for row in rows}


def city_dashboard(*, user, city: Place, period: ReportPeriod, now: datetime.datetime | None = None) -> dict:
    """The city's figures and one row per town. The caller has checked get_city_for_user."""
    now = now or timezone.now()
    on = period.status_day
    towns = city_towns(city)
    contacts = selectors.contact_figures(user=user, place=city, period=period)
    # Compliance and coverage per town from the towns' latest snapshots (visits.snapshots, kept by the
    # per-town job `compliance_snapshots`): judging every link of the city took 7.5 s of 9.1 s per request.
    compliance = city_summary(city, towns, on)
    # Households and those no member links to, per town: from the same snapshots (0.8 s live in a city).
    cover = {
        "households": compliance["households"],
        "uncovered": compliance["uncovered"],
        "covered": compliance["households"] - compliance["uncovered"],
        "share": share(compliance["households"] - compliance["uncovered"], compliance["households"]),
        "by_area": {
            row["place"].path: {
                "households": row["households"],
                "uncovered": row["uncovered"],
                "covered": row["households"] - row["uncovered"],
            }
            for row in compliance["rows"]
            if row["snapshot"] is not None
        },
    }
    issues = issue_rows_by_town(user=user, city=city, period=period, now=now)
    whistles = whistle_rows_by_town(city=city, now=now)
    by_town = {row["id"]: row for row in compliance["rows"]}
    linked = set(scope_for(user).linked_town_paths)
    empty_issue = {"raised": 0, "resolved": 0, "active": 0, "overdue": 0}
    rows = []
    for town in towns:
        c = cover["by_area"].get(town.path, {"households": 0, "uncovered": 0, "covered": 0})
        comp = by_town.get(town.pk, {})
        snapshot = comp.get("snapshot")
        issue = issues.get(town.path, empty_issue)
        whistle = whistles.get(town.path, {"open": 0, "overdue": 0})
        rows.append(
            {
                "place": town,
                "linked": town.path in linked,
                "households": c["households"],
                "uncovered": c["uncovered"],
                "coverage_share": share(c["covered"], c["households"]),
                "contacts": contacts["by_area"].get(town.path, 0),
                "links": comp.get("total", 0),
                "overdue": comp.get("overdue", 0),
                "share_on_track": comp.get("share_on_track"),
                "snapshot": snapshot,  # None: not computed yet ("尚未计算")
                "as_of": snapshot.computed_at if snapshot else None,
                "raised": issue["raised"],
                "resolved": issue["resolved"],
                "resolved_share": share(issue["resolved"], issue["raised"]),
                "issues_active": issue["active"],
                "issues_overdue": issue["overdue"],
                "whistles_open": whistle["open"],
                "whistles_overdue": whistle["overdue"],
            }
        )
    # Worst first: who keeps up with the visits is what differs between towns.
    rows.sort(key=lambda r: (r["share_on_track"] if r["share_on_track"] is not None else 2, r["place"].name))
    totals = {
        key: sum(r[key] for r in rows)
        for key in (
            "raised",
            "resolved",
            "issues_active",
            "issues_overdue",
            "whistles_open",
            "whistles_overdue",
        )
    }
    charts = {
        "months": line_chart(
            [(m["label"][5:], m["count"]) for m in contacts["by_month"]], title=_("走访趋势")
        ),
        "on_track": bar_chart(
            [(r["place"].name, r["share_on_track"]) for r in rows], title=_("各镇联系达标率"), percent=True
        ),
    }
    return {
        "city": city,
        "period": period,
        "may_run_snapshots": _may_run_snapshots(user),
        "coverage": cover,
        "contacts": contacts,
        "compliance": compliance,
        "towns": rows,
        "totals": totals,
        "charts": charts,
    }


def _may_run_snapshots(user) -> bool:
    """Whether the page links "run the snapshot job" (dispatch.jobs decides again when it is run)."""
    from dispatch.jobs import may_run_all

    return may_run_all(user)


# --- the department league table ---------------------------------------------------------------------


def department_league(
    *, city: Place, period: ReportPeriod, now: datetime.datetime | None = None
) -> list[dict]:
    """Every department whistled to from a town of the city in the period (town offices and city departments):
    assignments, answered on time / late, open and overdue now, sent back by the department, returned to it
    for redoing by a centre. Two queries whatever the number of departments and towns.

    按时率 (share on time) = answered by the deadline ÷ (answered + open past the deadline): assignments still
    open within their deadline are not judged yet.
    """
    now = now or timezone.now()
    start, end = period.bounds
    replied = Q(status=AssignmentStatus.REPLIED)
    open_ = Q(status__in=OPEN_ASSIGNMENT_STATUSES)
    rows = list(
        WhistleAssignment.objects.filter(
            issue__path__startswith=city.path, whistled_at__gte=start, whistled_at__lt=end
        )
        .order_by()
        .values("department_id", "department__name", "department__kind", "department__place__name")
        .annotate(
            total=Count("id"),
            replied=Count("id", filter=replied),
            on_time=Count("id", filter=replied & Q(answered_at__lte=F("deadline"))),
            late=Count("id", filter=replied & Q(answered_at__gt=F("deadline"))),
            open=Count("id", filter=open_),
            overdue=Count("id", filter=open_ & Q(deadline__lt=now)),
            sent_back=Count("id", filter=Q(status=AssignmentStatus.SENT_BACK)),
        )
    )
    returned = dict(
        IssueEvent.objects.filter(
            action=IssueAction.RETURN,
            issue__path__startswith=city.path,
            created_at__gte=start,
            created_at__lt=end,
            department__isnull=False,
        )
        .order_by()
        .values_list("department_id")
        .annotate(n=Count("id"))
    )
    for row in rows:
        row["returned"] = returned.get(row["department_id"], 0)
        row["judged"] = row["replied"] + row["overdue"]
        row["share_on_time"] = share(row["on_time"], row["judged"])
    rows.sort(
        key=lambda r: (
            -(r["share_on_time"] if r["share_on_time"] is not None else -1),
            r["overdue"],
            r["department__name"],
        )
    )
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


# --- a department's whistles from every town ----------------------------------------------------------


def department_by_town(*, user, now: datetime.datetime | None = None) -> dict:
    """The handler's departments' assignments counted per town (one GROUP BY), and the open ones by deadline.

    Towns are the second level of every path (the city is the root of the place tree).
    """
    now = now or timezone.now()
    scope = scope_for(user)
    assignments = WhistleAssignment.objects.filter(department_id__in=scope.department_ids)
    open_ = Q(status__in=OPEN_ASSIGNMENT_STATUSES)
    town_len = 1 + 2 * PATH_STEP
    counts = list(
        assignments.order_by()
        .annotate(town=Substr("issue__path", 1, town_len))
        .values("town")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=open_),
            overdue=Count("id", filter=open_ & Q(deadline__lt=now)),
            replied=Count("id", filter=Q(status=AssignmentStatus.REPLIED)),
            late=Count("id", filter=Q(status=AssignmentStatus.REPLIED) & Q(answered_at__gt=F("deadline"))),
            sent_back=Count("id", filter=Q(status=AssignmentStatus.SENT_BACK)),
        )
    )
    names = dict(Place.objects.filter(path__in=[r["town"] for r in counts]).values_list("path", "name"))
    for row in counts:
        row["name"] = names.get(row["town"], "?")
    counts.sort(key=lambda r: (-r["overdue"], -r["open"], r["name"]))
    totals = {
        key: sum(r[key] for r in counts)
        for key in ("total", "open", "overdue", "replied", "late", "sent_back")
    }
    open_list = (
        assignments.filter(open_)
        .select_related("issue__category", "issue__place", "issue__household__grid", "department")
        .annotate(town=Substr("issue__path", 1, town_len))
        .order_by("deadline", "id")
    )
    return {"towns": counts, "totals": totals, "open": open_list, "town_names": names, "now": now}
