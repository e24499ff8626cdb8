"""Dashboard figures for one place (town, village or grid) and one period, aggregated in the database.

Every function takes the viewing user and filters through the owning app's scoped queryset
(households_visible_to, contacts_visible_to, issues_visible_to, ...), then narrows to the place's subtree.
Breakdowns by child place group on the path prefix (`Substr(path, 1, len(place.path) + 9)`), so a town's
villages or a village's grids come out of one GROUP BY whatever their number. No function loops over rows
to count: the query count of a dashboard does not grow with the data.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import (
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce, Substr, TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.enums import PlaceKind
from grids.models import Household, Place
from issues.access import issues_visible_to
from issues.enums import (
    ACTIVE_STATUSES,
    LEVEL_ORDER,
    OPEN_ASSIGNMENT_STATUSES,
    IssueLevel,
    IssueStatus,
    Satisfaction,
)
from issues.models import WhistleAssignment
from members.access import households_visible_to, links_visible_to, members_visible_to, scope_for
from members.models import Link, Member
from members.selectors import covered_under, uncovered_households
from visits.enums import DUTY_FIELDS, ContactKind, Duty, Period
from visits.models import Contact, ContactHousehold, ContactMonthTally, LastContact
from visits.periods import TZ, aware_bounds, no_contact_after, period_bounds
from visits.selectors import ComplianceStart, compliance_summary, contacts_visible_to, link_id_range
from visits.selectors import compliance_start as visits_compliance_start

from .periods import ReportPeriod

PATH_STEP = 9  # one "00000001/" segment of a materialized path
DRILL_KINDS = {
    PlaceKind.TOWN: PlaceKind.VILLAGE,
    PlaceKind.VILLAGE: PlaceKind.GRID3,
    PlaceKind.GRID3: PlaceKind.GRID4,
}
DASHBOARD_KINDS = (PlaceKind.TOWN, PlaceKind.VILLAGE, PlaceKind.GRID3, PlaceKind.GRID4)
CLOSED_STATUSES = (IssueStatus.RESOLVED, IssueStatus.CLOSED)
POSITIVE_SATISFACTION = (Satisfaction.SATISFIED, Satisfaction.BASICALLY)


def share(part: int | None, total: int | None) -> float | None:
    return round(part / total, 4) if total else None


# --- access ------------------------------------------------------------------------------------------


def dashboard_places_for(user) -> QuerySet[Place]:
    """Places whose dashboard the user may open: those under a subtree the user sees whole."""
    return Place.objects.filter(scope_for(user).path_q(), kind__in=DASHBOARD_KINDS)


def get_dashboard_place_for_user(user, pk) -> Place:
    """The place, if the user sees its whole subtree (a village officer sees no other village): else 404."""
    place = dashboard_places_for(user).filter(pk=pk).first()
    if place is None:
        raise Http404
    return place


def get_dashboard_place_with_crumbs(user, pk) -> tuple[Place, list[Place]]:
    """`get_dashboard_place_for_user` and the place's breadcrumbs (it and the places above it whose dashboard
    the user may open, top first) in one query: the places the user may open whose path begins the place's."""
    target = Place.objects.filter(pk=pk, path__startswith=OuterRef("path"))
    crumbs = list(dashboard_places_for(user).filter(Exists(target)).order_by("depth"))
    place = next((p for p in crumbs if p.pk == pk), None)
    if place is None:
        raise Http404
    return place, crumbs


def home_place_for(user) -> Place | None:
    """The widest place the user's posts cover: the town for town staff, the village for an officer..."""
    return dashboard_places_for(user).order_by("depth", "path").first()


def get_member_for_dashboard(user, pk) -> Member:
    """A member the user may drill down to: visible by home, or holding a link inside the user's subtrees."""
    scope = scope_for(user)
    linked_here = Link.objects.filter(scope.path_q("path")).values("member_id")
    member = (
        Member.objects.filter(Q(pk__in=members_visible_to(user).values("pk")) | Q(pk__in=linked_here))
        .select_related("home")
        .filter(pk=pk)
        .first()
    )
    if member is None or not (scope.paths or scope.is_superuser):
        raise Http404
    return member


# --- areas -------------------------------------------------------------------------------------------


@dataclass
class Area:
    """A child place of the dashboard's place (or the place itself for rows hanging on it directly)."""

    path: str
    place: Place

    @property
    def pk(self) -> int:
        return self.place.pk


def child_areas(place: Place) -> list[Area]:
    """The next level down (villages of a town, grids of a village...), one query."""
    kind = DRILL_KINDS.get(place.kind)
    if kind is None:
        return []
    return [Area(p.path, p) for p in Place.objects.filter(parent=place, kind=kind).order_by("name")]


def _area_expr(place: Place):
    return Substr("path", 1, len(place.path) + PATH_STEP)


# --- coverage ----------------------------------------------------------------------------------------


def coverage(*, user, place: Place, on: datetime.date) -> dict:
    """Households under the place and how many no member currently links to (members.selectors' rule);
    `whole`: whether they are all the place's households (a user who sees the place whole)."""
    area = _area_expr(place)
    whole = scope_for(user).sees_path(place.path)
    if whole:
        # Seen whole: every household under the place, each counted and tested once (one grouped query,
        # without the scope's own-household branch, which adds nothing under a place seen whole).
        rows = list(
            Household.objects.filter(path__startswith=place.path)
            .order_by()
            .annotate(area=area)
            .values("area")
            .annotate(n=Count("id"), missing=Count("id", filter=~covered_under(place, on=on)))
        )
        totals = {row["area"]: row["n"] for row in rows}
        missing = {row["area"]: row["missing"] for row in rows if row["missing"]}
    else:
        households = under(households_visible_to(user), user=user, place=place).order_by()
        uncovered = uncovered_households(user=user, on=on).filter(path__startswith=place.path).order_by()
        totals = dict(households.annotate(area=area).values_list("area").annotate(n=Count("id")))
        missing = dict(uncovered.annotate(area=area).values_list("area").annotate(n=Count("id")))
    total = sum(totals.values())
    not_linked = sum(missing.values())
    return {
        "households": total,
        "whole": whole,  # every household under the place counted (not only those the user sees)
        "covered": total - not_linked,
        "uncovered": not_linked,
        "share": share(total - not_linked, total),
        "by_area": {
            path: {"households": n, "uncovered": missing.get(path, 0), "covered": n - missing.get(path, 0)}
            for path, n in totals.items()
        },
    }


# --- contacts ----------------------------------------------------------------------------------------


def under(scoped: QuerySet, *, user, place: Place, field: str = "path") -> QuerySet:
    """`scoped` (an app's `*_visible_to(user)`) narrowed to the place's subtree.

    Always a filter on the scoped queryset itself, never the model's default manager: whatever the owning
    app's scoping adds (or will add) stays in force. The path condition is indexed, so PostgreSQL starts from
    the subtree and checks the scope's branches only on those rows.
    """
    return scoped.filter(**{f"{field}__startswith": place.path})


def contacts_in(*, user, place: Place, period: ReportPeriod) -> QuerySet[Contact]:
    start, end = period.bounds
    return under(contacts_visible_to(user), user=user, place=place).filter(
        occurred_at__gte=start, occurred_at__lt=end
    )


def _contact_aggregates() -> dict:
    aggregates = {"n": Count("id")}
    for kind in ContactKind:
        aggregates[f"kind_{kind.value}"] = Count("id", filter=Q(kind=kind))
    for duty, field in DUTY_FIELDS.items():
        aggregates[f"duty_{duty.value}"] = Count("id", filter=Q(**{field: True}))
    return aggregates


def _tally_aggregates() -> dict:
    """The same figures as _contact_aggregates, added up from visits' month tallies."""

    def total(field: str, **condition):
        return Coalesce(Sum(field, filter=Q(**condition) if condition else None), 0)

    aggregates = {"n": total("contacts")}
    for kind in ContactKind:
        aggregates[f"kind_{kind.value}"] = total("contacts", kind=kind)
    for duty, field in DUTY_FIELDS.items():
        aggregates[f"duty_{duty.value}"] = total(field)
    return aggregates


def _whole_months(start: datetime.date, end: datetime.date) -> tuple[datetime.date, datetime.date]:
    """[first, last) of the calendar months lying wholly inside [start, end); first >= last if none."""
    first = start if start.day == 1 else period_bounds(Period.MONTH, start)[1]
    return first, end.replace(day=1)


def _contact_rows(*, user, place: Place, period: ReportPeriod) -> list[dict]:
    """The period's contacts under the place counted by (child area, month): a few hundred rows at most.

    Whole months come from visits' ContactMonthTally (a town's year: a few thousand counter rows instead of
    ~360,000 contacts); the partial months at the ends of a custom range, and everything for a viewer who
    does not see the place's whole subtree, from the contacts themselves (one grouped scan).
    """
    area = _area_expr(place)
    scanned: list[tuple[datetime.date, datetime.date]] = [(period.start, period.end)]
    rows: list[dict] = []
    if scope_for(user).sees_path(place.path):
        first, last = _whole_months(period.start, period.end)
        if first < last:
            rows += list(
                ContactMonthTally.objects.filter(
                    path__startswith=place.path, month__gte=first, month__lt=last
                )
                .annotate(area=area)
                .values("area", "month")
                .annotate(**_tally_aggregates())
                .order_by()
            )
            scanned = [(period.start, first), (last, period.end)]
    aggregates = _contact_aggregates()
    for start, end in scanned:
        if start >= end:
            continue
        since, until = aware_bounds((start, end))
        rows += list(
            under(contacts_visible_to(user), user=user, place=place)
            .filter(occurred_at__gte=since, occurred_at__lt=until, struck=False)
            .order_by()
            .annotate(area=area, month=TruncMonth("occurred_at", tzinfo=TZ, output_field=DateField()))
            .values("area", "month")
            .annotate(**aggregates)
        )
    merged: dict[tuple, dict] = {}
    for row in rows:
        key = (row["area"], row["month"])
        if key not in merged:
            merged[key] = dict(row)
        else:
            for name in aggregates:
                merged[key][name] += row[name]
    return list(merged.values())


def contact_figures(*, user, place: Place, period: ReportPeriod) -> dict:
    """Contacts in the period: total, by kind, by duty, by month, by child area; households reached.

    The counts by (child area, month) come from _contact_rows; the totals are sums of those few rows. A
    second query counts the households reached.
    """
    grouped = _contact_rows(user=user, place=place, period=period)
    keys = list(_contact_aggregates())
    figures = {key: sum(row[key] for row in grouped) for key in keys}
    by_area: dict[str, int] = {}
    month_counts: dict[datetime.date, int] = {}
    for row in grouped:
        by_area[row["area"]] = by_area.get(row["area"], 0) + row["n"]
        if row["month"] is not None:
            month_counts[row["month"]] = month_counts.get(row["month"], 0) + row["n"]
    start, end = period.bounds
    reach = ContactHousehold.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    sees_whole = scope_for(user).sees_path(place.path)
    if sees_whole and no_contact_after(end):
        # A period still running: no contact lies beyond it, so "reached in the period" is "last reached on
        # or after its start" (visits.LastContact, one row per household).
        # LastContact.path (a copy of the household's path) answers from its own index, no join: a city's
        # town reads its 15,000 rows, not a join against the city's 450,000.
        reached = LastContact.objects.filter(path__startswith=place.path, last_at__gte=start).count()
    elif sees_whole:
        # Households under the place with a reach row in the period: one probe of (household, occurred_at)
        # per household instead of a distinct count over every reach row of the period (a year: ~300,000).
        reached = (
            Household.objects.filter(path__startswith=place.path)
            .filter(Exists(reach.filter(household=OuterRef("pk"))))
            .order_by()
            .count()
        )
    else:
        reach = reach.filter(contact__in=contacts_in(user=user, place=place, period=period).values("pk"))
        reached = reach.order_by().aggregate(n=Count("household_id", distinct=True))["n"]
    months = [
        {"month": first_day, "label": f"{first_day:%Y-%m}", "count": month_counts.get(first_day, 0)}
        for first_day in period.months()
    ]
    total = figures["n"]
    return {
        "total": total,
        "households_reached": reached,
        "by_kind": [
            {"key": k.value, "label": str(k.label), "count": figures[f"kind_{k.value}"]} for k in ContactKind
        ],
        "by_duty": [
            {
                "key": d.value,
                "label": str(d.label),
                "count": figures[f"duty_{d.value}"],
                "share": share(figures[f"duty_{d.value}"], total),
            }
            for d in Duty
        ],
        "by_month": months,
        "by_area": by_area,
    }


# --- compliance ---------------------------------------------------------------------------------------


def compliance_start(
    *, user, place: Place, period: ReportPeriod, breakdown: str = "child"
) -> ComplianceStart:
    """Start `compliance`'s grouped statement beside the request (visits.selectors.compliance_start): the
    dashboard reads its other figures meanwhile and passes this to `compliance(started=…)`."""
    return visits_compliance_start(
        user=user,
        place=place,
        on=period.status_day,
        breakdown=breakdown,
        id_range=link_id_range(place.path),  # bounds the tally joins to the place's links (a city database)
    )


def compliance(
    *,
    user,
    place: Place,
    period: ReportPeriod,
    breakdown: str = "child",
    with_lists: bool = True,
    households_under: int | None = None,
    children: list[Place] | None = None,
    started: ComplianceStart | None = None,
) -> dict:
    """visits.selectors.compliance_summary on the period's status day (the one copy of the quota rules).

    The dashboards show how many households and members had no contact, not who: the counts only
    (`list_limit=0`); the names are on the compliance page. `households_under` and `children`: what the
    dashboard has read already (compliance_summary); `started`: `compliance_start`'s for the same place and
    breakdown."""
    return compliance_summary(
        user=user,
        place=place,
        on=period.status_day,
        breakdown=breakdown,
        id_range=None if started else link_id_range(place.path),
        with_lists=with_lists,
        list_limit=0,
        households_under=households_under,
        children=children,
        started=started,
    )


# --- issues --------------------------------------------------------------------------------------------


def _issue_counts(raised: QuerySet) -> dict:
    """The issues' figures, counted in Python from one row per (status, level, level solved at, satisfaction):
    a few dozen rows at most, where one aggregate of ~40 filtered counts cost ≈ 8 ms of CPU to build and
    compile a request. Keys: raised, escalated, whistled, resolved, closed, active, rated, satisfied_any,
    status_*, level_*, solved_* and sat_* (counts), avg_* (mean time to close per level solved at, or None)."""
    duration = ExpressionWrapper(F("resolved_at") - F("raised_at"), output_field=DurationField())
    rows = raised.values("status", "level", "resolved_level", "satisfaction").annotate(
        n=Count("id"),
        timed=Count("id", filter=Q(resolved_at__isnull=False)),
        time=Sum(duration, filter=Q(resolved_at__isnull=False)),
    )
    f = dict.fromkeys(
        [
            "raised",
            "escalated",
            "whistled",
            "resolved",
            "closed",
            "active",
            "rated",
            "satisfied_any",
            *(f"status_{status.value}" for status in IssueStatus),
            *(f"{key}_{level.value}" for level in IssueLevel for key in ("level", "solved")),
            *(f"sat_{sat.value}" for sat in Satisfaction),
        ],
        0,
    )
    timed = {level.value: [0, datetime.timedelta(0)] for level in LEVEL_ORDER}
    for row in rows:
        n, status, level, sat = row["n"], row["status"], row["level"], row["satisfaction"]
        closed = status in CLOSED_STATUSES
        f["raised"] += n
        f["escalated"] += n if level != IssueLevel.ON_SPOT else 0
        f["whistled"] += n if level == IssueLevel.DEPARTMENT else 0
        f["resolved"] += n if closed else 0
        f["closed"] += n if status == IssueStatus.CLOSED else 0
        f["active"] += n if status in ACTIVE_STATUSES else 0
        f["rated"] += n if sat != "" else 0
        f["satisfied_any"] += n if sat in POSITIVE_SATISFACTION else 0
        for key, value in (("status", status), ("level", level), ("sat", sat)):
            if f"{key}_{value}" in f:
                f[f"{key}_{value}"] += n
        if closed and f"solved_{row['resolved_level']}" in f:
            f[f"solved_{row['resolved_level']}"] += n
            if row["timed"] and row["resolved_level"] in timed:
                timed[row["resolved_level"]][0] += row["timed"]
                timed[row["resolved_level"]][1] += row["time"]
    for level, (count, total) in timed.items():
        # AVG(interval) in the database, to the microsecond: the figure shown is in tenths of a day.
        f[f"avg_{level}"] = total / count if count else None
    return f


def issue_figures(*, user, place: Place, period: ReportPeriod, now: datetime.datetime | None = None) -> dict:
    """Issues raised in the period under the place: funnel, where they were solved, time to close,
    satisfaction; plus what is overdue now (issues and whistles per department), whatever their age."""
    now = now or timezone.now()
    start, end = period.bounds
    scoped = under(issues_visible_to(user), user=user, place=place).order_by()
    raised = scoped.filter(raised_at__gte=start, raised_at__lt=end)
    f = _issue_counts(raised)
    overdue_now = scoped.filter(status__in=ACTIVE_STATUSES, deadline__lt=now).count()
    departments = list(
        WhistleAssignment.objects.filter(issue__in=scoped.values("pk"))
        .values("department_id", "department__name")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(status__in=OPEN_ASSIGNMENT_STATUSES)),
            overdue=Count("id", filter=Q(status__in=OPEN_ASSIGNMENT_STATUSES, deadline__lt=now)),
        )
        .order_by("-overdue", "-open", "department__name")
    )
    levels = []
    for level in LEVEL_ORDER:
        avg = f[f"avg_{level.value}"]
        levels.append(
            {
                "key": level.value,
                "label": str(level.label),
                "current": f[f"level_{level.value}"],
                "solved": f[f"solved_{level.value}"],
                "avg_days": round(avg.total_seconds() / 86400, 1) if avg is not None else None,
            }
        )
    return {
        "raised": f["raised"],
        "funnel": [
            {"key": "raised", "label": _("提出"), "count": f["raised"]},
            {"key": "escalated", "label": _("上报(离开现场)"), "count": f["escalated"]},
            {"key": "whistled", "label": _("吹哨部门"), "count": f["whistled"]},
            {"key": "resolved", "label": _("办结"), "count": f["resolved"]},
            {"key": "closed", "label": _("关闭(已回访)"), "count": f["closed"]},
        ],
        "by_status": [
            {"key": s.value, "label": str(s.label), "count": f[f"status_{s.value}"]} for s in IssueStatus
        ],
        "levels": levels,
        "active": f["active"],
        "resolved": f["resolved"],
        "resolved_share": share(f["resolved"], f["raised"]),
        "satisfaction": [
            {"key": s.value, "label": str(s.label), "count": f[f"sat_{s.value}"]} for s in Satisfaction
        ],
        "rated": f["rated"],
        "satisfaction_share": share(f["satisfied_any"], f["rated"]),
        "overdue_now": overdue_now,
        "departments": departments,
    }


# --- drill-down lists --------------------------------------------------------------------------------


def household_rows(*, user, place: Place, period: ReportPeriod) -> QuerySet[Household]:
    """Households under the place with contacts in the period, current links and the last contact ever."""
    start, end = period.bounds
    on = period.status_day
    current_links = Link.objects.current(on).filter(household=OuterRef("pk"))
    return (
        under(households_visible_to(user), user=user, place=place)
        .annotate(
            period_contacts=Count(
                "reached",
                filter=Q(reached__occurred_at__gte=start, reached__occurred_at__lt=end),
                distinct=True,
            ),
            linked=Exists(current_links),
        )
        .select_related("grid")
        .order_by("period_contacts", "path", "code")
    )


def member_links(*, user, member: Member, on: datetime.date) -> QuerySet[Link]:
    return links_visible_to(user).current(on).filter(member=member)


# --- dispatch orders -------------------------------------------------------------------------------------


def dispatch_installed() -> bool:
    from django.apps import apps

    return apps.is_installed("dispatch")


def dispatch_recipients_under(*, place: Place, period: ReportPeriod):
    """Order recipients under the place (by the village/grid the order went through, else the member's
    home) for orders issued in the period; None while the dispatch app is not installed."""
    if not dispatch_installed():
        return None
    from dispatch.models import OrderRecipient

    start, end = period.bounds
    return OrderRecipient.objects.filter(
        Q(via__path__startswith=place.path) | Q(via__isnull=True, member__path__startswith=place.path),
        order__issued_at__gte=start,
        order__issued_at__lt=end,
    )


def dispatch_figures(
    *, place: Place, period: ReportPeriod, today: datetime.date | None = None
) -> dict | None:
    """Dispatch orders received under the place in the period: total, outstanding, overdue (one query)."""
    recipients = dispatch_recipients_under(place=place, period=period)
    if recipients is None:
        return None
    from dispatch.enums import RecipientStatus

    today = today or timezone.localdate()
    open_ = ~Q(status=RecipientStatus.DONE)
    return recipients.order_by().aggregate(
        total=Count("id"),
        done=Count("id", filter=Q(status=RecipientStatus.DONE)),
        outstanding=Count("id", filter=open_),
        overdue=Count("id", filter=open_ & Q(order__due_date__lt=today)),
    )
