"""Who sees which flags, calls and cases (on top of members.access scopes).

- Reviewers (the town's centre staff and the discipline commission): flags and cases under their town.
- Village officers: only the calls they are asked to make (their call list), nothing else of this app.
- Grid heads: proposed household locations in their grids.
- A member: the cases about their own contacts, once decided. Flags are never shown to the member concerned
  or to other members (signals inform reviewers; a case is what the member answers).
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Left

from grids.enums import PlaceKind
from grids.models import Place
from members.access import scope_for

from .enums import CaseStatus, FlagStatus, LocationStatus
from .models import Call, Case, Flag, LocationProposal


def is_reviewer(user) -> bool:
    scope = scope_for(user)
    return scope.is_superuser or scope.is_town_staff or scope.is_discipline


def flags_visible_to(user) -> QuerySet[Flag]:
    if not is_reviewer(user):
        return Flag.objects.none()
    return Flag.objects.filter(scope_for(user).path_q())


def cases_visible_to(user) -> QuerySet[Case]:
    scope = scope_for(user)
    if is_reviewer(user):
        return Case.objects.filter(scope.path_q())
    if scope.member is not None:
        return Case.objects.filter(member=scope.member, status=CaseStatus.DECIDED)
    return Case.objects.none()


def calls_visible_to(user) -> QuerySet[Call]:
    """Reviewers see the town's calls; a village officer only the calls assigned to their village."""
    scope = scope_for(user)
    if is_reviewer(user):
        return Call.objects.filter(scope.path_q())
    if scope.is_village_officer and scope.village_paths:
        return Call.objects.filter(caller_village__path__in=scope.village_paths)
    return Call.objects.none()


def locations_visible_to(user) -> QuerySet[LocationProposal]:
    scope = scope_for(user)
    if scope.is_superuser:
        return LocationProposal.objects.all()
    if not scope.grid_paths:
        return LocationProposal.objects.none()
    q = Q()
    for path in scope.grid_paths:
        q |= Q(path__startswith=path)
    return LocationProposal.objects.filter(q)


def towns_reviewed_by(user) -> QuerySet[Place]:
    scope = scope_for(user)
    towns = Place.objects.filter(kind=PlaceKind.TOWN)
    if scope.is_superuser:
        return towns.order_by("path")
    return towns.filter(path__in=scope.town_paths).order_by("path")


def open_by_village(user, *, month=None) -> list[dict]:
    """Open flags and open cases per village of the reviewer's towns (two grouped queries)."""
    villages = list(
        Place.objects.filter(kind=PlaceKind.VILLAGE)
        .filter(scope_for(user).path_q())
        .order_by("path")
        .values("pk", "name", "path")
    )
    flags = flags_visible_to(user).filter(status=FlagStatus.OPEN)
    if month:
        flags = flags.filter(month=month)
    flag_counts = _count_by_village(flags, villages)
    case_counts = _count_by_village(cases_visible_to(user).filter(status=CaseStatus.OPEN), villages)
    return [
        {**v, "flags": flag_counts.get(v["path"], 0), "cases": case_counts.get(v["path"], 0)}
        for v in villages
    ]


def _count_by_village(queryset, villages) -> dict[str, int]:
    """Rows per village path, grouped in the database by the path's prefix (one query per path length)."""
    counts: dict[str, int] = {}
    for length in sorted({len(v["path"]) for v in villages}):
        rows = (
            queryset.annotate(prefix=Left("path", length))
            .values("prefix")
            .order_by()
            .annotate(n=Count("id", distinct=True))
        )
        for row in rows:
            counts[row["prefix"]] = counts.get(row["prefix"], 0) + row["n"]
    return counts


def pending_locations(user) -> QuerySet[LocationProposal]:
    return locations_visible_to(user).filter(status=LocationStatus.PENDING)
