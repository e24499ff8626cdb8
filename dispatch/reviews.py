"""Figures for 旬调度 / 季讲评 / 年总评, and the snapshots that freeze them.

Everything is aggregated in the database: compliance per village, grid and member is one grouped query
each over the links annotated by visits.selectors.annotate_compliance; issue counts one grouped query.
A snapshot stores plain rows (names, numbers) so later edits do not rewrite history.
Snapshot data: {"title", "facts": [[label, value]], "tables": [{"title", "columns", "rows"}]}.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.enums import PlaceKind
from grids.models import Place
from issues.deadlines import end_of_local_day, start_of_local_day
from issues.enums import ACTIVE_STATUSES, OPEN_ASSIGNMENT_STATUSES, Satisfaction
from issues.models import Issue, WhistleAssignment
from members.enums import PositionKind
from members.models import Link, Position
from notifications.enums import NotificationKind
from notifications.services import Draft, notifications_send
from visits.enums import STATUS_RANK, Status
from visits.selectors import PATH_STEP, annotate_compliance, rule_groups

from .enums import RecipientStatus, SnapshotKind
from .models import DispatchOrder, ReviewSnapshot
from .periods import JobPeriod

OVERDUE = STATUS_RANK[Status.OVERDUE]
CENTRE_POSTS = (PositionKind.CENTRE_STAFF, PositionKind.OFFICE_DIRECTOR)


def _pct(part: int, total: int) -> str:
    return f"{100 * part / total:.1f}%" if total else "—"


def _compliance_rows(
    town: Place, on: datetime.date, depth: int | None, by_member: bool = False
) -> list[list]:
    """[name, links, on track, overdue, share on track] per village (depth 3), grid3 (4) or member."""
    groups = rule_groups()
    types = sorted({lt for g in groups for lt in g.link_types})
    links = Link.objects.current(on).filter(path__startswith=town.path, link_type__in=types)
    links = links.filter(member__is_exempt=False)  # exempt members' links need a new pairing (docs/visits.md)
    qs = annotate_compliance(links, on=on, groups=groups)
    key = F("member__name") if by_member else Substr("path", 1, 1 + PATH_STEP * depth)
    rows = (
        qs.values(area=key)
        .annotate(total=Count("id"), overdue=Count("id", filter=Q(status_rank=OVERDUE)))
        .order_by("area")
    )
    rows = list(rows)
    names = {}
    if not by_member:
        ids = [int(r["area"].strip("/").split("/")[-1]) for r in rows if r["area"]]
        names = dict(Place.objects.filter(pk__in=ids).values_list("path", "name"))
    out = []
    for r in rows:
        name = r["area"] if by_member else names.get(r["area"], "?")
        on_track = r["total"] - r["overdue"]
        out.append([name, r["total"], on_track, r["overdue"], _pct(on_track, r["total"])])
    out.sort(key=lambda row: (row[2] / row[1] if row[1] else 2, row[0]))
    return out


COMPLIANCE_COLUMNS = [
    gettext_lazy("名称"),
    gettext_lazy("联系数"),
    gettext_lazy("达标"),
    gettext_lazy("逾期"),
    gettext_lazy("达标率"),
]


def _issue_figures(town: Place, start: datetime.date, end: datetime.date) -> tuple[list, list[list]]:
    """Facts and per-village rows about issues raised in [start, end) and overdue at the end."""
    t0, t1 = start_of_local_day(start), start_of_local_day(end)
    village_len = 1 + PATH_STEP * 3
    rows = list(
        Issue.objects.filter(path__startswith=town.path)
        .values(area=Substr("path", 1, village_len))
        .annotate(
            new=Count("id", filter=Q(raised_at__gte=t0, raised_at__lt=t1)),
            resolved=Count("id", filter=Q(resolved_at__gte=t0, resolved_at__lt=t1)),
            overdue=Count("id", filter=Q(status__in=ACTIVE_STATUSES, deadline__lt=t1)),
            rated=Count("id", filter=Q(satisfaction__gt="", resolved_at__gte=t0, resolved_at__lt=t1)),
            satisfied=Count(
                "id",
                filter=Q(
                    satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY],
                    resolved_at__gte=t0,
                    resolved_at__lt=t1,
                ),
            ),
        )
        .order_by("area")
    )
    names = dict(
        Place.objects.filter(path__in=[r["area"] for r in rows], kind=PlaceKind.VILLAGE).values_list(
            "path", "name"
        )
    )
    table, totals = [], {"new": 0, "resolved": 0, "overdue": 0, "rated": 0, "satisfied": 0}
    for r in rows:
        for k in totals:
            totals[k] += r[k]
        table.append(
            [
                names.get(r["area"], "?"),
                r["new"],
                r["resolved"],
                r["overdue"],
                _pct(r["satisfied"], r["rated"]),
            ]
        )
    facts = [
        [_("新增诉求/问题"), totals["new"]],
        [_("办结"), totals["resolved"]],
        [_("逾期未办结"), totals["overdue"]],
        [_("满意率(满意+基本满意)"), _pct(totals["satisfied"], totals["rated"])],
    ]
    return facts, table


ISSUE_COLUMNS = [
    gettext_lazy("村(社区)"),
    gettext_lazy("新增"),
    gettext_lazy("办结"),
    gettext_lazy("逾期"),
    gettext_lazy("满意率"),
]


def _overdue_whistles(town: Place, moment: datetime.datetime) -> list[list]:
    rows = (
        WhistleAssignment.objects.filter(
            issue__path__startswith=town.path, status__in=OPEN_ASSIGNMENT_STATUSES, deadline__lt=moment
        )
        .values("department__name")
        .annotate(n=Count("id"))
        .order_by("-n", "department__name")
    )
    return [[r["department__name"], r["n"]] for r in rows]


def _orders_not_done(town: Place, on: datetime.date) -> list[list]:
    rows = (
        DispatchOrder.objects.filter(path__startswith=town.path)
        .annotate(
            n_total=Count("recipients"),
            n_open=Count("recipients", filter=~Q(recipients__status=RecipientStatus.DONE)),
        )
        .filter(n_open__gt=0)
        .order_by("due_date", "id")
    )
    return [
        [o.title, o.due_date.isoformat(), f"{o.n_open}/{o.n_total}", _("已超期") if o.due_date < on else ""]
        for o in rows
    ]


def town_figures(*, town: Place, kind: str, period: JobPeriod) -> dict:
    """The snapshot body for one town (see module docstring). `on` is the last day of a quarter/year,
    or the issue date for a 旬调度 (status as the period closes)."""
    on = period.end if kind == SnapshotKind.DECADE else period.last_day
    issue_facts, issue_rows = _issue_figures(town, period.start, period.end)
    tables = [
        {
            "title": _("联户达标情况 · 按村(社区)"),
            "columns": [str(c) for c in COMPLIANCE_COLUMNS],
            "rows": _compliance_rows(town, on, 3),
        },
        {
            "title": _("联户达标情况 · 按三级网格"),
            "columns": [str(c) for c in COMPLIANCE_COLUMNS],
            "rows": _compliance_rows(town, on, 4),
        },
        {
            "title": _("诉求/问题 · 按村(社区)"),
            "columns": [str(c) for c in ISSUE_COLUMNS],
            "rows": issue_rows,
        },
        {
            "title": _("逾期吹哨 · 按部门"),
            "columns": [_("部门"), _("逾期件数")],
            "rows": _overdue_whistles(town, end_of_local_day(period.last_day)),
        },
    ]
    if kind == SnapshotKind.DECADE:
        tables.append(
            {
                "title": _("未办结的调度令"),
                "columns": [_("标题"), _("期限"), _("未办结/承办人"), ""],
                "rows": _orders_not_done(town, on),
            }
        )
    else:
        tables.append(
            {
                "title": _("联户达标情况 · 按人员"),
                "columns": [str(c) for c in COMPLIANCE_COLUMNS],
                "rows": _compliance_rows(town, on, None, True),
            }
        )
    label = SnapshotKind(kind).label
    return {
        "title": f"{town.name} {label} {period.key}",
        "on": on.isoformat(),
        "period": [period.start.isoformat(), period.last_day.isoformat()],
        "facts": [[_("周期"), f"{period.start.isoformat()} — {period.last_day.isoformat()}"], *issue_facts],
        "tables": tables,
    }


def centre_members(town: Place, on: datetime.date) -> list[int]:
    return list(
        Position.objects.current(on)
        .filter(place=town, kind__in=CENTRE_POSTS)
        .values_list("member_id", flat=True)
        .distinct()
    )


def review_snapshots_take(
    *, kind: str, period: JobPeriod, notify: bool = True, town: Place | None = None, progress=None
) -> dict:
    """Store one snapshot per town for the period (existing ones are kept as they were) and tell the centre.
    With `town`: that town only (a city place has no snapshot of its own: nothing to do)."""
    counts = {"created": 0, "skipped": 0, "notified": 0}
    existing = set(
        ReviewSnapshot.objects.filter(kind=kind, period_key=period.key).values_list("town_id", flat=True)
    )
    towns = Place.objects.filter(kind=PlaceKind.TOWN).order_by("path")
    if town is not None:
        towns = towns.filter(pk=town.pk)
    towns = list(towns)
    if progress is not None:
        progress.total(len(towns))
    for town in towns:
        if progress is not None:
            progress.advance(counts["created"] + counts["skipped"])
        if town.pk in existing:
            counts["skipped"] += 1
            continue
        data = town_figures(town=town, kind=kind, period=period)
        with transaction.atomic():
            snapshot = ReviewSnapshot.objects.create(kind=kind, period_key=period.key, town=town, data=data)
            if notify:
                notification_kind = (
                    NotificationKind.DECADE_DIGEST if kind == SnapshotKind.DECADE else NotificationKind.REVIEW
                )
                drafts = [
                    Draft(
                        recipient_id=mid,
                        kind=notification_kind,
                        period_key=f"{kind}-{period.key}",
                        title=data["title"],
                        body="\n".join(f"{label}:{value}" for label, value in data["facts"]),
                        link=reverse("dispatch:review-detail", args=[snapshot.pk]),
                    )
                    for mid in centre_members(town, period.end)
                ]
                counts["notified"] += len(notifications_send(drafts=drafts))
        counts["created"] += 1
    return counts
