"""Reads for queues, counts and timelines. Counts are aggregated in the database (one query each)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from grids.models import Place
from members.access import scope_for

from .access import issues_visible_to
from .deadlines import start_of_local_day
from .enums import ACTIVE_STATUSES, OPEN_ASSIGNMENT_STATUSES, AssignmentStatus, IssueLevel, IssueStatus
from .models import Issue, IssueEvent, WhistleAssignment

LIST_RELATED = ("household__grid", "place", "category", "raised_by")


@dataclass(frozen=True)
class Queue:
    """A level's queue: which issues are in the user's area and which of them wait at that level."""

    key: str
    level: str
    title: str
    scope_attr: str  # the Scope attribute holding the area's paths


QUEUES = {
    "grid": Queue("grid", IssueLevel.GRID, gettext_lazy("网格待办"), "grid_paths"),
    "village": Queue("village", IssueLevel.VILLAGE, gettext_lazy("村(社区)待办"), "village_paths"),
    "centre": Queue("centre", IssueLevel.CENTRE, gettext_lazy("镇中心工作台"), "town_paths"),
}


def queue_allowed(scope, key: str) -> bool:
    """Whether the scope's posts give it this queue: grid heads, village officers, the centre (and discipline)."""
    if scope.is_superuser:
        return True
    return {
        "grid": scope.is_grid_head,
        "village": scope.is_village_officer,
        "centre": scope.is_town_staff or scope.is_discipline,
    }[key]


def queue_area(user, queue: Queue) -> QuerySet[Issue]:
    """Every issue in the user's area for this queue (all levels and statuses)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Issue.objects.all()
    paths = getattr(scope, queue.scope_attr)
    if not paths:
        return Issue.objects.none()
    q = Q()
    for path in paths:
        q |= Q(path__startswith=path)
    return Issue.objects.filter(q)


def waiting_at(queryset: QuerySet[Issue], level: str) -> QuerySet[Issue]:
    """Issues waiting for someone at `level` (the centre also reviews departments' answers)."""
    if level == IssueLevel.CENTRE:
        return queryset.filter(
            Q(level=IssueLevel.CENTRE, status__in=ACTIVE_STATUSES) | Q(status=IssueStatus.REVIEW)
        )
    return queryset.filter(level=level, status=IssueStatus.OPEN)


def status_counts(queryset: QuerySet[Issue], *, now: datetime.datetime | None = None) -> dict[str, int]:
    """Counts by status plus overdue, in one query."""
    now = now or timezone.now()
    aggregates = {status.value: Count("pk", filter=Q(status=status)) for status in IssueStatus}
    aggregates["overdue"] = Count("pk", filter=Q(status__in=ACTIVE_STATUSES, deadline__lt=now))
    aggregates["total"] = Count("pk")
    return queryset.order_by().aggregate(**aggregates)


def status_count_rows(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    return [(status.value, str(status.label), counts[status.value]) for status in IssueStatus]


def for_list(queryset: QuerySet[Issue]) -> QuerySet[Issue]:
    return queryset.select_related(*LIST_RELATED)


def filter_issues(
    queryset: QuerySet[Issue],
    *,
    status: str = "",
    level: str = "",
    village: Place | None = None,
    grid: Place | None = None,
    category_id: int | None = None,
    urgency: str = "",
    whistle_kind: str = "",
    department_id: int | None = None,
    overdue: bool | None = None,
    raised_from: datetime.date | None = None,
    raised_to: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> QuerySet[Issue]:
    """The filters shared by the centre desk and the API. Places must come from the user's visible places."""
    now = now or timezone.now()
    if status:
        queryset = queryset.filter(status=status)
    if level:
        queryset = queryset.filter(level=level)
    if village is not None:
        queryset = queryset.filter(path__startswith=village.path)
    if grid is not None:
        queryset = queryset.filter(path__startswith=grid.path)
    if category_id:
        queryset = queryset.filter(category_id=category_id)
    if urgency:
        queryset = queryset.filter(urgency=urgency)
    if whistle_kind:
        queryset = queryset.filter(whistle_kind=whistle_kind)
    if department_id:
        queryset = queryset.filter(
            pk__in=WhistleAssignment.objects.filter(department_id=department_id).values("issue_id")
        )
    if overdue is True:
        queryset = queryset.filter(status__in=ACTIVE_STATUSES, deadline__lt=now)
    elif overdue is False:
        queryset = queryset.exclude(status__in=ACTIVE_STATUSES, deadline__lt=now)
    if raised_from:
        queryset = queryset.filter(raised_at__gte=start_of_local_day(raised_from))
    if raised_to:
        queryset = queryset.filter(raised_at__lt=start_of_local_day(raised_to + datetime.timedelta(days=1)))
    return queryset


def my_issues(user) -> QuerySet[Issue]:
    member = scope_for(user).member
    if member is None:
        return Issue.objects.none()
    return for_list(Issue.objects.filter(raised_by=member)).order_by("-raised_at", "-id")


def department_assignments(user) -> QuerySet[WhistleAssignment]:
    """The handler's queue: assignments to their departments, open ones first."""
    scope = scope_for(user)
    return (
        WhistleAssignment.objects.filter(department_id__in=scope.department_ids)
        .select_related("issue__category", "issue__household__grid", "issue__place", "department")
        .order_by("-whistled_at", "-id")
    )


def assignment_counts(queryset: QuerySet[WhistleAssignment], *, now=None) -> dict[str, int]:
    now = now or timezone.now()
    aggregates = {status.value: Count("pk", filter=Q(status=status)) for status in AssignmentStatus}
    aggregates["overdue"] = Count("pk", filter=Q(status__in=OPEN_ASSIGNMENT_STATUSES, deadline__lt=now))
    aggregates["total"] = Count("pk")
    return queryset.order_by().aggregate(**aggregates)


def issue_timeline(issue: Issue) -> QuerySet[IssueEvent]:
    return issue.events.select_related("department").order_by("created_at", "id")


def issues_for_api(user) -> QuerySet[Issue]:
    return for_list(issues_visible_to(user)).order_by("-raised_at", "-id")
